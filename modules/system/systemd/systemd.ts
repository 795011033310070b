/**
 * systemd (ansible.builtin.systemd_service): the service module plus daemon_reload and masked. On a host
 * without systemd as PID 1 it drives the init script the same way (daemon_reload is then a no-op).
 */
import { ArgsError, ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { serviceStateFact } from '../../../lib/services/service.js';
import { SERVICE_RETURNS, StateArg, decide, runPlan, stateResult } from '../service/service.js';
import type { ServiceWanted } from '../../../lib/services/service-plan.js';

const Args = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'the unit (".service" may be left out)' })),
    state: Type.Optional(StateArg),
    enabled: Type.Optional(Type.Boolean({ description: 'systemctl enable/disable; a static or generated unit has no such state (nothing to do)' })),
    masked: Type.Optional(Type.Boolean({ description: 'systemctl mask/unmask (fails on a host where init scripts run the service)' })),
    daemon_reload: Type.Boolean({ default: false, description: 'run `systemctl daemon-reload` first (not reported as a change, like Ansible)' }),
    daemon_reexec: Type.Boolean({ default: false, description: 'run `systemctl daemon-reexec` first' }),
    scope: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('global')], {
      default: 'system',
      description: 'only system is supported (user and global are refused)',
    }),
    no_block: Type.Boolean({ default: false, description: 'accepted; actions wait for the job as usual' }),
    force: Type.Optional(Type.Boolean({ description: 'accepted for compatibility; ignored (Ansible passes --force to enable/mask)' })),
  },
  { additionalProperties: false },
);

export const systemd = defineModule({
  name: 'systemd_service',
  aliases: ['systemd', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd'],
  description: 'Manage a systemd unit: state, enabled, masked, daemon_reload',
  examples: `- name: slurmd picks up its new drop-in, restarts, and starts at boot
  ansible.builtin.systemd_service:
    name: slurmd
    state: restarted
    enabled: true
    daemon_reload: true
- name: systemd-resolved never takes /etc/resolv.conf back on a cloud node
  ansible.builtin.systemd_service:
    name: systemd-resolved
    state: stopped
    enabled: false
    masked: true
`,
  returns: SERVICE_RETURNS,
  args: Args,
  argAliases: { service: 'name', unit: 'name', 'daemon-reload': 'daemon_reload', 'daemon-reexec': 'daemon_reexec' },
  validate(a) {
    if (a.scope !== 'system') throw new ArgsError(`systemd: scope=${a.scope} is not supported (only system)`, '/scope');
    const any = a.state !== undefined || a.enabled !== undefined || a.masked !== undefined;
    if (any && a.name === undefined) throw new ArgsError('systemd: name is required with state, enabled or masked', '/name');
    if (!any && !a.daemon_reload && !a.daemon_reexec)
      throw new ArgsError('systemd: one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec');
  },
  // daemon_reload/daemon_reexec come before the unit's state is read and are never reported as a change
  // (as in Ansible); not in check mode
  async prepare(ctx, a) {
    if (!a.daemon_reload && !a.daemon_reexec) return;
    const cmds = [...(a.daemon_reexec ? ['systemctl daemon-reexec'] : []), ...(a.daemon_reload ? ['systemctl daemon-reload'] : [])];
    const r = await ctx.run(`if [ -d /run/systemd/system ]; then ${cmds.join(' && ')}; fi`);
    if (r.rc !== 0) throw new ModuleError(`failure ${r.rc} during daemon-reload: ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
  },
  async check(ctx, a) {
    if (a.name === undefined) return ok({});
    const st = await ctx.fact(serviceStateFact, a.name);
    const w: ServiceWanted = { state: a.state, enabled: a.enabled, masked: a.masked };
    return decide(st, w, stateResult(a.name, st, w));
  },
  async apply(ctx, _a, p) {
    await runPlan(ctx, p, {});
  },
});
