/** shell: run a command line through a shell (Ansible's ansible.builtin.shell). */
import { Type, defineModule, ok } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { RUN_RETURNS, checkGuards, noCommandResult, runAndReport, runArgProperties } from '../../../lib/commands/run-command.js';

const Args = Type.Object(
  {
    cmd: Type.Optional(Type.String({ description: 'the shell command line (free form)' })),
    executable: Type.Optional(Type.String({ description: 'the shell to run it with (default /bin/sh)' })),
    ...runArgProperties,
  },
  { additionalProperties: false },
);

/** The script the connection runs: a fresh shell, so the command sees nothing of tsplay's own shell loop. */
export function shellScript(cmd: string, executable?: string): string {
  return `exec ${shq(executable ?? '/bin/sh')} -c ${shq(cmd)}`;
}

export const shell = defineModule({
  name: 'shell',
  aliases: ['ansible.builtin.shell', 'ansible.legacy.shell'],
  description: 'Run a command line through a shell on the host (pipes, redirections, variables)',
  examples: `- name: a credential made here is accepted by the controller
  ansible.builtin.shell:
    cmd: munge -n | ssh {{ slurm_controller }} unmunge
  changed_when: false
- name: the munge key from a vault base64 value, through stdin (never on a command line)
  ansible.builtin.shell:
    cmd: umask 077 && base64 -d > /etc/munge/munge.key && chown munge:munge /etc/munge/munge.key
    stdin: "{{ munge_key_b64 }}"
    creates: /etc/munge/munge.key
  no_log: true
`,
  returns: RUN_RETURNS,
  args: Args,
  argAliases: { _raw_params: 'cmd', free_form: 'cmd' },
  freeForm: 'cmd',
  check(ctx, a) {
    if (a.cmd === undefined || a.cmd.trim() === '') return Promise.resolve(ok(noCommandResult()));
    return checkGuards(ctx, a, a.cmd ?? '');
  },
  async apply(ctx, a) {
    const cmd = a.cmd ?? '';
    return runAndReport(ctx, shellScript(cmd, a.executable), cmd, a);
  },
});
