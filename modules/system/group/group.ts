/** group: make a local group present (with a fixed gid) or absent. */
import { OneLine } from '../../../lib/args/one-line.js';
import { Type, change, defineModule, ok, type FileDiff } from '../../../src/contract/index.js';
import { shJoin, shq } from '../../../lib/shell/quote.js';
import { accountFact, checkAccountName, parseGroup, type GroupEntry } from '../../../lib/accounts/account-facts.js';

const Args = Type.Object(
  {
    name: OneLine({ description: 'the group name' }),
    gid: Type.Optional(Type.Integer({ minimum: 0, description: 'the group id (kept the same on every host)' })),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: groupadd, or groupmod -g when gid differs; absent: groupdel',
    }),
    system: Type.Boolean({ default: false, description: 'create a system group (gid from the system range)' }),
    non_unique: Type.Boolean({ default: false, description: 'allow a gid that another group already has' }),
    force: Type.Boolean({ default: false, description: "with state=absent: delete even if it is a user's primary group" }),
  },
  { additionalProperties: false },
);

type GroupArgs = typeof Args.static;

export interface GroupPlan {
  action: 'create' | 'modify' | 'delete';
  argv: string[];
}

function describe(e: GroupEntry | null): string {
  return e ? `name: ${e.name}\ngid: ${e.gid}\n` : '';
}

/** Pure decision: args + current entry → plan (null: nothing to do). */
export function planGroup(a: GroupArgs, cur: GroupEntry | null): { plan: GroupPlan; diff: FileDiff } | null {
  const header = `group ${a.name}`;
  if (a.state === 'absent') {
    if (!cur) return null;
    return {
      plan: { action: 'delete', argv: ['groupdel', ...(a.force ? ['-f'] : []), a.name] },
      diff: { before: describe(cur), after: '', beforeHeader: header, afterHeader: header },
    };
  }
  if (!cur) {
    const argv = ['groupadd'];
    if (a.gid !== undefined) argv.push('-g', String(a.gid), ...(a.non_unique ? ['-o'] : []));
    if (a.system) argv.push('-r');
    argv.push(a.name);
    const after: GroupEntry = { name: a.name, gid: a.gid ?? NaN, members: [] };
    return {
      plan: { action: 'create', argv },
      diff: { before: '', after: a.gid !== undefined ? describe(after) : `name: ${a.name}\n`, beforeHeader: header, afterHeader: header },
    };
  }
  if (a.gid !== undefined && cur.gid !== a.gid) {
    const argv = ['groupmod', '-g', String(a.gid), ...(a.non_unique ? ['-o'] : []), a.name];
    return {
      plan: { action: 'modify', argv },
      diff: { before: describe(cur), after: describe({ ...cur, gid: a.gid }), beforeHeader: header, afterHeader: header },
    };
  }
  return null;
}

export const group = defineModule({
  acceptedArgs: { local: 'the group is managed with groupadd/groupmod (NSS-wide), not lgroupadd' },
  name: 'group',
  aliases: ['ansible.builtin.group', 'ansible.legacy.group'],
  description: 'Manage a group (groupadd/groupmod/groupdel), with a fixed gid if given',
  examples: `- name: the munge group with the on-prem gid
  ansible.builtin.group:
    name: munge
    gid: 985
    system: true
`,
  returns: {
    name: 'the group name',
    state: 'present or absent',
    system: 'the system argument',
    gid: 'the gid (the one groupadd picked, for a new group without gid)',
  },
  args: Args,
  validate(a) {
    checkAccountName('group', a.name);
  },
  async check(ctx, a) {
    const st = await ctx.fact(accountFact, { groups: [a.name] });
    const cur = st.groups[a.name] ?? null;
    const p = planGroup(a, cur);
    const result = { name: a.name, state: a.state, system: a.system, ...(cur || a.gid !== undefined ? { gid: a.gid ?? cur?.gid } : {}) };
    if (!p) return ok(result);
    const verb = { create: 'create', modify: `change gid ${cur?.gid} → ${a.gid} of`, delete: 'delete' }[p.plan.action];
    return change(`${verb} group ${a.name}`, p.plan, { diff: [p.diff], result });
  },
  async apply(ctx, a, plan) {
    if (plan.action === 'create' && a.gid === undefined) {
      // report the gid the system picked (facts read before the change are stale now)
      const r = await ctx.runOk(`${shJoin(plan.argv)} && getent group ${shq(a.name)}`);
      return { gid: parseGroup(r.stdout.trim())?.gid };
    }
    await ctx.runOk(shJoin(plan.argv));
  },
});
