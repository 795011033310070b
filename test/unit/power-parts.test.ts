/** tsplay power without a lab: resume-file parsing, node → VM mapping, the log format, back-off, Slurm output. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/config/inventory/index.js';
import { parseConfig } from '../../src/power/config.js';
import { filterLog, formatRecord, parseLog, parseSince, PowerLog } from '../../src/power/log.js';
import { mapNode, mapNodes, vmLabel } from '../../src/power/nodemap.js';
import { copyResumeFile, parseResumeFile } from '../../src/power/resume-file.js';
import { backoffDelay, failBackoff, isThrottled, pool, withRetry } from '../../src/power/retry.js';
import { parseShowNode, slurmReason } from '../../src/power/slurm.js';
import { bumpFailures, tryLock } from '../../src/power/worker.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsplay-power-unit-'));

describe('SLURM_RESUME_FILE', () => {
  it('reads the 23.02+ names (all_nodes_resume, nodes_resume)', () => {
    const r = parseResumeFile(
      JSON.stringify({
        all_nodes_resume: 'cloud[1-3,7-8]',
        jobs: [
          {
            extra: null,
            features: 'cloud',
            job_id: 42,
            nodes_alloc: 'cloud[1-3]',
            nodes_resume: 'cloud[1-2]',
            oversubscribe: 'OK',
            partition: 'azure',
            reservation: null,
          },
        ],
      }),
    );
    expect(r).toEqual({
      all_nodes_resume: 'cloud[1-3,7-8]',
      jobs: [{ job_id: 42, partition: 'azure', nodes_resume: 'cloud[1-2]', nodes_alloc: 'cloud[1-3]', features: 'cloud' }],
    });
  });

  it('reads the 22.05 names (all_nodes, nodes) and tolerates missing jobs', () => {
    expect(parseResumeFile('{"all_nodes":"n[1-2]","jobs":[{"job_id":7,"nodes":"n1"}]}')).toEqual({
      all_nodes_resume: 'n[1-2]',
      jobs: [{ job_id: 7, nodes_resume: 'n1', partition: undefined, nodes_alloc: undefined, features: undefined }],
    });
    expect(parseResumeFile('{"all_nodes_resume":"n1"}').jobs).toEqual([]);
    expect(() => parseResumeFile('[1]')).toThrow(/not a JSON object/);
  });

  it('is copied first (slurmctld removes it): the copy is 0600 in the state dir; no file, no copy', () => {
    const d = tmp();
    const src = join(d, 'fd3');
    writeFileSync(src, '{"all_nodes_resume":"cloud1","jobs":[]}');
    const copy = copyResumeFile(src, join(d, 'state'), 'abc')!;
    expect(copy).toBe(join(d, 'state', 'resume-abc.json'));
    expect(readFileSync(copy, 'utf8')).toContain('cloud1');
    expect(copyResumeFile(undefined, d, 'x')).toBeUndefined();
    expect(copyResumeFile(join(d, 'gone'), d, 'x')).toBeUndefined();
  });
});

describe('node → VM', () => {
  it('maps exactly by inventory name: cloud1 is never cloud10..cloud19 (DTU\'s grep "^$node")', async () => {
    const d = tmp();
    const hosts = ['cloud1', ...Array.from({ length: 10 }, (_, i) => `cloud1${i}`)];
    writeFileSync(
      join(d, 'inv.yml'),
      `all:\n  vars:\n    azure_resource_group: rg-burst\n  hosts:\n${hosts.map((h) => `    ${h}: { azure_vm_name: vm-${h} }\n`).join('')}    nameless: {}\n`,
    );
    const inv = await loadInventory([join(d, 'inv.yml')]);
    const m = mapNode(inv, 'cloud1');
    expect(m).toEqual({ ok: true, vm: { node: 'cloud1', provider: 'azure', name: 'vm-cloud1', resource_group: 'rg-burst', subscription: undefined } });
    const all = mapNodes(inv, ['cloud1', 'cloud15', 'cloud2', 'nameless']);
    expect(all.map((r) => (r.ok ? vmLabel(r.vm) : r.error))).toEqual([
      'rg-burst/vm-cloud1',
      'rg-burst/vm-cloud15',
      'node cloud2 is not in the inventory',
      'node nameless has no azure_vm_name (nor aws_instance_id) in the inventory',
    ]);
  });

  it('AWS: aws_instance_id (+ aws_region, aws_profile) per host, exactly; a bad id or both providers is an error for that node', async () => {
    const d = tmp();
    writeFileSync(
      join(d, 'inv.yml'),
      `all:\n  vars: { aws_region: eu-west-1 }\n  hosts:\n    aws1: { aws_instance_id: i-0123456789abcdef0 }\n    aws10: { aws_instance_id: i-01234567, aws_profile: hpc }\n    bad: { aws_instance_id: vm-1 }\n    both: { aws_instance_id: i-0123456789abcdef1, azure_vm_name: x, azure_resource_group: rg }\n`,
    );
    const inv = await loadInventory([join(d, 'inv.yml')]);
    expect(mapNode(inv, 'aws1')).toEqual({
      ok: true,
      vm: { node: 'aws1', provider: 'aws', instance_id: 'i-0123456789abcdef0', region: 'eu-west-1', profile: undefined },
    });
    expect(mapNodes(inv, ['aws1', 'aws10', 'aws', 'bad', 'both']).map((r) => (r.ok ? vmLabel(r.vm) : r.error))).toEqual([
      'eu-west-1/i-0123456789abcdef0',
      'eu-west-1/i-01234567',
      'node aws is not in the inventory',
      'node bad: aws_instance_id must be an EC2 instance id (i- and 8 or 17 hex digits), not "vm-1"',
      'node both has both aws_instance_id and azure_vm_name in the inventory: one VM per node',
    ]);
  });
});

describe('power log', () => {
  it('one JSON line per step, parsed back; torn lines skipped; readable form', async () => {
    const d = tmp();
    const log = new PowerLog(join(d, 'sub', 'power.jsonl'), 'resume', 'r1');
    log.write({ step: 'call', outcome: 'start', argv: ['resume', 'cloud[1-2]'], hostlist: 'cloud[1-2]' });
    await log.step('az', 'cloud1', { argv: 'az vm start -g rg -n vm-cloud1 --no-wait' }, async () => undefined);
    await expect(log.step('playbook', 'cloud2', {}, () => Promise.reject(new Error('task x:\n  boom')))).rejects.toThrow('boom');
    writeFileSync(join(d, 'sub', 'power.jsonl'), readFileSync(join(d, 'sub', 'power.jsonl'), 'utf8') + '{"t":"2026-01-01T00:0');
    const recs = parseLog(readFileSync(join(d, 'sub', 'power.jsonl'), 'utf8'));
    expect(recs.map((r) => [r.op, r.run, r.step, r.outcome, r.node])).toEqual([
      ['resume', 'r1', 'call', 'start', undefined],
      ['resume', 'r1', 'az', 'ok', 'cloud1'],
      ['resume', 'r1', 'playbook', 'fail', 'cloud2'],
    ]);
    expect(recs[2]!.error).toBe('task x: boom');
    expect(typeof recs[1]!.ms).toBe('number');
    expect(formatRecord({ ...recs[1]!, t: '2026-12-03T07:14:02.113Z', ms: 1234 })).toBe(
      '2026-12-03 07:14:02.113 resume[r1] cloud1 az ok 1.2s argv=az vm start -g rg -n vm-cloud1 --no-wait',
    );
    expect(formatRecord(recs[2]!)).toMatch(/ cloud2 playbook fail \d+\.\ds error: task x: boom$/);
    expect(filterLog(recs, { node: 'cloud1' })).toHaveLength(1);
  });

  it('--since: a duration or a time', () => {
    const now = Date.parse('2026-12-03T08:00:00Z');
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('2026-12-03T07:00:00Z', now)).toBe(Date.parse('2026-12-03T07:00:00Z'));
    expect(() => parseSince('yesterday', now)).toThrow(/--since/);
  });
});

describe('back-off, retries, concurrency', () => {
  it('exponential with jitter, capped', () => {
    const p = { base_s: 2, max_s: 30 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p, () => 0.5))).toEqual([2, 4, 8, 16, 30, 30]);
    expect(backoffDelay(1, p, () => 0)).toBe(1.5);
    expect(backoffDelay(1, p, () => 1)).toBe(2.5);
    expect([0, 1, 2, 3, 10].map((n) => failBackoff(n, 60, 3600))).toEqual([60, 60, 120, 240, 3600]);
  });

  it('throttling is recognised in az and aws messages, other failures are not', () => {
    expect(isThrottled('ERROR: (TooManyRequests) The request is being throttled as the limit has been reached for operation type - Start.')).toBe(true);
    expect(isThrottled('ERROR: (SubscriptionRequestsThrottled) Number of requests for subscription exceeded')).toBe(true);
    expect(isThrottled('An error occurred (RequestLimitExceeded) when calling the RunInstances operation')).toBe(true);
    expect(isThrottled('ERROR: (AllocationFailed) Allocation failed.')).toBe(false);
    expect(isThrottled("ERROR: (ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/x' was not found")).toBe(false);
  });

  it('withRetry retries only what is retryable, up to the attempts', async () => {
    const waits: number[] = [];
    let n = 0;
    const r = await withRetry(
      async () => (++n < 3 ? Promise.reject(new Error('429')) : 'ok'),
      { attempts: 5, base_s: 1, max_s: 4 },
      () => true,
      undefined,
      async (s) => void waits.push(s),
    );
    expect([r, n, waits.length]).toEqual(['ok', 3, 2]);
    n = 0;
    await expect(
      withRetry(
        async () => (++n, Promise.reject(new Error('AllocationFailed'))),
        { attempts: 5, base_s: 0, max_s: 0 },
        () => false,
      ),
    ).rejects.toThrow('AllocationFailed');
    expect(n).toBe(1);
    n = 0;
    await expect(
      withRetry(
        async () => (++n, Promise.reject(new Error('429'))),
        { attempts: 3, base_s: 0, max_s: 0 },
        () => true,
      ),
    ).rejects.toThrow('429');
    expect(n).toBe(3);
  });

  it('pool keeps at most `limit` nodes at once, results in order', async () => {
    let now = 0;
    let peak = 0;
    const r = await pool([5, 1, 4, 2, 3, 6], 2, async (x) => {
      peak = Math.max(peak, ++now);
      await new Promise((res) => setTimeout(res, x * 3));
      now--;
      return x * 10;
    });
    expect(r).toEqual([50, 10, 40, 20, 30, 60]);
    expect(peak).toBe(2);
  });
});

describe('Slurm output and per-node state', () => {
  it('scontrol show node -o: whole-token state flags and the reason', () => {
    const s = parseShowNode(
      'NodeName=cloud1 Arch=x86_64 CoresPerSocket=2 State=IDLE+CLOUD+POWERED_DOWN ThreadsPerCore=1 Reason=(null)\n' +
        'NodeName=cloud2 CoresPerSocket=2 State=DOWN+CLOUD+POWERING_UP Reason=tsplay: start: AllocationFailed [slurm@2026-12-03T07:22:23] Comment=(null)\n',
    );
    expect(s).toEqual([
      { node: 'cloud1', flags: ['IDLE', 'CLOUD', 'POWERED_DOWN'], reason: undefined },
      { node: 'cloud2', flags: ['DOWN', 'CLOUD', 'POWERING_UP'], reason: 'tsplay: start: AllocationFailed [slurm@2026-12-03T07:22:23]' },
    ]);
    expect(slurmReason(`tsplay: playbook: task 'x': "quoted"\nsecond line`)).toBe('tsplay: playbook: task x : quoted second line');
  });

  it('one lock per node; a stale lock (dead pid) is taken over; failures counted', () => {
    const d = tmp();
    const a = tryLock(d, 'cloud1', 'resume');
    expect(a.ok).toBe(true);
    const b = tryLock(d, 'cloud1', 'resume');
    expect(b).toMatchObject({ ok: false, holder: { pid: process.pid, op: 'resume' } });
    if (a.ok) a.release();
    writeFileSync(join(d, 'cloud2.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, op: 'resume' }));
    expect(tryLock(d, 'cloud2', 'suspend').ok).toBe(true);
    expect([bumpFailures(d, 'n1', 1e12), bumpFailures(d, 'n1', 1e12 + 1000), bumpFailures(d, 'n1', 1e12 + 2 * 86_400_000)]).toEqual([1, 2, 1]);
  });

  it('the configuration: defaults, relative paths from the file, bad values refused', () => {
    const c = parseConfig('inventory: inv.yml\nplaybook: /etc/tsplay/cloudnode.yml\nresume_deadline: 100\n', '/etc/tsplay/power.yml');
    expect([c.inventory, c.playbook, c.resume_deadline, c.concurrency, c.log, c.retry.attempts]).toEqual([
      '/etc/tsplay/inv.yml',
      '/etc/tsplay/cloudnode.yml',
      100,
      8,
      '/var/log/tsplay/power.jsonl',
      5,
    ]);
    expect(() => parseConfig('inventory: a\nplaybook: b\nconcurrency: -1\n', '/x.yml')).toThrow(/concurrency/);
    expect(() => parseConfig('playbook: b\n', '/x.yml')).toThrow(/inventory/);
  });
});
