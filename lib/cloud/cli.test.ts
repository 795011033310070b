/**
 * The cloud CLI runner: error classification from the real CLIs' messages (captured from Debian's
 * azure-cli 2.45 and awscli 2.9 without credentials: test/fixtures/image/real-cli-errors.json), plus
 * ARM/EC2 service errors as the CLIs print them; and CloudCli over a real /bin/sh with fake az/aws programs
 * that echo their argv — so quoting is proven by a shell, not assumed.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudCli, classifyCliError, cliCommandLine, MISSING_MARK } from './cli.js';
import type { ModuleContext } from '../../src/contract/define.js';
import { FakeHost } from '../../test/harness/fake-host.js';
import { moduleContext } from '../../test/harness/modules.js';
import { ModuleError } from '../../src/errors.js';

const REAL = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../test/fixtures/image/real-cli-errors.json'), 'utf8')) as {
  cli: 'az' | 'aws';
  note: string;
  rc: number;
  stderr: string;
}[];
const real = (note: string) => REAL.find((r) => r.note === note)!;

describe("classifyCliError — the real CLIs' messages", () => {
  it.each<[string, string, string | RegExp]>([
    ['not logged in', 'login', "Please run 'az login' to setup account."],
    ['packaging defect (Debian azure-cli 2.45)', 'failed', "No module named 'azure.mgmt.compute.v2022_11_01'"],
    ['unknown option', 'usage', 'unrecognized arguments: --bogus'],
    ['missing argument', 'usage', 'the following arguments are required: --gallery-image-version/-e'],
    ['no credentials (awscli 2.9)', 'credentials', 'Unable to locate credentials. You can configure credentials by running "aws configure".'],
    ['no credentials (aws-cli 1.x, pyenv)', 'credentials', /Unable to locate credentials/],
    ['unknown option (awscli 2.9)', 'usage', 'Unknown options: --bogus'],
    ['missing argument (awscli 2.9)', 'usage', 'the following arguments are required: --name'],
  ])('%s', (note, kind, detail) => {
    const r = real(note);
    const f = classifyCliError(r.cli, r.rc, r.stderr);
    expect(f.kind).toBe(kind);
    if (typeof detail === 'string') expect(f.detail).toBe(detail);
    else expect(f.detail).toMatch(detail);
  });

  it('awscli 2.9 exit codes: 253 without credentials, 252 for a bad option (v1: 255 and 2)', () => {
    expect(real('no credentials (awscli 2.9)').rc).toBe(253);
    expect(real('unknown option (awscli 2.9)').rc).toBe(252);
    expect(real('no credentials (aws-cli 1.x, pyenv)').rc).toBe(255);
  });

  it.each<[string, 'az' | 'aws', number, string, string, string | undefined]>([
    [
      'ARM: VM not found',
      'az',
      3,
      "ERROR: (ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/b1' under resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix\nCode: ResourceNotFound\nMessage: ...",
      'not-found',
      'ResourceNotFound',
    ],
    [
      'ARM: resource group not found',
      'az',
      3,
      "ERROR: (ResourceGroupNotFound) Resource group 'rgx' could not be found.\nCode: ResourceGroupNotFound\nMessage: Resource group 'rgx' could not be found.",
      'not-found',
      'ResourceGroupNotFound',
    ],
    [
      'ARM: operation not allowed',
      'az',
      1,
      "ERROR: (OperationNotAllowed) Operation 'start' is not allowed on VM 'b1' since the VM is generalized.\nCode: OperationNotAllowed",
      'failed',
      'OperationNotAllowed',
    ],
    [
      'az: expired refresh token',
      'az',
      1,
      'ERROR: AADSTS700082: The refresh token has expired due to inactivity.\nTo re-authenticate, please run:\naz login',
      'login',
      undefined,
    ],
    [
      'EC2: instance not found',
      'aws',
      254,
      "\nAn error occurred (InvalidInstanceID.NotFound) when calling the CreateImage operation: The instance ID 'i-0abc' does not exist\n",
      'not-found',
      'InvalidInstanceID.NotFound',
    ],
    [
      'EC2: expired token',
      'aws',
      254,
      '\nAn error occurred (ExpiredToken) when calling the DescribeImages operation: The security token included in the request is expired\n',
      'credentials',
      'ExpiredToken',
    ],
    [
      'EC2: duplicate name',
      'aws',
      254,
      '\nAn error occurred (InvalidAMIName.Duplicate) when calling the CreateImage operation: AMI name x is already in use by AMI ami-1\n',
      'failed',
      'InvalidAMIName.Duplicate',
    ],
    ['aws waiter', 'aws', 255, '\nWaiter ImageAvailable failed: Max attempts exceeded\n', 'failed', undefined],
    ['missing program', 'az', 127, `${MISSING_MARK}\nctl01\nops\n/usr/bin:/bin\n`, 'missing', undefined],
  ])('%s', (_t, cli, rc, stderr, kind, code) => {
    const f = classifyCliError(cli, rc, stderr);
    expect(f.kind).toBe(kind);
    expect(f.code).toBe(code);
  });
});

describe('cliCommandLine', () => {
  it('az: -o json after the call; aws: --output json; global args in between; none for noOutput', () => {
    expect(cliCommandLine('az', { argv: ['vm', 'show', '-g', 'rg', '-n', 'b1'] }, { globalArgs: ['--subscription', 'HPC'] })).toEqual([
      'az',
      'vm',
      'show',
      '-g',
      'rg',
      '-n',
      'b1',
      '--subscription',
      'HPC',
      '-o',
      'json',
    ]);
    expect(cliCommandLine('aws', { argv: ['ec2', 'describe-images'] }, { globalArgs: ['--region', 'eu-west-1'] })).toEqual([
      'aws',
      'ec2',
      'describe-images',
      '--region',
      'eu-west-1',
      '--output',
      'json',
    ]);
    expect(cliCommandLine('az', { argv: ['vm', 'generalize', '-g', 'rg', '-n', 'b1'], noOutput: true })).toEqual([
      'az',
      'vm',
      'generalize',
      '-g',
      'rg',
      '-n',
      'b1',
    ]);
  });
});

// --- CloudCli through a real shell -------------------------------------------------------------

const bin = mkdtempSync(join(tmpdir(), 'tsplay-cloudcli-'));
/** a fake CLI: prints its argv (and AWS_PAGER) as JSON, or fails as told by FAKE_RC/FAKE_ERR */
const fake = `#!/bin/sh
if [ -n "$FAKE_ERR" ]; then printf '%s\\n' "$FAKE_ERR" >&2; exit "\${FAKE_RC:-1}"; fi
if [ -n "$FAKE_OUT" ]; then printf '%s\\n' "$FAKE_OUT"; exit 0; fi
exec "${process.execPath}" -e 'process.stdout.write(JSON.stringify({argv: process.argv.slice(1), pager: process.env.AWS_PAGER ?? null}))' -- "$@"
`;
for (const n of ['az', 'aws']) {
  writeFileSync(join(bin, n), fake);
  chmodSync(join(bin, n), 0o755);
}

