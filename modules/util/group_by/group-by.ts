/**
 * group_by: put the host in a group (created if new) for the rest of the run. As in Ansible, the module only says
 * which group; the engine changes the in-memory inventory and sets `changed` (src/engine/task-exec.ts).
 */
import { Type, defineModule, ok } from '../../../src/contract/index.js';

const Args = Type.Object(
  {
    key: Type.String({ description: 'the group to put the host in (spaces become dashes)' }),
    parents: Type.Union([Type.String(), Type.Array(Type.String())], {
      default: ['all'],
      description: 'the parent groups of the group (created if new)',
    }),
  },
  { additionalProperties: false },
);

export const groupBy = defineModule({
  name: 'group_by',
  aliases: ['ansible.builtin.group_by', 'ansible.legacy.group_by'],
  description:
    "Add the host to a group (created if needed) in the run's in-memory inventory, for the later plays and tasks (changed when the inventory changed)",
  examples: `- name: one group per Slurm partition, for the plays that follow
  ansible.builtin.group_by:
    key: "partition_{{ slurm_partition }}"
    parents: [cloud_nodes]
`,
  returns: {
    add_group: 'the group the host was put in',
    parent_groups: 'its parent groups',
  },
  args: Args,
  runsOn: 'controller',
  async check(_ctx, a) {
    const parents = typeof a.parents === 'string' ? [a.parents] : a.parents;
    return ok({ changed: false, add_group: a.key.replace(/ /g, '-'), parent_groups: parents.map((p) => p.replace(/ /g, '-')) });
  },
});
