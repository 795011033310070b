/** assert: fail unless every condition holds (runs on the controller). */
import { Type, defineModule, ok } from '../../../src/contract/index.js';

const Args = Type.Object(
  {
    that: Type.Union([Type.String(), Type.Boolean(), Type.Array(Type.Union([Type.String(), Type.Boolean()]))], {
      description: 'condition(s), like when:; all must hold',
    }),
    fail_msg: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.Unknown())], {
        description: "the result's msg when a condition does not hold (default 'Assertion failed'); a string or a list",
      }),
    ),
    success_msg: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.Unknown())], { description: "the result's msg when every condition holds (default 'All assertions passed')" }),
    ),
    quiet: Type.Boolean({ default: false, description: 'no: the result is always shown (as debug shows its message); yes: only ok/failed' }),
  },
  { additionalProperties: false },
);

export const assertModule = defineModule({
  name: 'assert',
  aliases: ['ansible.builtin.assert', 'ansible.legacy.assert'],
  description: 'Check that conditions hold; fail with fail_msg otherwise',
  examples: `- name: the inventory has what a cloud node needs
  ansible.builtin.assert:
    that:
      - onprem_dns | length > 0
      - munge_key_src is defined or munge_key_b64 is defined
    fail_msg: set onprem_dns and munge_key_src (or munge_key_b64) in the inventory
    quiet: true
`,
  returns: {
    assertion: 'on failure: the first condition that did not hold',
    evaluated_to: 'on failure: false',
  },
  args: Args,
  argAliases: { msg: 'fail_msg' },
  runsOn: 'controller',
  // each item of a `that` list is a conditional, evaluated as written (Ansible's untemplated_args)
  untemplatedArgs: ['that'],
  async check(ctx, a) {
    const conds = Array.isArray(a.that) ? a.that : [a.that];
    for (const cond of conds) {
      if (!ctx.condition(cond)) {
        return ok({ failed: true, msg: (a.fail_msg ?? 'Assertion failed') as string, assertion: cond, evaluated_to: false });
      }
    }
    // not quiet: Ansible shows the result on every run, as debug does (_ansible_verbose_always)
    return ok({ msg: (a.success_msg ?? 'All assertions passed') as string, changed: false, ...(a.quiet ? {} : { _ansible_verbose_always: true }) });
  },
});
