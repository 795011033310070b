/**
 * raw (ansible.builtin.raw): the command line as it is, through a shell on the host, no module machinery.
 * Ansible's way to bootstrap a host without Python; for tsplay every module is raw in that sense, so this is
 * shell without its extras. Always changed; skipped in check mode, as Ansible's.
 */
import { ArgsError, Type, change, defineModule } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { RUN_RETURNS, runAndReport } from '../../../lib/commands/run-command.js';

const Args = Type.Object(
  {
    cmd: Type.Optional(Type.String({ description: 'the command line, passed to the shell as it is (free form)' })),
    executable: Type.Optional(Type.String({ description: 'the shell to run it with (default /bin/sh)' })),
  },
  { additionalProperties: false },
);

export const raw = defineModule({
  name: 'raw',
  aliases: ['ansible.builtin.raw', 'ansible.legacy.raw'],
  description: 'Run a command line on the host as it is, through a shell (bootstrap commands)',
  examples: `- name: what the image builder left in /etc/machine-id
  ansible.builtin.raw: cat /etc/machine-id
  changed_when: false
`,
  returns: { stdout_lines: RUN_RETURNS.stdout_lines, stderr_lines: RUN_RETURNS.stderr_lines },
  args: Args,
  argAliases: { _raw_params: 'cmd', free_form: 'cmd' },
  freeForm: 'cmd',
  checkModeSkips: true,
  validate(a) {
    if (a.cmd === undefined || a.cmd.trim() === '') throw new ArgsError('raw: no command given', '/cmd');
  },
  async check(_ctx, a) {
    return change(`run ${a.cmd}`, null);
  },
  async apply(ctx, a) {
    const r = await runAndReport(ctx, `exec ${shq(a.executable ?? '/bin/sh')} -c ${shq(a.cmd!)}`, a.cmd!, { stdin_add_newline: true, strip_empty_ends: false });
    // raw's result has no cmd/start/end/delta
    const { cmd: _cmd, start: _start, end: _end, delta: _delta, ...rest } = r;
    return rest;
  },
});
