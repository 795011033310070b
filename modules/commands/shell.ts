/** shell: run a command line through a shell (Ansible's ansible.builtin.shell). */
import { ArgsError, Type, defineModule, shq } from '../../src/index.js';
import { checkGuards, runAndReport } from './run-command.js';

const Args = Type.Object(
  {
    cmd: Type.Optional(Type.String({ description: 'the shell command line (free form)' })),
    executable: Type.Optional(Type.String({ description: 'the shell to run it with (default /bin/sh)' })),
    creates: Type.Optional(Type.String({ description: 'a path or glob; when it exists the command is not run' })),
    removes: Type.Optional(Type.String({ description: 'a path or glob; when it does not exist the command is not run' })),
    chdir: Type.Optional(Type.String({ description: 'change into this directory first' })),
    stdin: Type.Optional(Type.String({ description: 'text fed to the command on stdin' })),
    stdin_add_newline: Type.Boolean({ default: true, description: 'append a newline to stdin' }),
    strip_empty_ends: Type.Boolean({ default: true, description: 'strip trailing newlines from stdout/stderr' }),
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
  args: Args,
  argAliases: { _raw_params: 'cmd', free_form: 'cmd' },
  freeForm: 'cmd',
  checkModeSkips: true,
  validate(a) {
    if (a.cmd === undefined || a.cmd.trim() === '') throw new ArgsError('shell: no command given', '/cmd');
  },
  check(ctx, a) {
    return checkGuards(ctx, a, a.cmd ?? '');
  },
  async apply(ctx, a) {
    const cmd = a.cmd ?? '';
    return runAndReport(ctx, shellScript(cmd, a.executable), cmd, a);
  },
});
