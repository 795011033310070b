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
