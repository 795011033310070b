/** Facts a module returns (ansible_facts) as variables, named as ansible-core injects them (INJECT_FACTS_AS_VARS). */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../harness/runner.js';

describe('module facts as variables', () => {
  it("getent's getent_passwd is a top-level variable under its own name and ansible_facts.getent_passwd; set_fact's keep theirs", async () => {
    const r = await runPlaybook(
      `- hosts: all
  gather_facts: false
  tasks:
    - getent: { database: passwd, key: root }
    - assert:
        that:
          - getent_passwd.root | length == 6
          - ansible_facts.getent_passwd.root[0] == 'x'
          - ansible_getent_passwd is not defined
`,
      {
        inventory: { h1: {} },
        hosts: { h1: { respond: (script) => (script.includes('getent') ? { stdout: 'root:x:0:0:root:/root:/bin/bash\n' } : undefined) } },
      },
    );
    expect(r.exitCode, r.output).toBe(0);
  });
});

describe('registered diffs', () => {
  it("file's diff is registered as Ansible's dict (diff.before.src), not as the text shown by --diff", async () => {
    const r = await runPlaybook(
      `- hosts: all
  gather_facts: false
  tasks:
    - file: { src: /t/new.txt, dest: /t/soft.txt, state: link }
      register: ln
    - assert:
        that:
          - ln is changed
          - ln.diff.before.src == '/t/old.txt'
          - ln.diff.after.src == '/t/new.txt'
    - file: { path: '{{ item }}', state: absent }
      loop: [/t/old.txt]
      check_mode: true
      register: gone
    - assert:
        that:
          - gone.results[0].diff.before.path == '/t/old.txt'
          - gone.results[0].diff.after.state == 'absent'
`,
      {
        inventory: { h1: {} },
        hosts: { h1: { files: { '/t/old.txt': { content: 'a' }, '/t/new.txt': { content: 'b' }, '/t/soft.txt': { type: 'link', target: '/t/old.txt' } } } },
      },
    );
    expect(r.exitCode, r.output).toBe(0);
  });
});
