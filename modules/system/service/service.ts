/** service: start/stop/restart/reload a service and enable it at boot (systemd, or SysV init scripts). */
import { ModuleError, Type, change, defineModule, ok, type CheckResult, type ModuleContext, type ResultData } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { serviceActionCommand, serviceEnableCommand, serviceStateFact, type ServiceState } from '../../../lib/services/service.js';
import { planService, type ServicePlan, type ServiceWanted } from '../../../lib/services/service-plan.js';

export const StateArg = Type.Union([Type.Literal('started'), Type.Literal('stopped'), Type.Literal('restarted'), Type.Literal('reloaded')], {
  description: 'started/stopped: only when it is not; restarted: every run (always changed); reloaded: reload when running, else start',
});

const Args = Type.Object(
  {
    name: Type.String({ description: 'the service (systemd unit or init script name)' }),
    state: Type.Optional(StateArg),
    enabled: Type.Optional(Type.Boolean({ description: 'start at boot (systemctl enable, or update-rc.d / chkconfig for init scripts)' })),
    sleep: Type.Optional(Type.Integer({ minimum: 0, description: 'with restarted: seconds between stop and start' })),
    arguments: Type.Optional(Type.String({ description: 'extra arguments for the init script (not passed to systemctl)' })),
    pattern: Type.Optional(Type.String({ description: 'accepted for compatibility; the status comes from the init system' })),
    runlevel: Type.Optional(Type.String({ description: 'accepted for compatibility (OpenRC only)' })),
    use: Type.Union([Type.Literal('auto'), Type.Literal('systemd'), Type.Literal('sysvinit'), Type.Literal('service')], {
      default: 'auto',
      description: 'the init system is always detected (systemd as PID 1, else init scripts); systemd: fail on a host without it; the others change nothing',
    }),
  },
  { additionalProperties: false },
);

export interface PlanWithState {
  st: ServiceState;
  plan: ServicePlan;
}

/** Shared by service and systemd: decide from a state, or fail clearly. */
export function decide(st: ServiceState, w: ServiceWanted, result: ResultData): CheckResult<PlanWithState> {
  const d = planService(w, st);
  if ('error' in d) throw new ModuleError(d.error);
  if (!d.plan) return ok(result);
  return change(d.summary, { st, plan: d.plan }, { result });
}

export function stateResult(name: string, st: ServiceState, w: ServiceWanted): ResultData {
  const state = w.state ?? (st.running === null ? 'unknown' : st.running ? 'started' : 'stopped');
  return { name, state, enabled: w.enabled ?? st.enabled, ...(st.init === 'systemd' ? { masked: st.masked } : {}) };
}

/** The one command apply() runs: (un)mask, enable/disable, then the state action. */
export function applyCommand(p: PlanWithState, opts: { args?: string; sleep?: number } = {}): string {
  const parts: string[] = [];
  if (p.plan.mask !== undefined) parts.push(`systemctl ${p.plan.mask ? 'mask' : 'unmask'} -- ${shq(p.st.name)}`);
  if (p.plan.enable !== undefined) parts.push(serviceEnableCommand(p.st, p.plan.enable));
  if (p.plan.action) parts.push(serviceActionCommand(p.st, p.plan.action, opts));
  return parts.join(' && ');
}

export async function runPlan(ctx: ModuleContext, p: PlanWithState, opts: { args?: string; sleep?: number }): Promise<void> {
  await ctx.runOk(applyCommand(p, opts));
}

/** What service and systemd_service return (stateResult's keys). */
export const SERVICE_RETURNS: Readonly<Record<string, string>> = {
  name: 'the service',
  state: 'the state asked for, else the current one (started, stopped or unknown)',
  enabled: 'enabled at boot (null when not applicable, e.g. a static unit)',
  masked: 'systemd hosts: whether the unit is masked',
};

export const service = defineModule({
  name: 'service',
  aliases: ['ansible.builtin.service', 'ansible.legacy.service', 'sysvinit', 'ansible.builtin.sysvinit'],
  description: 'Manage a service: started/stopped/restarted/reloaded and enabled at boot (systemd or init scripts)',
  examples: `- name: munge runs and starts at boot
  ansible.builtin.service:
    name: munge
    state: started
    enabled: true
- name: autofs rereads its maps
  ansible.builtin.service:
    name: autofs
    state: reloaded
`,
  returns: SERVICE_RETURNS,
  args: Args,
  argAliases: { args: 'arguments' },
  rules: { requiredOneOf: [['state', 'enabled']] },
  async check(ctx, a) {
    const st = await ctx.fact(serviceStateFact, a.name);
    if (a.use === 'systemd' && st.init !== 'systemd') throw new ModuleError(`service ${a.name}: use=systemd, but systemd is not running on this host`);
    const w: ServiceWanted = { state: a.state, enabled: a.enabled };
    return decide(st, w, stateResult(a.name, st, w));
  },
  async apply(ctx, a, p) {
    await runPlan(ctx, p, { args: a.arguments, sleep: a.sleep });
  },
});
