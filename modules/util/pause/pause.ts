/** pause: wait a number of seconds or minutes on the controller (Ansible's ansible.builtin.pause, without the keyboard). */
import { ArgsError, Type, defineModule, ok } from '../../../src/contract/index.js';

const Num = (description: string) => Type.Union([Type.Number(), Type.String()], { description });
const Args = Type.Object(
  {
    seconds: Type.Optional(Num('seconds to pause (a number or a numeric string)')),
    minutes: Type.Optional(Num('minutes to pause (a number or a numeric string)')),
    prompt: Type.Optional(Type.String({ description: 'text shown before pausing' })),
    echo: Type.Boolean({ default: true, description: 'echo the typed input (accepted: tsplay never reads the keyboard)' }),
  },
  { additionalProperties: false },
);

function amount(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n < 0) throw new ArgsError(`pause: '${String(v)}' is not a valid integer`, `/${what}`);
  return n;
}

export const pause = defineModule({
  name: 'pause',
  waits: true,
  aliases: ['ansible.builtin.pause', 'ansible.legacy.pause'],
  description: 'Pause for a number of seconds or minutes (without a duration tsplay warns and goes on: it never waits for a keypress)',
  examples: `- name: let slurmctld settle after the reconfigure
  ansible.builtin.pause:
    seconds: 5
`,
  returns: {
    start: 'when the pause started',
    stop: 'when it ended',
    delta: 'seconds paused',
    user_input: "always '' (no keyboard input is read)",
    echo: 'the echo argument',
  },
  args: Args,
  runsOn: 'controller',
  rules: { mutuallyExclusive: [['seconds', 'minutes']] },
  validate(a) {
    amount(a.seconds, 'seconds');
    amount(a.minutes, 'minutes');
  },
  async check(ctx, a) {
    const secs = amount(a.seconds, 'seconds');
    const mins = amount(a.minutes, 'minutes');
    const start = new Date();
    if (secs === undefined && mins === undefined) {
      ctx.warn('pause: Not waiting for response to prompt as tsplay never reads the keyboard (give seconds or minutes)');
    } else {
      const ms = secs !== undefined ? secs * 1000 : mins! * 60_000;
      if (a.prompt) ctx.log(a.prompt);
      await new Promise((r) => setTimeout(r, ms));
    }
    const stop = new Date();
    const delta = Math.round((stop.getTime() - start.getTime()) / 1000);
    const stdout = secs !== undefined ? `Paused for ${secs} seconds` : mins !== undefined ? `Paused for ${mins} minutes` : 'Paused for 0 seconds';
    return ok({ changed: false, rc: 0, start: start.toISOString(), stop: stop.toISOString(), delta, stdout, user_input: '', echo: a.echo });
  },
});
