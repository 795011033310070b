/**
 * The one runner for cloud CLIs (`az`, `aws`) used by the image modules. A call is an argv array: every
 * element is shell-quoted (shq), nothing is interpolated into a command string. The call runs through the
 * task's connection — with `delegate_to: localhost` that is the controller's local shell, as the user who ran
 * `az login` / `aws configure` — with JSON output requested and parsed. Failures become one clear ModuleError:
 * CLI missing, not logged in, no credentials, resource not found, arguments rejected, or the CLI's own error.
 *
 * Secrets never go on argv: these calls carry names and ids only. Credentials are the CLI's own (its token
 * cache, profile or instance identity); anything secret a site needs (AWS_SECRET_ACCESS_KEY...) reaches the
 * CLI through the task's `environment:`, which the shell exports without putting it on a command line.
 */
import type { CheckContext, ModuleContext, RunOptions, RunResult } from '../../src/contract/index.js';
import { ModuleError } from '../../src/contract/index.js';
import { shJoin, shq } from '../shell/quote.js';
import { MISSING_MARK, classifyCliError, type CliFailure, type CloudCliName } from './cli-errors.js';

export { classifyCliError, MISSING_MARK } from './cli-errors.js';
export type { CloudCliName, CliErrorKind, CliFailure } from './cli-errors.js';

const LABEL: Record<CloudCliName, string> = { az: 'the Azure CLI (az)', aws: 'the AWS CLI (aws)' };

export interface CliCall {
  /** the words after the program name: ['vm', 'show', '-g', rg, '-n', name] */
  argv: string[];
  /** what the call is about, for messages: "VM 'b1' in resource group 'rg'" */
  what?: string;
  /** a missing resource is an answer (null), not a failure */
  notFoundOk?: boolean;
  /** don't ask for (or parse) JSON: the command prints nothing (az vm generalize, aws ec2 wait) */
  noOutput?: boolean;
}

export interface CloudCliOptions {
  /** global arguments added to every call: ['--subscription', id] or ['--region', r, '--profile', p] */
  globalArgs?: string[];
}

/** The command line (for logs and tests): `az vm show -g rg -n b1 -o json`. */
export function cliCommandLine(cli: CloudCliName, call: CliCall, opts: CloudCliOptions = {}): string[] {
  const out = call.noOutput ? [] : cli === 'az' ? ['-o', 'json'] : ['--output', 'json'];
  return [cli, ...call.argv, ...(opts.globalArgs ?? []), ...out];
}

/** The subcommand words of a call ("vm deallocate", "ec2 create-image") for messages. */
export function subcommand(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words.join(' ');
}

/** `command -v CLI` or report where it was looked for (uname/id found even when PATH lacks /usr/bin). */
function missingCheck(cli: CloudCliName): string {
  return `command -v ${cli} >/dev/null 2>&1 || { p=$PATH; PATH=$PATH:/usr/bin:/bin; printf '%s\\n' ${shq(MISSING_MARK)} "$(uname -n)" "$(id -un)" "$p" >&2; exit 127; }`;
}

export class CloudCli {
  private who: { user: string; host: string; path: string } | undefined;

  constructor(
    /** check()'s context (reads: show, list, wait) or apply()'s (reads and changes) */
    private readonly ctx: CheckContext | ModuleContext,
    readonly cli: CloudCliName,
    private readonly opts: CloudCliOptions = {},
  ) {}

  /** In check() only probes exist: a CloudCli made there can only read (a CheckContext has no run()). */
  private exec(script: string, opts?: RunOptions): Promise<RunResult> {
    return 'run' in this.ctx ? this.ctx.run(script, opts) : this.ctx.probe(script, opts);
  }

