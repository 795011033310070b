/**
 * tsplay power on AWS, without a lab: the aws RECORDING STAND-IN (test/fixtures/image/standin/aws, not AWS)
 * on PATH and a recording scontrol. Resume = ec2 start-instances (RequestLimitExceeded retried with back-off),
 * a failure after the start = ec2 stop-instances (never terminate-instances), suspend = stop-instances and the
 * final state verified by describe-instances; an instance already running is not started again. Then every
 * argv tsplay sent is given to the real aws CLI (awscli 2, as in image-parsers.test.ts): with no credentials
 * and no network it must get as far as "Unable to locate credentials", i.e. its parser accepted the line.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/power/config.js';
import { readLog } from '../../src/power/log.js';
import { PowerWorker } from '../../src/power/worker.js';

const STANDIN = resolve(import.meta.dirname, '../fixtures/image/standin');
const REAL_AWS = '/usr/bin/aws';
const d = mkdtempSync(join(tmpdir(), 'tsplay-power-aws-'));
const saved = { ...process.env };
const scontrolLog = join(d, 'scontrol.log');
const awsLog = join(d, 'aws.jsonl');
const statePath = join(d, 'state.json');
const I1 = 'i-0a1b2c3d4e5f60001';
const I2 = 'i-0a1b2c3d4e5f60002';
const I10 = 'i-0a1b2c3d4e5f60010';

beforeAll(() => {
  writeFileSync(
    join(d, 'scontrol'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${scontrolLog}'\n[ "$1 $2 $3" = '-o show node' ] && echo "NodeName=$4 State=DOWN+CLOUD+POWERED_DOWN Reason=x"\nexit 0\n`,
  );
  chmodSync(join(d, 'scontrol'), 0o755);
  writeFileSync(scontrolLog, '');
  writeFileSync(awsLog, '');
  writeFileSync(
    statePath,
    JSON.stringify({
      images: {},
      instances: {
        [I1]: { state: 'stopped', throttle: 2 },
        [I2]: { state: 'running' },
        [I10]: { state: 'running' },
      },
      transitionPolls: 1,
    }),
  );
  // sshd "never answers": port 1 on localhost refuses at once
  writeFileSync(
    join(d, 'inv.yml'),
    `all:\n  vars: { aws_region: eu-west-1, ansible_host: 127.0.0.1, ansible_port: 1, ansible_user: nobody }\n  hosts:\n    aws1: { aws_instance_id: ${I1} }\n    aws2: { aws_instance_id: ${I2}, aws_profile: hpc }\n    aws10: { aws_instance_id: ${I10} }\n`,
  );
  writeFileSync(join(d, 'pb.yml'), '- hosts: all\n  gather_facts: false\n  tasks: []\n');
  Object.assign(process.env, {
    PATH: `${STANDIN}:${process.env.PATH}`,
    TSPLAY_STANDIN_STATE: statePath,
    TSPLAY_STANDIN_LOG: awsLog,
    TSPLAY_STANDIN_NODE: process.execPath,
  });
});
afterAll(() => {
  process.env = saved;
});

const cfg = () =>
  parseConfig(
    `inventory: inv.yml\nplaybook: pb.yml\nlog: power.jsonl\nstate_dir: state\nscontrol: ${join(d, 'scontrol')}\nresume_deadline: 3\nsuspend_deadline: 10\nfail_backoff: 0\nretry: { attempts: 4, base_s: 0.05, max_s: 0.1 }\naws: { poll_interval: 0.05 }\n`,
    join(d, 'power.yml'),
  );
const calls = () =>
  readFileSync(awsLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { argv?: string[]; violation?: string });
const argvs = () => calls().flatMap((c) => (c.argv ? [c.argv] : []));
const state = () => (JSON.parse(readFileSync(statePath, 'utf8')) as { instances: Record<string, { state: string }> }).instances;

describe('tsplay power on AWS (aws stand-in, recording scontrol)', () => {
  it('resume: start-instances retried on RequestLimitExceeded, SSH failure → DOWN with the step, stop-instances, never terminate', async () => {
    const rc = await new PowerWorker({ op: 'resume', hostlist: 'aws1', cfg: cfg(), run: 'a1', t0: Date.now() }).run();
    expect(rc).toBe(1);
    const log = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'a1');
    expect(log.find((r) => r.step === 'map')).toMatchObject({ provider: 'aws', vm: `eu-west-1/${I1}` });
    expect(log.filter((r) => r.step === 'retry').map((r) => r.call)).toEqual(['ec2 start-instances', 'ec2 start-instances']);
    expect(log.find((r) => r.step === 'wait-running')!.outcome).toBe('ok');
    expect(log.find((r) => r.step === 'failed')!.failed_step).toBe('ssh');
    expect(readFileSync(scontrolLog, 'utf8')).toMatch(/^update nodename=aws1 state=down reason=tsplay: ssh: /m);
    const a = argvs().map((x) => x.join(' '));
    expect(a.filter((x) => x.startsWith('ec2 start-instances'))).toEqual(
      Array(3).fill(`ec2 start-instances --instance-ids ${I1} --region eu-west-1 --output json`),
    );
    expect(a).toContain(`ec2 stop-instances --instance-ids ${I1} --region eu-west-1 --output json`);
    expect(a.some((x) => /terminate/.test(x))).toBe(false);
    expect(calls().filter((c) => c.violation)).toEqual([]);
    expect(state()[I1]!.state).toBe('stopped');
  });

  it('resume of a running instance starts nothing; suspend stops it (the profile passed) and verifies "stopped"', async () => {
    writeFileSync(awsLog, '');
    await new PowerWorker({ op: 'resume', hostlist: 'aws2', cfg: cfg(), run: 'a2', t0: Date.now() }).run();
    expect(argvs().some((x) => x[1] === 'start-instances')).toBe(false);
    const log2 = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'a2');
    expect(log2.find((r) => r.step === 'start')!.outcome).toBe('skip');
    writeFileSync(awsLog, '');
    const rc = await new PowerWorker({ op: 'suspend', hostlist: 'aws10', cfg: cfg(), run: 'a3', t0: Date.now() }).run();
    expect(rc).toBe(0);
    const log = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'a3');
    expect(log.find((r) => r.step === 'verify')).toMatchObject({ outcome: 'ok', power: 'deallocated' });
    expect(argvs().map((x) => x.join(' '))).toContain(`ec2 stop-instances --instance-ids ${I10} --region eu-west-1 --output json`);
    expect(state()[I10]!.state).toBe('stopped');
    // aws2's calls carried its profile
    expect(readFileSync(join(d, 'power.jsonl'), 'utf8')).toMatch(new RegExp(`describe-instances --instance-ids ${I2} --region eu-west-1 --profile hpc`));
  });

  it.skipIf(!existsSync(REAL_AWS))(
    'the real aws CLI parses every command line tsplay power sent (it stops at the missing credentials)',
    async () => {
      const lines = readLog(join(d, 'power.jsonl'))
        .filter((r) => r.step === 'aws' && typeof r.argv === 'string')
        .map((r) => String(r.argv));
      const distinct = [...new Set(lines)];
      expect(distinct.some((l) => l.includes('start-instances'))).toBe(true);
      expect(distinct.some((l) => l.includes('stop-instances'))).toBe(true);
      expect(distinct.some((l) => l.includes('describe-instances'))).toBe(true);
      const home = mkdtempSync(join(tmpdir(), 'tsplay-realaws-'));
      // the profile is given on the command line: the real CLI needs it in its config file to get that far
      writeFileSync(join(home, 'config'), '[profile hpc]\nregion = eu-west-1\n');
      for (const line of distinct) {
        // the logged line is the shell-quoted argv (shJoin): ids, regions and names need no quotes here
        const argv = line
          .split(' ')
          .slice(1)
          .map((w) => w.replace(/^'(.*)'$/, '$1'));
        const r = await new Promise<{ rc: number; stderr: string }>((res, rej) => {
          const c = spawn(REAL_AWS, argv, {
            env: {
              PATH: '/usr/bin:/bin',
              HOME: home,
              AWS_EC2_METADATA_DISABLED: 'true',
              AWS_CONFIG_FILE: join(home, 'config'),
              AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
              AWS_PAGER: '',
              LC_ALL: 'C.UTF-8',
            },
            stdio: ['ignore', 'ignore', 'pipe'],
            timeout: 60_000,
          });
          let err = '';
          c.stderr.on('data', (b: Buffer) => (err += b.toString()));
          c.on('error', rej);
          c.on('close', (code) => res({ rc: code ?? 1, stderr: err }));
        });
        expect(r.stderr.trim(), line).toBe('Unable to locate credentials. You can configure credentials by running "aws configure".');
      }
    },
    120_000,
  );
});
