/** fail: fail the task with a message (runs on the controller). */
import { Type, defineModule, ok } from '../../../src/contract/index.js';

const Args = Type.Object(
  {
    msg: Type.Unknown({ default: 'Failed as requested from task', description: 'the failure message' }),
  },
  { additionalProperties: false },
);

export const fail = defineModule({
  name: 'fail',
  aliases: ['ansible.builtin.fail', 'ansible.legacy.fail'],
  description: 'Fail the task with a custom message',
  examples: `- name: never generate a munge key on a cloud node
  ansible.builtin.fail:
    msg: no munge key given (munge_key_src or munge_key_b64); the on-prem key must be used everywhere
  when: munge_key_src is not defined and munge_key_b64 is not defined
`,
  args: Args,
  runsOn: 'controller',
  async check(_ctx, a) {
    return ok({ failed: true, msg: a.msg as string });
  },
});
