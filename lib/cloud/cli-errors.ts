/**
 * How a failed `az` / `aws` call reads: the CLI's exit status and stderr → one kind and one line.
 * Pure (unit-tested from the real CLIs' messages); cloud-cli.ts turns the result into a ModuleError.
 *
 * Text decides, not exit codes: az uses 1 (most errors), 2 (argument errors) and 3 (resource not found);
 * aws v2 uses 252 (bad arguments), 253 (no credentials / bad config), 254 (service error), 255 (other),
 * while aws v1 uses 2 and 255 for the same cases.
 */
export type CloudCliName = 'az' | 'aws';

export type CliErrorKind =
  /** the program is not on PATH */
  | 'missing'
  /** az: no account (`az login` never ran for this user, or the token expired) */
  | 'login'
  /** aws: no or expired credentials */
  | 'credentials'
  /** the resource (VM, image, gallery, instance...) does not exist */
  | 'not-found'
  /** the CLI rejected the command line (unknown option, missing argument) */
  | 'usage'
  | 'failed';

export interface CliFailure {
  kind: CliErrorKind;
  /** the service's error code when there is one: ResourceNotFound, InvalidInstanceID.NotFound... */
  code?: string;
  /** the most telling line of stderr */
  detail: string;
}

export const MISSING_MARK = '@@tsplay:cli-missing';

const LOGIN = [
  /Please run 'az login'/i,
  /\baz login\b/i,
  /refresh token (has )?expired/i,
  /AADSTS(50173|70043|700082|50078|50076)/,
  /No subscriptions? (was |were )?found/i,
];
const AWS_CREDS = [
  /Unable to locate credentials/i,
  /\b(ExpiredToken|ExpiredTokenException|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|AuthFailure)\b/,
  /security token included in the request is (expired|invalid)/i,
];
const USAGE = [
  /unrecognized arguments?:/i,
  /the following arguments are required/i,
  /Unknown options?:/i,
  /\binvalid choice\b/i,
  /expected one argument/i,
  /argument [-\w/]+: invalid/i,
  /^usage: /m,
];

function lines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Traceback|^File "|^\^+$|^To (check|open)|^Examples from AI knowledge base|^https?:\/\//.test(l));
}

/** The line that says what went wrong (az: the first "ERROR:" line that is not the generic crash header). */
function mainLine(stderr: string): string {
  const ls = lines(stderr);
  const errs = ls.filter((l) => /^ERROR:/.test(l) && !/unexpected error\. Here is the traceback/i.test(l));
  const pick =
    errs[0] ??
    ls.find((l) => /An error occurred \(|Waiter \w+ failed|Unknown options|the following arguments|unrecognized arguments|error:/i.test(l)) ??
    ls[ls.length - 1] ??
    '';
  return pick
    .replace(/^ERROR:\s*/, '')
    .replace(/^aws: error:\s*/, '')
    .slice(0, 400);
}

export function classifyCliError(cli: CloudCliName, rc: number, stderr: string): CliFailure {
  if (stderr.includes(MISSING_MARK) || (rc === 127 && /not found/.test(stderr))) return { kind: 'missing', detail: `${cli}: command not found` };
  const detail = mainLine(stderr);
  if (cli === 'az') {
    const nf = /\((\w*NotFound)\)/.exec(stderr) ?? /^Code: (\w*NotFound)\s*$/m.exec(stderr);
    if (nf) return { kind: 'not-found', code: nf[1], detail };
    if (LOGIN.some((r) => r.test(stderr))) return { kind: 'login', detail };
    if (/could not be found|was not found/i.test(stderr) && rc === 3) return { kind: 'not-found', detail };
  } else {
    if (AWS_CREDS.some((r) => r.test(stderr))) {
      const code = /\b(ExpiredToken\w*|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|AuthFailure)\b/.exec(stderr);
      return { kind: 'credentials', code: code?.[1], detail };
    }
    const nf = /An error occurred \(([\w.]*NotFound)\)/.exec(stderr);
    if (nf) return { kind: 'not-found', code: nf[1], detail };
  }
  if (USAGE.some((r) => r.test(stderr)) && !/An error occurred \(/.test(stderr)) return { kind: 'usage', detail };
  const code = /An error occurred \(([\w.]+)\)/.exec(stderr) ?? /\((\w+)\) /.exec(stderr);
  return { kind: 'failed', code: code?.[1], detail };
}