/** a module context on a FakeHost whose every script really runs in /bin/sh (PATH: the fake CLIs first) */
function ctxWith(env: Record<string, string>, logs: string[] = []): ModuleContext {
  const host = new FakeHost({
    target: { name: 'b1' },
    respond: (command, opts) => {
      const r = spawnSync('/bin/sh', ['-c', command], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env, ...opts.env }, encoding: 'utf8' });
      return { rc: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
  });
  const m = moduleContext(host);
  return { ...m.ctx, log: (msg: string) => void logs.push(msg) };
}

describe('CloudCli', () => {
  it('passes every argument literally: no shell interpolation of names', async () => {
    const nasty = ["it's", '$(touch /tmp/pwned)', '`id`', 'a b', '"q"', '*', ';rm -rf /'];
    const r = await new CloudCli(ctxWith({}), 'az').run<{ argv: string[] }>({ argv: ['vm', 'show', '-n', ...nasty] });
    expect(r!.argv).toEqual(['vm', 'show', '-n', ...nasty, '-o', 'json']);
  });

  it('aws runs with AWS_PAGER="" (no pager around JSON) and the global region/profile', async () => {
    const r = await new CloudCli(ctxWith({}), 'aws', { globalArgs: ['--region', 'eu-west-1'] }).run<{ argv: string[]; pager: string | null }>({
      argv: ['ec2', 'describe-images'],
    });
    expect(r).toEqual({ argv: ['ec2', 'describe-images', '--region', 'eu-west-1', '--output', 'json'], pager: '' });
  });

  it('the program is missing: which machine, which PATH, which user', async () => {
    const c = new CloudCli(ctxWith({ PATH: '/usr/bin/nonexistent' }), 'az');
    const e = await c.preflight().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleError);
    const host = spawnSync('uname', ['-n'], { encoding: 'utf8' }).stdout.trim();
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    expect((e as Error).message).toBe(`the Azure CLI (az) is not installed on ${host} (not found in PATH=/usr/bin/nonexistent of user ${user})`);
    const e2 = await new CloudCli(ctxWith({ PATH: '/usr/bin/nonexistent' }), 'aws').preflight().catch((x: unknown) => x);
    expect((e2 as Error).message).toMatch(/^the AWS CLI \(aws\) is not installed on /);
  });

  it('not logged in: `az account show` fails → run `az login` as USER', async () => {
    const c = new CloudCli(ctxWith({ FAKE_ERR: real('not logged in').stderr.trim(), FAKE_RC: '1' }), 'az');
    const e = await c.preflight().catch((x: unknown) => x);
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    expect((e as Error).message).toMatch(new RegExp(`^az: not logged in, run \`az login\` as ${user} \\(on .+\\): Please run 'az login' to setup account\\.$`));
  });

  it('aws without credentials', async () => {
    const r = real('no credentials (awscli 2.9)');
    const e = await new CloudCli(ctxWith({ FAKE_ERR: r.stderr.trim(), FAKE_RC: String(r.rc) }), 'aws')
      .run({ argv: ['ec2', 'describe-images'] })
      .catch((x: unknown) => x);
    expect((e as Error).message).toMatch(
      /^aws: Unable to locate credentials for \S+ on \S+: run `aws configure` as \S+, set AWS_PROFILE, or give the host an instance profile$/,
    );
    expect((e as ModuleError).rc).toBe(253);
  });

  it('not found: an error naming the resource, or null with notFoundOk', async () => {
    const err = "ERROR: (ResourceNotFound) The Resource 'Microsoft.Compute/images/golden' under resource group 'rg' was not found.\nCode: ResourceNotFound";
    const c = new CloudCli(ctxWith({ FAKE_ERR: err, FAKE_RC: '3' }), 'az');
    expect(await c.run({ argv: ['image', 'show', '-g', 'rg', '-n', 'golden'], notFoundOk: true })).toBeNull();
    const e = await c.run({ argv: ['image', 'show', '-g', 'rg', '-n', 'golden'], what: "image 'golden'" }).catch((x: unknown) => x);
    expect((e as Error).message).toBe(
      "az: image 'golden' not found (ResourceNotFound): (ResourceNotFound) The Resource 'Microsoft.Compute/images/golden' under resource group 'rg' was not found.",
    );
  });

  it('rejected arguments and other failures name the subcommand', async () => {
    const u = real('unknown option');
    const e = await new CloudCli(ctxWith({ FAKE_ERR: u.stderr, FAKE_RC: String(u.rc) }), 'az')
      .run({ argv: ['image', 'create', '-g', 'rg'] })
      .catch((x: unknown) => x);
    expect((e as Error).message).toBe('az rejected the command line of `az image create` (an older az?): unrecognized arguments: --bogus');
    const d = real('packaging defect (Debian azure-cli 2.45)');
    const e2 = await new CloudCli(ctxWith({ FAKE_ERR: d.stderr, FAKE_RC: '1' }), 'az')
      .run({ argv: ['vm', 'deallocate', '-g', 'rg', '-n', 'b1'], what: "VM 'b1'" })
      .catch((x: unknown) => x);
    expect((e2 as Error).message).toBe("`az vm deallocate` failed (rc=1) for VM 'b1': No module named 'azure.mgmt.compute.v2022_11_01'");
  });

  it('output that is not JSON is an error; empty output is null', async () => {
    const e = await new CloudCli(ctxWith({ FAKE_OUT: 'Name    ResourceGroup\n----' }), 'az').run({ argv: ['vm', 'list'] }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/^az vm list: the output is not JSON: Name/);
    expect(await new CloudCli(ctxWith({ FAKE_OUT: ' ' }), 'az').run({ argv: ['vm', 'generalize'] })).toBeNull();
  });

  it('logs each command line (tsplay -vv)', async () => {
    const logs: string[] = [];
    await new CloudCli(ctxWith({}, logs), 'az').run({ argv: ['account', 'show'] });
    expect(logs).toEqual(['az: az account show -o json']);
  });
});
