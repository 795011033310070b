/**
 * The command lines tsplay generates are accepted by the REAL CLIs' own argument parsers (Debian's
 * azure-cli 2.45 and awscli 2.9, installed by .ci/run). The command lines are the ones tsplay actually ran
 * in image.yml flows against the recording stand-ins; each is replayed here against /usr/bin/az and
 * /usr/bin/aws with an empty HOME, no credentials and no network (timeouts; IMDS and telemetry off):
 *  - az: accepted = it parses, then asks for `az login` (rc 1). Negative controls show that a bad option
 *    ("unrecognized arguments", rc 2) or a missing one ("the following arguments are required") is
 *    reported before the login check, so the login message does mean the line parsed.
 *  - az vm start|stop|deallocate|generalize and az image show die in Debian's package with "No module named
 *    'azure.mgmt.compute.v2022_11_01'" BEFORE parsing (a packaging defect): for those the stand-in's option
 *    table is the only check of the arguments — asserted here so a fixed package makes this test say so.
 *  - aws: accepted = "Unable to locate credentials" (rc 253 in awscli 2.9; v1 used 255); a bad option is
 *    rc 252 "Unknown options", a missing one rc 252 "the following arguments are required".
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIX, loadState, runWithStandins, type LogEntry } from '../fixtures/image/standin-run.js';

const AZ = '/usr/bin/az';
const AWS = '/usr/bin/aws';
const DEFECT = /^(vm (start|stop|deallocate|generalize)|image show)$/;
const DEFECT_MSG = "No module named 'azure.mgmt.compute.v2022_11_01'";

interface Out {
  rc: number;
  stdout: string;
  stderr: string;
}

const home = mkdtempSync(join(tmpdir(), 'tsplay-realcli-'));
const ENV: Record<string, string> = {
  PATH: '/usr/bin:/bin',
  HOME: home,
  AZURE_CONFIG_DIR: join(home, '.azure'),
  AZURE_CORE_COLLECT_TELEMETRY: 'no',
  AZURE_CORE_NO_COLOR: '1',
  AZURE_CORE_SURVEY_MESSAGE: 'no',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(home, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
  AWS_PAGER: '',
  LC_ALL: 'C.UTF-8',
};

function runReal(bin: string, argv: string[]): Promise<Out> {
  return new Promise((res, rej) => {
    const c = spawn(bin, argv, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout.on('data', (b: Buffer) => out.push(b));
    c.stderr.on('data', (b: Buffer) => err.push(b));
    c.on('error', rej);
    c.on('close', (code, sig) => res({ rc: code ?? (sig ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

async function pmap<T, R>(xs: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < xs.length) {
        const k = i++;
        out[k] = await f(xs[k]!);
      }
    }),
  );
  return out;
}

const sub = (argv: string[]) => argv.filter((a, i) => !a.startsWith('-') && argv.slice(0, i).every((b) => !b.startsWith('-'))).join(' ');

/** every distinct argv tsplay sent to az / aws in the flows below */
const generated: { az: string[][]; aws: string[][] } = { az: [], aws: [] };

