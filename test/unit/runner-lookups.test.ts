/**
 * Loops, lookups and the in-memory engine features ansible-core's integration targets use, through the real
 * engine in process (test/harness/runner.ts): the loader, the Runner, templating, over fake hosts.
 */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';

const play = (tasks: string, head = '') => `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}`;

describe('loops and lookups in the engine', () => {
  it('a failed loop in a block is rescued; ansible_failed_task keeps the args as written (not templated again)', async () => {
    const r = await runPlaybook(
      play(`    - block:
        - name: EXPECTED FAILURE
          debug:
            msg: "{{ item.0 }} and {{ item.1 }}"
          with_together: []
        - fail: { msg: should not get here }
      rescue:
        - assert:
            that:
              - ansible_failed_task.name == "EXPECTED FAILURE"
              - "'item.0 }} and' in ansible_failed_task.args.msg"
              - ansible_failed_result.msg == "with_together requires at least one element in each list"
`),
      { inventory: { h1: {} } },
    );
    expect(r.output).not.toContain('should not get here');
    expect(r.exitCode, r.output).toBe(0);
    expect(r.recap.h1).toMatchObject({ failed: 0, rescued: 1 });
  });

  it("now(fmt=...) gives the controller's time; times of a paused loop grow", async () => {
    const r = await runPlaybook(
      play(`    - set_fact:
        times: "{{ times | default([]) + [ now(fmt='%s.%f') ] }}"
      with_sequence: count=2
      loop_control: { pause: 0.3 }
    - assert:
        that:
          - times[1] | float - times[0] | float >= 0.3
          - now(utc=True, fmt='%Y') | int >= 2024
          - now() is string
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
  });
});

describe('registered results', () => {
  it("are data: a failed result's message holding {{ }} is not templated again (ansible-core's wrap_var)", async () => {
    const r = await runPlaybook(
      play(`    - name: Convert a non-dict (failure expected)
      set_fact:
        bad_fact: "{{ bbbbad }}"
      vars:
        bbbbad: "{{ lookup('dict', 1) }}"
      register: result
      ignore_errors: yes
    - assert:
        that:
          - result is failed
          - "'with_dict expects a dict' in result.msg"
    - shell: echo braces
      register: out
    - name: "stdout {{ out.stdout | length }}"
      shell: "echo {{ out.stdout | length }}"
`),
      {
        inventory: { h1: {} },
        hosts: { h1: { respond: (script) => (script.includes('braces') ? { rc: 0, stdout: '{{ undefined_x }}\n', stderr: '' } : undefined) } },
      },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.recap.h1).toMatchObject({ failed: 0, ignored: 1 });
    // the registered stdout is the text '{{ undefined_x }}' (17 characters), not a template of an undefined name
    expect(r.output).toContain('TASK [stdout 17]');
  });
});

describe('the file lookup', () => {
  it("finds a role task's files in the role's files/ (Ansible's search path)", async () => {
    const r = await runPlaybook(`- hosts: all\n  gather_facts: false\n  roles: [r1]\n`, {
      inventory: { h1: {} },
      files: {
        'roles/r1/tasks/main.yml': `- shell: "echo got {{ item }}"\n  loop: '{{ q("file", lstrip=True, *names) }}'\n  vars:\n    names: [data1.txt]\n`,
        'roles/r1/files/data1.txt': '  Hello World\n',
      },
    });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('h1').ran('echo got Hello World').length).toBe(1);
  });
});

describe('include_tasks in a loop', () => {
  it('the included tasks see loop_var, index_var and ansible_loop (extended)', async () => {
    const r = await runPlaybook(
      play(`    - include_tasks: inc.yml
      with_sequence: start=0 count=2
      loop_control: { index_var: my_idx, loop_var: it, extended: true }
`),
      {
        inventory: { h1: {} },
        files: { 'inc.yml': `- shell: "echo idx={{ my_idx }} it={{ it }} first={{ ansible_loop.first }} len={{ ansible_loop.length }}"\n` },
      },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('h1').ran('echo idx=0 it=0 first=True len=2').length).toBe(1);
    expect(r.host('h1').ran('echo idx=1 it=1 first=False len=2').length).toBe(1);
  });
  it('a templated loop_var names the variable, for included and for plain tasks', async () => {
    const r = await runPlaybook(
      play(`    - include_tasks: inc.yml
      loop: [value]
      loop_control: { loop_var: "{{ name }}" }
      vars: { name: templated_name }
    - shell: "echo plain {{ other }}"
      loop: [v2]
      loop_control: { loop_var: "{{ name }}" }
      vars: { name: other }
`),
      { inventory: { h1: {} }, files: { 'inc.yml': `- shell: "echo inc {{ templated_name }}"\n` } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('h1').ran('echo inc value').length).toBe(1);
    expect(r.host('h1').ran('echo plain v2').length).toBe(1);
  });
});

describe('ansible_search_path', () => {
  it("is the role's directory, then the playbook's", async () => {
    const r = await runPlaybook(`- hosts: all\n  gather_facts: false\n  roles: [r1]\n`, {
      inventory: { h1: {} },
      files: {
        'roles/r1/tasks/main.yml': `- shell: "echo {{ ansible_search_path | map('basename') | join(',') }} {{ ansible_search_path[0] == role_path }}"\n`,
      },
    });
    expect(r.exitCode, r.output).toBe(0);
    expect(
      r
        .host('h1')
        .runs.map((c) => c.script)
        .join('\n'),
    ).toMatch(/echo r1,[^ ]+ True/);
  });
});

describe('lookup errors= and a missing include_vars file', () => {
  it("errors='ignore' gives None; include_vars of no file fails with Ansible's message, registered as `message`", async () => {
    const r = await runPlaybook(
      play(`    - include_vars:
        file: "{{ lookup('first_found', possible_files, errors='ignore') }}"
      vars:
        possible_files: [does_not_exist.yml]
      ignore_errors: true
      register: inc
    - assert:
        that:
          - inc is failed
          - "'Could not find file' in inc.message"
          - inc.ansible_included_var_files == []
          - query('first_found', ['nope.yml'], errors='warn') == []
          - lookup('first_found', ['nope.yml'], errors='ignore', wantlist=True) == []
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.recap.h1).toMatchObject({ failed: 0, ignored: 1 });
  });
});

describe('until', () => {
  it('out of retries: failed unless failed_when decided; attempts as ansible-core reports it (retries)', async () => {
    const r = await runPlaybook(
      play(`    - shell: "true"
      register: a
      until: 1 == 0
      retries: 2
      delay: 0
      failed_when: a.attempts > 6
    - shell: "true"
      register: b
      until: 1 == 0
      retries: 2
      delay: 0
      ignore_errors: true
    - assert:
        that:
          - a is not failed
          - a.attempts == 2
          - b is failed
          - b.attempts == 2
`),
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    // retries: 2 is three runs, for each task
    expect(r.host('h1').ran('true').length).toBe(6);
  });
});

describe('hostvars', () => {
  it("a value naming a variable the host lacks comes back as written (HostVarsVars' fail_on_undefined=False)", async () => {
    const r = await runPlaybook(
      play(`    - include_vars: v.yml
    - set_fact:
        foo: "{{ hostvars[inventory_hostname]['__foo'] }}"
    - shell: "echo {{ foo[0] }}"
      vars:
        version_x: '1.0'
`),
      { inventory: { h1: {} }, files: { 'v.yml': '__foo:\n  - "foo{{ version_x }}"\n' } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('h1').ran('echo foo1.0').length).toBe(1);
  });
});
