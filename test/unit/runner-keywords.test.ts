/**
 * Task keywords resolved per host, in process: the real loader, inventory and Runner over hosts that are never
 * connected to (the playbooks use controller-side modules only: set_fact, debug, fail; a connection attempt fails
 * the test). What ansible-playbook 2.14 prints for the same playbooks is in the conformance suite
 * (test/fixtures/conformance/keywords-*.yml); here: the per-host policy results, the positions of keyword errors,
 * and where tsplay deliberately differs from Ansible 2.14 (each such test says what Ansible does).
 */
import { describe, expect, it } from 'vitest';
import { resolveKeywords, strictBool } from '../../src/engine/keywords.js';
import { ROOT } from '../../src/engine/context.js';
import { runPlaybook } from '../harness/runner.js';

/** the playbook in process over h1, h2 (or opts.hosts); a connection attempt fails the test */
const run = (playbook: string, opts: { hosts?: Record<string, Record<string, unknown>>; extraVars?: Record<string, unknown> } = {}) =>
  runPlaybook(playbook, { inventory: opts.hosts ?? { h1: {}, h2: {} }, extraVars: opts.extraVars, connections: 'none' });

const play = (tasks: string, head = '') => `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}`;

describe('ignore_errors templated per host (the faults issue, §6)', () => {
  const pb = play(`    - set_fact: {flag: false}
    - name: t
      fail: {msg: boom}
      ignore_errors: "{{ flag }}"
    - name: after
      debug: {msg: reached}
`);
  it('from set_fact: a per-host failure, failed=1, exit 2 (no run abort)', async () => {
    const r = await run(pb);
    expect(r.exitCode).toBe(2);
    expect(r.stats['h1']).toMatchObject({ ok: 1, failed: 1, ignored: 0 });
    expect(r.results('after')).toEqual({});
  });
  it('-e flag=false: the same; -e flag=true: ignored on every host', async () => {
    expect((await run(pb, { extraVars: { flag: 'false' } })).exitCode).toBe(2);
    const r = await run(pb, { extraVars: { flag: 'true' } });
    expect(r.exitCode).toBe(0);
    expect(r.stats['h2']).toMatchObject({ ok: 3, ignored: 1, failed: 0 });
  });
  it('from host variables: each host its own value', async () => {
    const r = await run(
      play(`    - name: t
      fail: {msg: boom}
      ignore_errors: "{{ lenient }}"
`),
      { hosts: { h1: { lenient: true }, h2: { lenient: 'no' } } },
    );
    expect(r.stats['h1']).toMatchObject({ ignored: 1, failed: 0 });
    expect(r.stats['h2']).toMatchObject({ ignored: 0, failed: 1 });
  });
  it('a loop is ignored only when every failed item was', async () => {
    const r = await run(
      play(`    - name: t
      fail: {msg: "{{ item.n }}"}
      loop: [{n: a, i: true}, {n: b, i: "{{ inventory_hostname == 'h1' }}"}]
      ignore_errors: "{{ item.i }}"
`),
    );
    expect(r.stats['h1']).toMatchObject({ ignored: 1, failed: 0 });
    expect(r.stats['h2']).toMatchObject({ ignored: 0, failed: 1 });
  });
});

