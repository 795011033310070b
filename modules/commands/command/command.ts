/** command: run a program with arguments, no shell (Ansible's ansible.builtin.command). */
import { Type, defineModule, ok } from '../../../src/contract/index.js';
import { shSplit } from '../../../lib/shell/shlex.js';
import { RUN_RETURNS, checkGuards, noCommandResult, commandLine, runAndReport, runArgProperties } from '../../../lib/commands/run-command.js';

const Args = Type.Object(
  {
    cmd: Type.Optional(Type.String({ description: 'the command line (free form), split like a POSIX shell would, but not run by one' })),
    argv: Type.Optional(Type.Array(Type.String(), { description: 'the command as a list of arguments (instead of cmd)' })),
    ...runArgProperties,
    expand_argument_vars: Type.Boolean({ default: true, description: 'expand $VARS and ~ in the arguments, as Ansible does' }),
    executable: Type.Optional(Type.String({ description: "not used (removed from command in Ansible 2.4: use shell); accepted with Ansible's warning" })),
  },
  { additionalProperties: false },
);

export const command = defineModule({
  name: 'command',
  aliases: ['ansible.builtin.command', 'ansible.legacy.command'],
  description: 'Run a command on the host (no shell: pipes, redirections and variables other than $VARS are plain text)',
  examples: `- name: sinfo sees the cloud partition
  ansible.builtin.command: sinfo -h -p cloud -o '%P %a'
  register: sinfo
  changed_when: false
- name: return the cloud node to service once it is configured
  ansible.builtin.command:
    argv: [scontrol, update, "NodeName={{ inventory_hostname_short }}", State=RESUME]
  delegate_to: "{{ slurm_controller }}"
`,
  returns: RUN_RETURNS,
  args: Args,
  argAliases: { _raw_params: 'cmd', free_form: 'cmd' },
  freeForm: 'cmd',
  validate(a) {
    if (a.cmd !== undefined) shSplit(a.cmd);
  },
  check(ctx, a) {
    if ((a.cmd === undefined || a.cmd.trim() === '') && (a.argv === undefined || a.argv.length === 0)) return Promise.resolve(ok(noCommandResult()));
    if (a.cmd !== undefined && a.cmd.trim() !== '' && a.argv !== undefined && a.argv.length > 0)
      return Promise.resolve(ok(noCommandResult('only command or argv can be given, not both')));
    if (a.executable !== undefined)
      ctx.warn(`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${a.executable}'.`);
    return checkGuards(ctx, a, a.cmd ?? (a.argv ?? []).join(' '));
  },
  async apply(ctx, a) {
    const argv = a.argv ?? shSplit(a.cmd ?? '');
    return runAndReport(ctx, commandLine(argv, a.expand_argument_vars), argv, a);
  },
});
