/** ping: prove the host answers over the connection (and, with become, that sudo works). */
import { ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';

const Args = Type.Object(
  {
    data: Type.String({ default: 'pong', description: "what to return as `ping`; 'crash' makes the task fail" }),
  },
  { additionalProperties: false },
);

export const ping = defineModule({
  name: 'ping',
  aliases: ['ansible.builtin.ping', 'ansible.legacy.ping'],
  description: 'Check that the host is reachable and a shell (and sudo, with become) works there',
  examples: `- name: the node answers over ssh, and sudo works there
  ansible.builtin.ping:
  become: true
`,
  returns: {
    ping: 'the data argument (pong)',
  },
  args: Args,
  async check(ctx, a) {
    if (a.data === 'crash') throw new ModuleError('boom');
    const r = await ctx.probe('true');
    if (r.rc !== 0) throw new ModuleError(`the shell answered rc=${r.rc}: ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return ok({ ping: a.data });
  },
});
