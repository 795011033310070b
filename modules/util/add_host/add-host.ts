/**
 * add_host: add a host (or set its variables and groups) in the run's in-memory inventory. As in Ansible, the module
 * only describes the host; the engine changes the inventory and sets `changed` (src/engine/task-exec.ts).
 */
import { ArgsError, Type, defineModule, ok } from '../../../src/contract/index.js';

const Groups = Type.Union([Type.String(), Type.Array(Type.String())], { description: 'groups to put the host in (a list, or comma separated)' });
const Args = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'the host name, optionally with :port (aliases: host, hostname)' })),
    host: Type.Optional(Type.String({ description: 'alias of name' })),
    hostname: Type.Optional(Type.String({ description: 'alias of name' })),
    groups: Type.Optional(Groups),
    groupname: Type.Optional(Groups),
    group: Type.Optional(Groups),
  },
  { additionalProperties: true, description: 'any other argument is a variable of the host' },
);

const SPECIAL = new Set(['name', 'hostname', 'host', 'groupname', 'groups', 'group']);

/** name[:port] ([v6]:port), as Ansible's parse_address without ranges. */
function splitPort(s: string): [string, number | undefined] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? (/^[^:]+:(\d+)$/.test(s) ? /^([^:]+):(\d+)$/.exec(s) : null);
  return m ? [m[1]!, Number(m[2])] : [s, undefined];
}

export const addHost = defineModule({
  name: 'add_host',
  aliases: ['ansible.builtin.add_host', 'ansible.legacy.add_host'],
  description: "Add a host, its groups and variables to the run's in-memory inventory, for the later plays (changed when the inventory changed)",
  examples: `- name: the new cloud node, for the next play
  ansible.builtin.add_host:
    name: "{{ vm_name }}"
    groups: [cloud_nodes]
    ansible_host: "{{ vm_ip }}"
`,
  returns: {
    add_host: '{host_name, groups, host_vars}: what was added',
  },
  args: Args,
  runsOn: 'controller',
  validate(a) {
    if (a.name === undefined && a.host === undefined && a.hostname === undefined) throw new ArgsError('name, host or hostname needs to be provided');
  },
  async check(_ctx, a) {
    const args = a as Record<string, unknown>;
    const [name, port] = splitPort(String(a.name ?? a.hostname ?? a.host));
    const g = a.groupname ?? a.groups ?? a.group ?? '';
    const list = Array.isArray(g) ? g : g ? g.split(',') : [];
    const groups = [...new Set(list.map((x) => x.trim()))].filter(Boolean);
    const hostVars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (!SPECIAL.has(k)) hostVars[k] = v;
    if (port !== undefined) hostVars['ansible_ssh_port'] = port;
    return ok({ changed: false, add_host: { host_name: name, groups, host_vars: hostVars } });
  },
});
