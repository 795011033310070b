/**
 * The power worker without a lab: the az RECORDING STAND-IN (test/fixtures/image/standin/) on PATH and a
 * recording scontrol script. Throttled calls are retried, an unknown node and a failed step set the node DOWN
 * with tsplay's reason at once, the VM is deallocated and the node returned to service; suspend never runs
 * `az vm stop` and verifies the final power state.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/power/config.js';
import { readLog } from '../../src/power/log.js';
import { PowerWorker } from '../../src/power/worker.js';

const STANDIN = resolve(import.meta.dirname, '../fixtures/image/standin');
const d = mkdtempSync(join(tmpdir(), 'tsplay-power-worker-'));
const saved = { ...process.env };
const scontrolLog = join(d, 'scontrol.log');
const azLog = join(d, 'az.jsonl');
const statePath = join(d, 'state.json');

beforeAll(() => {
  // the node is DOWN for Slurm (what `show node` answers), every call recorded
  writeFileSync(
    join(d, 'scontrol'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${scontrolLog}'\n[ "$1 $2 $3" = '-o show node' ] && echo "NodeName=$4 State=DOWN+CLOUD+POWERED_DOWN Reason=x"\nexit 0\n`,
  );
  chmodSync(join(d, 'scontrol'), 0o755);
  writeFileSync(scontrolLog, '');
  writeFileSync(azLog, '');
  writeFileSync(
    statePath,
    JSON.stringify({
      loggedIn: true,
      account: { id: 'sub-1', name: 'lab', tenantId: 't', user: 'sp' },
      resourceGroups: { 'rg-burst': { location: 'westeurope' } },
      vms: {
        'rg-burst/vm-cloud1': { location: 'westeurope', power: 'deallocated', throttle: 2 },
        'rg-burst/vm-cloud10': { location: 'westeurope', power: 'running' },
      },
      images: {},
      transitionPolls: 1,
    }),
  );
  // sshd "never answers": port 1 on localhost refuses at once
  writeFileSync(
    join(d, 'inv.yml'),
    `all:\n  vars: { azure_resource_group: rg-burst, ansible_host: 127.0.0.1, ansible_port: 1, ansible_user: nobody }\n  hosts:\n    cloud1: { azure_vm_name: vm-cloud1 }\n    cloud10: { azure_vm_name: vm-cloud10 }\n`,
  );
  writeFileSync(join(d, 'pb.yml'), '- hosts: all\n  gather_facts: false\n  tasks: []\n');
  Object.assign(process.env, {
    PATH: `${STANDIN}:${process.env.PATH}`,
    TSPLAY_STANDIN_STATE: statePath,
    TSPLAY_STANDIN_LOG: azLog,
    TSPLAY_STANDIN_NODE: process.execPath,
  });
});
afterAll(() => {
  process.env = saved;
});

const cfg = () =>
  // resume_deadline covers the az stand-in's calls (a process each: slow on a loaded machine) and the SSH wait
  parseConfig(
    `inventory: inv.yml\nplaybook: pb.yml\nlog: power.jsonl\nstate_dir: state\nscontrol: ${join(d, 'scontrol')}\nresume_deadline: 8\nsuspend_deadline: 10\nfail_backoff: 0\nretry: { attempts: 4, base_s: 0.05, max_s: 0.1 }\naz: { poll_interval: 0.05 }\n`,
    join(d, 'power.yml'),
  );
const azCalls = () =>
  readFileSync(azLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { argv?: string[] }).argv?.join(' ') ?? '');

describe('power worker (az stand-in, recording scontrol)', () => {
  it('resume: unknown node and an SSH timeout are DOWN with the step, throttled starts retried, VM deallocated, node back', async () => {
    const rc = await new PowerWorker({ op: 'resume', hostlist: 'cloud[1,2]', cfg: cfg(), run: 'u1', t0: Date.now() }).run();
    expect(rc).toBe(1);
    const log = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'u1');
    expect(log.find((r) => r.step === 'expand')!.nodes).toEqual(['cloud1', 'cloud2']);
    expect(log.filter((r) => r.step === 'retry' && r.node === 'cloud1')).toHaveLength(2);
    expect(log.find((r) => r.step === 'failed' && r.node === 'cloud1')!.failed_step).toBe('ssh');
    const sc = readFileSync(scontrolLog, 'utf8');
    expect(sc).toMatch(/^update nodename=cloud2 state=down reason=tsplay: map: node cloud2 is not in the inventory$/m);
    expect(sc).toMatch(/^update nodename=cloud1 state=down reason=tsplay: ssh: sshd on 127\.0\.0\.1:1 did not answer/m);
    expect(sc).toMatch(/^update nodename=cloud1 state=power_down_force$/m);
    expect(sc).toMatch(/^update nodename=cloud1 state=resume$/m);
    const calls = azCalls();
    expect(calls.filter((c) => c.startsWith('vm start -g rg-burst -n vm-cloud1'))).toHaveLength(3); // 2 throttled + 1
    expect(calls.some((c) => c.startsWith('vm deallocate -g rg-burst -n vm-cloud1 --no-wait'))).toBe(true);
    // exact mapping: cloud10's VM was never touched by cloud1's resume
    expect(calls.some((c) => c.includes('vm-cloud10'))).toBe(false);
    expect((JSON.parse(readFileSync(statePath, 'utf8')) as { vms: Record<string, { power: string }> }).vms['rg-burst/vm-cloud1']!.power).toBe('deallocated');
  }, 30_000);

  it('suspend: slurmd unreachable is logged, the VM deallocated (never az vm stop) and verified', async () => {
    const rc = await new PowerWorker({ op: 'suspend', hostlist: 'cloud10', cfg: cfg(), run: 'u2', t0: Date.now() }).run();
    expect(rc).toBe(0);
    const log = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'u2');
    expect(log.find((r) => r.step === 'slurmd-stop')!.outcome).toBe('fail');
    expect(log.find((r) => r.step === 'verify')).toMatchObject({ outcome: 'ok', power: 'deallocated' });
    expect(azCalls().some((c) => c.startsWith('vm stop'))).toBe(false);
    // a second suspend finds it deallocated and does not call deallocate again
    await new PowerWorker({ op: 'suspend', hostlist: 'cloud10', cfg: cfg(), run: 'u3', t0: Date.now() }).run();
    expect(readLog(join(d, 'power.jsonl')).find((r) => r.run === 'u3' && r.step === 'deallocate')!.outcome).toBe('skip');
  }, 30_000);

  it('fail (ResumeFailProgram): the VM deallocated, then the node back in service (state=resume) after its back-off', async () => {
    const st = JSON.parse(readFileSync(statePath, 'utf8')) as { vms: Record<string, { power: string }> };
    st.vms['rg-burst/vm-cloud1']!.power = 'running';
    writeFileSync(statePath, JSON.stringify(st));
    writeFileSync(scontrolLog, '');
    const rc = await new PowerWorker({ op: 'fail', hostlist: 'cloud1', cfg: cfg(), run: 'u4', t0: Date.now() }).run();
    expect(rc).toBe(0);
    const log = readLog(join(d, 'power.jsonl')).filter((r) => r.run === 'u4');
    expect(log.map((r) => r.step).filter((x) => ['deallocate', 'verify', 'backoff'].includes(x))).toEqual(['deallocate', 'verify', 'backoff']);
    // the second failure in a row (the resume test failed it once)
    expect(log.find((r) => r.step === 'backoff')!.failures).toBe(2);
    expect(readFileSync(scontrolLog, 'utf8')).toBe('-o show node cloud1\nupdate nodename=cloud1 state=resume\n');
    expect(log.find((r) => r.step === 'return')!.outcome).toBe('ok');
  }, 30_000);
});
