/**
 * The linear strategy's failure policies, blocks and handlers as ansible-core 2.14 runs them (its own
 * integration targets any_errors_fatal, blocks and handlers check these), through the in-process runner.
 */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';

const play = (tasks: string, head = '', handlers = '') =>
  `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}${handlers ? `  handlers:\n${handlers}` : ''}`;
const msgs = (out: string) => [...out.matchAll(/"msg": "([^"]*)"/g)].map((m) => m[1]);

describe('any_errors_fatal', () => {
  it('a host failing before an always, or in a rescue followed by an always, is spared: the always runs, no NO MORE HOSTS LEFT', async () => {
    const r = await runPlaybook(
      play(
        `    - block:
        - fail: {msg: in block}
      rescue:
        - debug: {msg: rescue start}
        - fail: {msg: in rescue}
        - debug: {msg: never in rescue}
      always:
        - debug: {msg: always ran}
    - debug: {msg: never after}
`,
        '  any_errors_fatal: true\n',
      ),
      { inventory: { h1: {} } },
    );
    expect(msgs(r.output)).toEqual(['in block', 'rescue start', 'in rescue', 'always ran']);
    expect(r.output).not.toContain('NO MORE HOSTS LEFT');
    expect(r.recap['h1']).toMatchObject({ ok: 2, failed: 1, rescued: 1 });
    expect(r.exitCode).toBe(2);
  });

  it('a failure in a nested block reaches the outer always; an unspared failure ends the play for every host', async () => {
    const r = await runPlaybook(
      play(
        `    - block:
        - block:
            - fail: {msg: nested}
          any_errors_fatal: true
      always:
        - debug: {msg: outer always}
        - meta: clear_host_errors
    - name: h1 fails for good
      fail: {msg: fatal}
      when: inventory_hostname == 'h1'
    - debug: {msg: never}
`,
        '  any_errors_fatal: true\n',
      ),
    );
    expect(msgs(r.output).filter((m) => m === 'outer always')).toHaveLength(2);
    expect(r.output).toContain('NO MORE HOSTS LEFT');
    expect(msgs(r.output)).not.toContain('never');
    expect(r.exitCode).toBe(2);
  });

  it('an include_tasks of a missing file fails its host and, with any_errors_fatal, ends the play for all', async () => {
    const r = await runPlaybook(
      play(
        `    - include_tasks: missing.yml
      when: inventory_hostname == 'h2'
    - debug: {msg: never}
`,
        '  any_errors_fatal: true\n',
      ),
    );
    expect(r.output).toContain('on the Ansible Controller.');
    expect(r.output).toContain('NO MORE HOSTS LEFT');
    expect(msgs(r.output)).not.toContain('never');
  });

  it('include_role of a missing role: an error shown, its hosts failed, the others go on', async () => {
    const r = await runPlaybook(
      play(
        `    - include_role: {name: no-such-role}
      when: inventory_hostname == 'h2'
    - debug: {msg: after}
`,
      ),
    );
    expect(r.output).toContain('ERROR! ');
    expect(r.output).toContain("role 'no-such-role' not found");
    expect(Object.keys(r.results('debug'))).toEqual(['h1']);
    expect(r.exitCode).toBe(2);
  });
});

describe('blocks', () => {
  it("meta: clear_host_errors in an always is not undone after it; the exit code counts hosts still failed; a block's notify is inherited", async () => {
    const r = await runPlaybook(
      play(
        `    - block:
        - fail: {msg: boom}
      always:
        - meta: clear_host_errors
    - name: notifying block
      notify: hello
      block:
        - debug: {msg: trigger}
          changed_when: true
    - meta: flush_handlers
    - assert: {that: [hello is defined]}
`,
        '',
        `    - name: hello
      set_fact: {hello: world}
`,
      ),
      { inventory: { h1: {} }, verbosity: 2 },
    );
    expect(r.output).toContain('TASK [meta]');
    expect(r.output).toContain('META: cleared host errors');
    expect(r.output).toContain('RUNNING HANDLER [hello]');
    expect(r.output).toMatch(/^2 plays in|^1 plays in/m);
    expect(r.exitCode).toBe(0);
  });
});

describe('handlers', () => {
  it('a missing handler is an error when notified (Ansible wording); names are templated with play vars; a notify may list names', async () => {
    const r = await runPlaybook(
      play(
        `    - debug: {msg: x}
      changed_when: true
      notify: "{{ names }}"
    - meta: flush_handlers
`,
        '  vars:\n    which: two\n    names: [one, two]\n',
        `    - name: one
      debug: {msg: handler one}
    - name: "{{ which }}"
      debug: {msg: handler two}
    - name: "with {{ undefined_var }}"
      debug: {msg: unusable}
`,
      ),
      { inventory: { h1: {} } },
    );
    expect(msgs(r.output)).toEqual(['x', 'handler one', 'handler two']);
    await expect(
      runPlaybook(play(`    - debug: {msg: x}\n      changed_when: true\n      notify: nope\n`, '', `    - name: nopf\n      debug: {msg: y}\n`), {
        inventory: { h1: {} },
      }),
    ).rejects.toThrow("The requested handler 'nope' was not found in either the main handlers list nor in the listening handlers list");
  });

  it('meta as a handler; force_handlers: false in the play overrides --force-handlers; `in` works on hostvars[host]', async () => {
    const r = await runPlaybook(
      play(
        `    - set_fact: {flag: 1}
    - assert: {that: ["'flag' in hostvars[inventory_hostname]", "'nope' not in hostvars[inventory_hostname]"]}
    - debug: {msg: x}
      changed_when: true
      notify: [noop_handler, later]
    - fail: {msg: dies}
`,
        '  force_handlers: false\n',
        `    - name: noop_handler
      meta: noop
    - name: later
      debug: {msg: forced}
`,
      ),
      { inventory: { h1: {} }, forceHandlers: true, verbosity: 2 },
    );
    expect(r.output).not.toContain('RUNNING HANDLER');
    expect(r.output).toContain('All assertions passed');
    const r2 = await runPlaybook(
      play(`    - debug: {msg: x}\n      changed_when: true\n      notify: noop_handler\n`, '', `    - name: noop_handler\n      meta: noop\n`),
      { inventory: { h1: {} }, verbosity: 2 },
    );
    expect(r2.output).toContain('RUNNING HANDLER [noop_handler]');
    expect(r2.output).toContain('META: noop');
  });

  it('a flush_handlers in a block: a handler failing there is rescued by the block', async () => {
    const r = await runPlaybook(
      play(
        `    - block:
        - debug: {msg: x}
          changed_when: true
          notify: sometimes_fail
        - meta: flush_handlers
      rescue:
        - debug: {msg: rescue ran}
    - debug: {msg: both}
`,
        '',
        `    - name: sometimes_fail
      fail: {msg: handler failed}
      when: inventory_hostname == 'h1'
`,
      ),
    );
    expect(msgs(r.output).filter((m) => m === 'rescue ran')).toHaveLength(1);
    expect(msgs(r.output).filter((m) => m === 'both')).toHaveLength(2);
    expect(r.exitCode).toBe(0);
  });
});
