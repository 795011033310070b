/**
 * systemd (ansible.builtin.systemd_service): the service module plus daemon_reload and masked. On a host
 * without systemd as PID 1 it drives the init script the same way (daemon_reload is then a no-op).
 */
import { ArgsError, ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { parseServiceState, serviceStateFact, serviceStateScript } from '../../../lib/services/service.js';
import { StateArg, decide, runPlan, stateResult } from '../service/service.js';
import type { ServiceWanted } from '../../../lib/services/service-plan.js';

const Args = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'the unit (".service" may be left out)' })),
    state: Type.Optional(StateArg),
    enabled: Type.Optional(Type.Boolean()),
    masked: Type.Optional(Type.Boolean()),
    daemon_reload: Type.Boolean({ default: false, description: 'run `systemctl daemon-reload` first (not reported as a change, like Ansible)' }),
    daemon_reexec: Type.Boolean({ default: false, description: 'run `systemctl daemon-reexec` first' }),
    scope: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('global')], { default: 'system' }),
    no_block: Type.Boolean({ default: false, description: 'accepted; actions wait for the job as usual' }),
    force: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const systemd = defineModule({
  name: 'systemd_service',
  aliases: ['systemd', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd'],
  description: 'Manage a systemd unit: state, enabled, masked, daemon_reload',
  args: Args,
  argAliases: { service: 'name', unit: 'name', 'daemon-reload': 'daemon_reload', 'daemon-reexec': 'daemon_reexec' },
  validate(a) {
    if (a.scope !== 'system') throw new ArgsError(`systemd: scope=${a.scope} is not supported (only system)`, '/scope');
    const any = a.state !== undefined || a.enabled !== undefined || a.masked !== undefined;
    if (any && a.name === undefined) throw new ArgsError('systemd: name is required with state, enabled or masked', '/name');
    if (!any && !a.daemon_reload && !a.daemon_reexec) throw new ArgsError('systemd: one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec');
  },
  async check(ctx, a) {
    const reload = a.daemon_reload || a.daemon_reexec;
    if (a.name === undefined) {
      // daemon_reload alone: do it (when not in check mode), never reported as a change
      if (!ctx.checkMode) await ctx.runOk(`if [ -d /run/systemd/system ]; then ${a.daemon_reexec ? 'systemctl daemon-reexec && ' : ''}systemctl daemon-reload; fi`);
      return ok({});
    }
    let st;
    if (reload && !ctx.checkMode) {
      const script = (a.daemon_reexec ? 'if [ -d /run/systemd/system ]; then systemctl daemon-reexec || exit 1; fi\n' : '') + serviceStateScript(a.name, { daemonReload: a.daemon_reload });
      const r = await ctx.run(script);
      if (r.rc !== 0) throw new ModuleError(`failure ${r.rc} during daemon-reload: ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
      st = parseServiceState(r.stdout, a.name);
    } else st = await ctx.fact(serviceStateFact, a.name);
    const w: ServiceWanted = { state: a.state, enabled: a.enabled, masked: a.masked };
    return decide(st, w, stateResult(a.name, st, w));
  },
  async apply(ctx, _a, p) {
    await runPlan(ctx, p, {});
  },
});
