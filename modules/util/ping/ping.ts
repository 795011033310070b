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
    module_stdout: "data=crash: empty (Ansible's MODULE FAILURE result)",
    module_stderr: "data=crash: the exception ('Exception: boom')",
  },
  args: Args,
  async check(ctx, a) {
    // Ansible's ping raises Exception('boom'): a MODULE FAILURE result with the traceback in module_stderr
    if (a.data === 'crash') {
      throw new ModuleError('MODULE FAILURE\nSee stdout/stderr for the exact error', {
        rc: 1,
        result: { module_stdout: '', module_stderr: 'Traceback (most recent call last):\nException: boom\n' },
      });
    }
    const r = await ctx.probe('true');
    if (r.rc !== 0) throw new ModuleError(`the shell answered rc=${r.rc}: ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return ok({ ping: a.data });
  },
});