describe('a keyword that cannot be resolved fails its host, with its position', () => {
  it('undefined ignore_errors: failed with file:line:col, not ignored (Ansible 2.14 ignores it: the unrendered template counts as true)', async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      ignore_errors: "{{ nope }}"
`),
    );
    expect(r.exitCode).toBe(2);
    const [e] = r.results('t')['h1']!;
    expect(e!.status).toBe('failed');
    expect(e!.ignored).toBe(false);
    expect(e!.result.msg).toBe(`${r.file}:6:7: keyword 'ignore_errors' uses an undefined variable: 'nope' is undefined`);
  });
  it('a wrong type names the value', async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      become: "{{ 'maybe' }}"
`),
    );
    expect(r.results('t')['h2']![0]!.result.msg).toMatch(/:6:7: keyword 'become' has an invalid value \(\{\{ 'maybe' \}\}\): 'maybe' is not a boolean/);
  });
  it('an undefined no_log hides the result', async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      no_log: "{{ nope }}"
`),
    );
    const [e] = r.results('t')['h1']!;
    expect(e).toMatchObject({ status: 'failed', noLog: true });
  });
  it('a false condition skips the task before its keywords are resolved', async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      become_user: "{{ nope }}"
      when: false
`),
    );
    expect(r.exitCode).toBe(0);
    expect(r.stats['h1']).toMatchObject({ skipped: 1, failed: 0 });
  });
  it('undefined run_once: each host fails, the run goes on to its recap (Ansible 2.14 aborts the run: "ERROR!", exit 1)', async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      run_once: "{{ nope }}"
`),
    );
    expect(r.exitCode).toBe(2);
    expect(r.stats['h1']).toMatchObject({ failed: 1 });
    expect(r.stats['h2']).toMatchObject({ failed: 1 });
    expect(r.events.at(-1)!.type).toBe('recap');
  });
});

describe('run_once and any_errors_fatal, per host', () => {
  it("run_once: hosts in order up to the first whose run_once is true (ansible-core's linear strategy)", async () => {
    const r = await run(
      play(`    - name: t
      debug: {msg: hi}
      run_once: "{{ inventory_hostname == 'h2' }}"
`),
      { hosts: { h1: {}, h2: {}, h3: {} } },
    );
    expect(Object.keys(r.results('t')).sort()).toEqual(['h1', 'h2']);
  });
  it('any_errors_fatal from a fact: true ends the play', async () => {
    const pb = (v: string) =>
      play(`    - set_fact: {strict: ${v}}
    - name: t
      fail: {msg: boom}
      when: inventory_hostname == 'h1'
      any_errors_fatal: "{{ strict }}"
    - name: after
      debug: {msg: reached}
`);
    const fatal = await run(pb('true'));
    expect(fatal.events.some((e) => e.type === 'no_hosts_remaining')).toBe(true);
    expect(fatal.results('after')).toEqual({});
    // Ansible 2.14 reads the unrendered template here (always true) and ends the play anyway
    const lenient = await run(pb('false'));
    expect(lenient.events.some((e) => e.type === 'no_hosts_remaining')).toBe(false);
    expect(Object.keys(lenient.results('after'))).toEqual(['h2']);
  });
  it("a play's any_errors_fatal holds when a templated ignore_errors is false (Ansible 2.14: any template there disables it)", async () => {
    const r = await run(
      play(
        `    - set_fact: {f: false}
    - name: t
      fail: {msg: boom}
      when: inventory_hostname == 'h1'
      ignore_errors: "{{ f }}"
    - name: after
      debug: {msg: reached}
`,
        '  any_errors_fatal: true\n',
      ),
    );
    expect(r.events.some((e) => e.type === 'no_hosts_remaining')).toBe(true);
    expect(r.results('after')).toEqual({});
  });
});

describe('resolveKeywords', () => {
  const task = { raw: {}, source: { file: 'p.yml', line: 1, col: 1 } };
  const opts = { check: false, diff: true };
  it('inherited values, defaults, the become variables where no keyword is set', () => {
    const k = resolveKeywords(
      task,
      { ...ROOT, become: '{{ b }}', environment: [{ A: '{{ a }}' }, { B: 2, A: 'inner' }] },
      { b: 'yes', a: 'x', ansible_become_user: 'svc' },
      opts,
    );
    expect(k.error).toBeUndefined();
    expect(k.settings).toMatchObject({ become: true, becomeUser: 'svc', diff: true, checkMode: false, environment: { A: 'inner', B: '2' }, attempts: 1 });
  });
  it('until: retries and delay as ansible-core counts them', () => {
    const k = resolveKeywords({ ...task, until: 'x', retries: '{{ r }}', delay: 0 }, ROOT, { r: '2' }, opts);
    expect(k.settings).toMatchObject({ attempts: 3, delaySec: 0 });
    expect(resolveKeywords({ ...task, until: 'x' }, ROOT, {}, opts).settings.attempts).toBe(3);
  });
  it("strict booleans: Ansible's words only", () => {
    for (const v of [true, 1, 'yes', 'On', ' TRUE ', 'y', 't', '1']) expect(strictBool(v)).toBe(true);
    for (const v of [false, 0, 'no', 'off', 'False', 'n', 'f', '0']) expect(strictBool(v)).toBe(false);
    for (const v of ['maybe', '', 2, [], 'truee']) expect(() => strictBool(v)).toThrow(/is not a boolean/);
  });
});
