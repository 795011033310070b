/**
 * What ansible-core's own integration targets need from the engine (bench/compat.mjs measures them): each test
 * runs a playbook through the real engine in process (test/harness/runner.ts) and asserts on what the fake host
 * ran and on the recap.
 */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';

const play = (tasks: string, head = '') => `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}`;
const scripts = (r: Awaited<ReturnType<typeof runPlaybook>>, host = 'h1') =>
  r
    .host(host)
    .runs.map((c) => c.script)
    .join('\n');

describe('engine features the ansible-core targets use', () => {
  it('include_tasks as a handler: the included tasks run when it is notified (with its when:), by name or listen topic', async () => {
    const r = await runPlaybook(
      play(
        `    - name: change
      shell: echo change
      notify: [cleanup, topic]
`,
      ) +
        `  handlers:
    - name: cleanup
      include_tasks: cleanup.yml
      when: not skip_cleanup | bool
    - name: by topic
      include_tasks: other.yml
      listen: topic
    - name: never
      include_tasks: never.yml
`,
      {
        inventory: { h1: { skip_cleanup: false } },
        files: { 'cleanup.yml': '- shell: echo cleaned\n', 'other.yml': '- shell: echo other\n', 'never.yml': '- shell: echo never\n' },
      },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(scripts(r)).toContain('echo cleaned');
    expect(scripts(r)).toContain('echo other');
    expect(scripts(r)).not.toContain('echo never');
  });
});

describe('templating the ansible-core targets use', () => {
  it("the vars variable, lookup('vars'), lookup('varnames'), lookup() of non-strings, lookup('template'), set_fact with a partly templated key", async () => {
    const r = await runPlaybook(
      play(
        `    - set_fact: "user_{{ who }}=yes"
    - name: show
      shell: "echo {{ vars['greet'] }} {{ vars.who }} {{ lookup('varnames', '^gre') }} {{ lookup('vars', 'n') + 1 }} {{ lookup('list', [1, 2]) | length }} {{ lookup('template', 't.j2') }}"
`,
        '  vars:\n    greet: "hi {{ who }}"\n    who: bob\n    n: 41\n    greeting2: x\n',
      ),
      { inventory: { h1: {} }, files: { 'templates/t.j2': 'T={{ who }}' } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(scripts(r)).toContain('echo hi bob bob greet,greeting2 42 2 T=bob');
  });

  it('a task that may fail on purpose (ignore_errors, failed_when) gets its argument errors at run time, as a failed result (in AnsibleModule wording)', async () => {
    const r = await runPlaybook(
      play(`    - action: slurp
      register: no_args
      ignore_errors: true
    - assert:
        that: [no_args is failed, no_args is not changed, "no_args.msg == 'missing required arguments: src'"]
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.recap.h1).toMatchObject({ failed: 0, ignored: 1 });
    // without ignore_errors the same task still stops the load, before any host is touched
    await expect(runPlaybook(play('    - action: slurp\n'), { inventory: { h1: {} } })).rejects.toThrow(/slurp: missing required argument 'src'/);
  });

  it("command's removed `executable`: Ansible's warning, also in the registered result's warnings", async () => {
    const r = await runPlaybook(
      play(`    - command: ls /dev/null
      args:
        executable: /bogus
      register: executable
    - assert:
        that:
          - executable.warnings | length() == 1
          - "'no longer supported' in executable.warnings[0]"
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(scripts(r)).not.toContain('/bogus');
  });

  it("with_sequence's shortcut form [start-]end[/stride][:format], as lookup_sequence uses it", async () => {
    const r = await runPlaybook(
      play(`    - set_fact: "{{ 'ws_z_' + item }}={{ item }}"
      with_sequence: '4'
    - set_fact: "{{ 'ws_z_' + item }}=stride_{{ item }}"
      with_sequence: '2-6/2'
    - set_fact: "{{ 'ws_z_' + item }}={{ item }}"
      with_sequence: '7-8:host%02d'
    - shell: echo {{ ws_z_1 }} {{ ws_z_2 }} {{ ws_z_3 }} {{ ws_z_4 }} {{ ws_z_6 }} {{ ws_z_host07 }} {{ ws_z_host08 }}
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(scripts(r)).toContain('echo 1 stride_2 3 stride_4 stride_6 host07 host08');
  });
});