  /** Run one call; parsed JSON (null when there is no output, or not found with notFoundOk). */
  async run<T = unknown>(call: CliCall): Promise<T | null> {
    const argv = cliCommandLine(this.cli, call, this.opts);
    const script = `${missingCheck(this.cli)}\n${shJoin(argv)}`;
    this.ctx.log(`${this.cli}: ${argv.join(' ')}`);
    // aws v2 pipes JSON through a pager unless told not to
    const r = await this.exec(script, this.cli === 'aws' ? { env: { AWS_PAGER: '' } } : undefined);
    if (r.rc !== 0) {
      const f = classifyCliError(this.cli, r.rc, r.stderr);
      if (f.kind === 'not-found' && call.notFoundOk) return null;
      throw await this.failure(f, call, r);
    }
    if (call.noOutput || r.stdout.trim() === '') return null;
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new ModuleError(`${this.cli} ${subcommand(call.argv)}: the output is not JSON: ${r.stdout.trim().slice(0, 200)}`, {
        rc: r.rc,
        stdout: r.stdout,
        stderr: r.stderr,
      });
    }
  }

  /**
   * Check that the CLI is there and (az) logged in: `az account show`, whose JSON (subscription id, user)
   * is returned. aws has no offline equivalent (`sts get-caller-identity` is a network call), so for aws
   * this only checks that the program exists; missing credentials show on the first real call.
   */
  async preflight(): Promise<AzAccount | null> {
    if (this.cli === 'az') return this.run<AzAccount>({ argv: ['account', 'show'], what: 'the current Azure account' });
    const r = await this.exec(missingCheck('aws'));
    if (r.rc !== 0) throw await this.failure({ kind: 'missing', detail: 'aws: command not found' }, { argv: [] }, r);
    return null;
  }

  private async identity(stderr: string): Promise<{ user: string; host: string; path: string }> {
    if (this.who) return this.who;
    const i = stderr.indexOf(MISSING_MARK);
    if (i >= 0) {
      const [host, user, path = ''] = stderr
        .slice(i + MISSING_MARK.length)
        .replace(/^\n/, '')
        .split('\n');
      return (this.who = { host: host || '?', user: user || '?', path });
    }
    const r = await this.exec('uname -n; id -un');
    const [host = '?', user = '?'] = r.stdout.trim().split('\n');
    return (this.who = { host, user, path: '' });
  }

  private async failure(f: CliFailure, call: CliCall, r: { rc: number; stdout: string; stderr: string }): Promise<ModuleError> {
    const sub = subcommand(call.argv);
    const detail = { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
    const cmd = `${this.cli} ${sub}`.trim();
    switch (f.kind) {
      case 'missing': {
        const w = await this.identity(r.stderr);
        return new ModuleError(`${LABEL[this.cli]} is not installed on ${w.host} (not found in PATH=${w.path} of user ${w.user})`, detail);
      }
      case 'login': {
        const w = await this.identity(r.stderr);
        return new ModuleError(`az: not logged in, run \`az login\` as ${w.user} (on ${w.host}): ${f.detail}`, detail);
      }
      case 'credentials': {
        const w = await this.identity(r.stderr);
        const what = f.code ? `the credentials of ${w.user} on ${w.host} are not valid (${f.code})` : `Unable to locate credentials for ${w.user} on ${w.host}`;
        return new ModuleError(`aws: ${what}: run \`aws configure\` as ${w.user}, set AWS_PROFILE, or give the host an instance profile`, detail);
      }
      case 'not-found':
        return new ModuleError(`${this.cli}: ${call.what ?? sub} not found${f.code ? ` (${f.code})` : ''}: ${f.detail}`, detail);
      case 'usage':
        return new ModuleError(`${this.cli} rejected the command line of \`${cmd}\` (an older ${this.cli}?): ${f.detail}`, detail);
      default:
        return new ModuleError(`\`${cmd}\` failed (rc=${r.rc})${call.what ? ` for ${call.what}` : ''}: ${f.detail}`, detail);
    }
  }
}

/** `az account show` */
export interface AzAccount {
  id: string;
  name?: string;
  tenantId?: string;
  user?: { name?: string; type?: string };
}
