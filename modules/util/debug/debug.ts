/** debug: print a message or a variable (runs on the controller). */
import { TsplayError, Type, defineModule, ok } from '../../../src/contract/index.js';

const Args = Type.Object(
  {
    msg: Type.Optional(Type.Unknown({ description: "the message (any value; default 'Hello world!')" })),
    var: Type.Optional(Type.String({ description: 'a variable name or expression to show' })),
    verbosity: Type.Integer({ default: 0, minimum: 0, description: 'only show at this -v level or above' }),
  },
  { additionalProperties: false },
);

export const debug = defineModule({
  name: 'debug',
  aliases: ['ansible.builtin.debug', 'ansible.legacy.debug'],
  description: 'Print a message or the value of a variable',
  examples: `- name: what the cloud node resolves with
  ansible.builtin.debug:
    var: resolv.nameservers
- ansible.builtin.debug:
    msg: "{{ inventory_hostname }} joins the cloud partition"
    verbosity: 1
`,
  returns: {
    VAR: 'with var: the value, under the expression itself as the key (VARIABLE IS NOT DEFINED! when undefined)',
    skipped_reason: 'below the verbosity threshold: why nothing was shown',
  },
  args: Args,
  runsOn: 'controller',
  rules: { mutuallyExclusive: [['msg', 'var']] },
  async check(ctx, a) {
    const level = Number(ctx.vars.ansible_verbosity ?? 0) || 0;
    if (a.verbosity > level) return ok({ skipped: true, skipped_reason: 'Verbosity threshold not met.' });
    if (a.var === undefined)
      // msg may be any value (a list or dict is shown as such, like Ansible)
      return ok({ msg: (a.msg ?? 'Hello world!') as string, _ansible_verbose_always: true, _tsplay_debug: true });
    let value: unknown;
    try {
      value = ctx.evaluate(a.var);
    } catch (e) {
      if (e instanceof TsplayError && e.code === 'undefined-var') value = 'VARIABLE IS NOT DEFINED!';
      else throw e;
    }
    if (value === undefined) value = 'VARIABLE IS NOT DEFINED!';
    return ok({ [a.var]: value, _ansible_verbose_always: true, _tsplay_debug: true });
  },
});
