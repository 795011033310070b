/** add_host: the engine adds the host, its groups and variables to the run's inventory; changed when it changed. */
import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../test/harness/runner.js';

describe('add_host', () => {
  it('adds a host with groups and variables for the next play; a second identical add is not a change', async () => {
    const r = await runPlaybook(
      `- hosts: h1
  gather_facts: false
  tasks:
    - add_host: { name: "new1:2222", groups: "cloud, burst", role_of: compute }
      register: a1
    - add_host: { name: new1, groups: [cloud], role_of: compute }
      register: a2
    - add_host: { name: "host_{{ item }}" }
      loop: [1, 2]
      changed_when: item == 2
      register: a3
    - assert:
        that:
          - a1 is changed
          - a1.add_host.host_name == 'new1'
          - a1.add_host.groups == ['cloud', 'burst']
          - "a1.add_host.host_vars == {'role_of': 'compute', 'ansible_ssh_port': 2222}"
          - a2 is not changed
          - a3.results[0] is not changed
          - a3.results[1] is changed
          - groups['cloud'] == ['new1']
          - hostvars['new1'].role_of == 'compute'
          - "'host_2' in groups['all']"
- hosts: burst
  gather_facts: false
  tasks:
    - shell: "echo on {{ inventory_hostname }} {{ role_of }} {{ group_names | join(',') }}"
`,
      { inventory: { h1: {} } },
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.host('new1').ran('echo on new1 compute burst,cloud').length).toBe(1);
  });

  it("without a name the playbook is refused with Ansible's message", async () => {
    await expect(runPlaybook(`- hosts: all\n  gather_facts: false\n  tasks:\n    - add_host: { groups: x }\n`, { inventory: { h1: {} } })).rejects.toThrow(
      'name, host or hostname needs to be provided',
    );
  });
});
