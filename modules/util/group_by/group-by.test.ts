/** group_by: the engine puts the host in the group for the later tasks and plays; changed as Ansible's (inventory changed). */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../test/harness/runner.js';

describe('group_by', () => {
  it('creates the group under its parents; changed only when the inventory changes; changed_when still applies', async () => {
    const r = await runPlaybook(
      `- hosts: all
  gather_facts: false
  tasks:
    - group_by: { key: "os_{{ flavour }}", parents: [linux] }
      register: g1
    - group_by: { key: "os_{{ flavour }}", parents: linux }
      register: g2
    - group_by: { key: "cw_{{ inventory_hostname }}" }
      changed_when: false
      register: g3
    - assert:
        that:
          - g1 is changed
          - g1.add_group == 'os_' + flavour
          - g1.parent_groups == ['linux']
          - g2 is not changed
          - g3 is not changed
          - "'os_' + flavour in group_names"
          - "'linux' in group_names"
          - groups['os_deb'] == ['h1', 'h2']
- hosts: os_rh
  gather_facts: false
  tasks:
    - shell: "echo in os_rh {{ inventory_hostname }} {{ groups['linux'] | join(',') }}"
`,
      { inventory: { h1: { flavour: 'deb' }, h2: { flavour: 'deb' }, h3: { flavour: 'rh' } } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.recap.h1).toMatchObject({ changed: 1, failed: 0 });
    expect(r.host('h3').ran('echo in os_rh h3 h1,h2,h3').length).toBe(1);
    expect(r.host('h1').runs).toEqual([]);
  });

  it("a key with spaces becomes dashes, as Ansible's", async () => {
    const r = await runPlaybook(
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - group_by: { key: "a b" }\n    - assert: { that: ["'a-b' in group_names"] }\n`,
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
  });
});
