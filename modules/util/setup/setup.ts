/**
 * setup (ansible.builtin.setup) as a task: gather the host's facts again, or only some of them (`filter`), the
 * same one command gather_facts runs. Roles call it to refresh facts after a change, or to read a few.
 */
import { ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { GATHER_SCRIPT, parseFacts } from '../../../lib/facts/gather.js';
import { globToRegExp } from '../../../lib/shell/glob.js';

const Args = Type.Object(
  {
    filter: Type.Union([Type.String(), Type.Array(Type.String())], {
      default: [],
      description: "only the facts whose names (with the ansible_ prefix) match one of these shell globs, e.g. 'ansible_distribution*'",
    }),
    gather_subset: Type.Union([Type.String(), Type.Array(Type.String())], {
      default: ['all'],
      description:
        'accepted as in Ansible; tsplay always gathers its one set of facts (names, OS, kernel, service and package manager, addresses, DNS, memory, CPUs)',
    }),
    gather_timeout: Type.Integer({ default: 10, minimum: 1, description: 'accepted as in Ansible (the command is bounded by the task timeout instead)' }),
  },
  { additionalProperties: false },
);

export const setup = defineModule({
  name: 'setup',
  aliases: ['ansible.builtin.setup', 'ansible.legacy.setup', 'gather_facts', 'ansible.builtin.gather_facts'],
  description: "Gather the host's facts (again), all of them or the ones a filter names",
  examples: `- name: refresh the facts after the hostname changed
  ansible.builtin.setup:
- name: read only the distribution facts
  ansible.builtin.setup:
    filter: ['ansible_distribution*', 'ansible_os_family']
`,
  returns: {
    ansible_facts: 'the facts gathered (ansible_hostname, ansible_os_family, ansible_default_ipv4, ...), set on the host for the rest of the run',
  },
  args: Args,
  acceptedArgs: { fact_path: 'no local facts (facts.d) are read' },
  async check(ctx, a) {
    const r = await ctx.probe(GATHER_SCRIPT, { become: false });
    if (r.rc !== 0) throw new ModuleError(`gathering facts failed (rc=${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    const filters = (typeof a.filter === 'string' ? [a.filter] : a.filter).filter((f) => f !== '').map((f) => globToRegExp(f, 'filter'));
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parseFacts(r.stdout))) {
      const name = `ansible_${k}`;
      if (!filters.length || filters.some((f) => f.test(name))) facts[name] = v;
    }
    return ok({ ansible_facts: facts });
  },
});