beforeAll(async () => {
  for (const [bin, pkg] of [
    [AZ, 'azure-cli'],
    [AWS, 'awscli'],
  ]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install -y --no-install-recommends ${pkg} (as .ci/run does)`);
  }
  // one az run first builds az's command index in the empty config dir (concurrent first runs each rebuild it)
  await runReal(AZ, ['account', 'show', '-o', 'json']);
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-parsers-'));
  const azvm = join(dir, 'azvm.yml');
  writeFileSync(
    azvm,
    `- hosts: localhost
  gather_facts: false
  tasks:
    - azure_vm: { resource_group: rg-lab, name: vm1, state: started, subscription: HPC, poll_interval: 0, timeout: 30 }
      environment: "{{ image_cli_environment }}"
    - azure_vm: { resource_group: rg-lab, name: vm1, state: deallocated, poll_interval: 0, timeout: 30 }
      environment: "{{ image_cli_environment }}"
`,
  );
  const vmDeallocated = (s: Record<string, unknown>) => (((s as { vms: Record<string, { power: string }> }).vms['rg-lab/vm1']!.power = 'deallocated'), s);
  const runs = await Promise.all([
    runWithStandins(
      ['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-builder.yml'), '-i', 'inventory/lab/', '--limit', 'image_builders', '--tags', 'capture'],
      { state: loadState('lab-azure-state.json') },
    ),
    runWithStandins(
      [
        'run',
        'playbooks/image.yml',
        '-i',
        join(FIX, 'standin-builder.yml'),
        '-i',
        'inventory/lab/',
        '--limit',
        'image_builders',
        '--tags',
        'capture',
        '-e',
        'azure_subscription=HPC',
      ],
      { state: loadState('lab-azure-state.json') },
    ),
    runWithStandins(['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-managed.yml'), '--tags', 'capture'], {
      state: { ...loadState('lab-azure-state.json'), vms: { 'rg-lab/vm1': { location: 'westeurope', power: 'running', hyperV: 'V2' } } },
    }),
    runWithStandins(['run', azvm, '-i', 'localhost,'], { state: vmDeallocated(loadState('lab-azure-state.json')) }),
    runWithStandins(['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-aws.yml'), '--tags', 'capture'], { state: loadState('lab-aws-state.json') }),
    runWithStandins(
      ['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-aws.yml'), '--tags', 'capture', '-e', 'aws_no_reboot=true', '-e', 'aws_profile=hpc'],
      { state: loadState('lab-aws-state.json') },
    ),
  ]);
  for (const r of runs) if (r.code !== 0) throw new Error(`stand-in flow failed:\n${r.all}`);
  const seen = new Set<string>();
  for (const e of runs.flatMap((r) => r.log) as LogEntry[]) {
    if (!e.argv) continue;
    const k = JSON.stringify([e.cli, e.argv]);
    if (!seen.has(k)) {
      seen.add(k);
      generated[e.cli].push(e.argv);
    }
  }
}, 300_000);

describe('az (Debian azure-cli 2.45)', () => {
  it('tsplay generated every az subcommand of the pipeline', () => {
    expect([...new Set(generated.az.map(sub))].sort()).toEqual([
      'account show',
      'image create',
      'image show',
      'sig image-definition show',
      'sig image-version create',
      'sig image-version list',
      'sig image-version show',
      'vm deallocate',
      'vm generalize',
      'vm get-instance-view',
      'vm start',
    ]);
  });

  it('each generated command line parses (then asks for az login); the defective subcommands are only checked by the stand-in', async () => {
    const results = await pmap(generated.az, 2, (argv) => runReal(AZ, argv));
    const parsed: string[] = [];
    const defective: string[] = [];
    generated.az.forEach((argv, i) => {
      const r = results[i]!;
      const line = `az ${argv.join(' ')}`;
      expect(r.stderr, line).not.toMatch(/unrecognized arguments|the following arguments are required|expected one argument|invalid choice/);
      if (DEFECT.test(sub(argv))) {
        // Debian's package cannot even load these commands: the stand-in's option table is the only check
        expect(r.stderr, line).toContain(DEFECT_MSG);
        defective.push(sub(argv));
      } else {
        expect(r.rc, `${line}\n${r.stderr}`).toBe(1);
        expect(r.stderr, line).toContain("Please run 'az login' to setup account.");
        parsed.push(line);
      }
    });
    expect(parsed.length).toBeGreaterThanOrEqual(12);
    console.log(`az: ${parsed.length} generated command lines parsed, ${defective.length} only checked by the stand-in`);
    expect([...new Set(defective)].sort()).toEqual(['image show', 'vm deallocate', 'vm generalize', 'vm start']);
  }, 300_000);

  it('controls: a bad or missing argument is reported before the login check', async () => {
    const create = generated.az.find((a) => sub(a) === 'sig image-version create')!;
    const bad = await runReal(AZ, [...create, '--bogus-option', 'x']);
    expect(bad.rc).toBe(2);
    expect(bad.stderr).toMatch(/unrecognized arguments: --bogus-option x/);
    const i = create.indexOf('--gallery-image-version');
    const missing = await runReal(AZ, [...create.slice(0, i), ...create.slice(i + 2)]);
    expect(missing.rc).toBe(2);
    expect(missing.stderr).toMatch(/the following arguments are required: --gallery-image-version\/-e/);
    const imageCreate = generated.az.find((a) => sub(a) === 'image create')!;
    const badGen = await runReal(
      AZ,
      imageCreate.map((a) => (a === 'V2' ? 'V7' : a)),
    );
    expect(badGen.rc).toBe(2);
    expect(badGen.stderr).toMatch(/argument --hyper-v-generation: invalid choice: 'V7'|'V7' is not a valid value for '--hyper-v-generation'/);
  }, 120_000);
});

describe('aws (Debian awscli 2.9)', () => {
  it('tsplay generated every aws subcommand of the pipeline', () => {
    expect([...new Set(generated.aws.map(sub))].sort()).toEqual([
      'ec2 create-image',
      'ec2 describe-images',
      'ec2 describe-instances',
      'ec2 wait image-available',
    ]);
  });

  it('each generated command line parses: only "Unable to locate credentials" (rc 253)', async () => {
    // a profile that does not exist would fail earlier ("could not be found"): give the one tsplay named
    writeFileSync(ENV.AWS_CONFIG_FILE!, '[profile hpc]\nregion = eu-west-1\n');
    const results = await pmap(generated.aws, 4, (argv) => runReal(AWS, argv));
    generated.aws.forEach((argv, i) => {
      const r = results[i]!;
      const line = `aws ${argv.join(' ')}`;
      expect(r.stderr.trim(), line).toBe('Unable to locate credentials. You can configure credentials by running "aws configure".');
      expect(r.rc, line).toBe(253);
    });
    expect(generated.aws.some((a) => a.includes('--no-reboot'))).toBe(true);
    expect(generated.aws.some((a) => a.includes('--reboot'))).toBe(true);
  }, 300_000);

  it('controls: an unknown option is rc 252 "Unknown options", a missing one rc 252', async () => {
    const create = generated.aws.find((a) => sub(a) === 'ec2 create-image')!;
    const bad = await runReal(AWS, [...create, '--bogus-option']);
    expect(bad.rc).toBe(252);
    expect(bad.stderr).toMatch(/Unknown options: --bogus-option/);
    const i = create.indexOf('--name');
    const missing = await runReal(AWS, [...create.slice(0, i), ...create.slice(i + 2)]);
    expect(missing.rc).toBe(252);
    expect(missing.stderr).toMatch(/the following arguments are required: --name/);
  }, 120_000);
});
