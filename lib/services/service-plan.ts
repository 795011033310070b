/** The service decision (pure, unit-tested): desired state + ServiceState → what to run. */
import type { ServiceAction, ServiceState } from './service.js';

export interface ServiceWanted {
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
}

export interface ServicePlan {
  mask?: boolean;
  enable?: boolean;
  action?: ServiceAction;
}

export type ServiceDecision = { plan: ServicePlan; summary: string } | { plan: null } | { error: string };

export function planService(w: ServiceWanted, st: ServiceState): ServiceDecision {
  const plan: ServicePlan = {};
  const words: string[] = [];
  if (w.masked !== undefined) {
    if (st.init !== 'systemd') return { error: `masking needs systemd, and ${st.name} is managed by init scripts here` };
    if (w.masked !== st.masked) {
      plan.mask = w.masked;
      words.push(w.masked ? 'mask' : 'unmask');
    }
  }
  // unmasking may create the unit; otherwise it must exist
  if (!st.exists && plan.mask !== false) {
    if (w.state === undefined && w.enabled === undefined) {
      if (plan.mask === undefined) return { plan: null };
    } else return { error: `Could not find the requested service ${st.name}` };
  }
  if (w.enabled !== undefined) {
    if (st.enabled === null) {
      if (st.init === 'sysv') return { error: `cannot ${w.enabled ? 'enable' : 'disable'} ${st.name}: neither update-rc.d nor chkconfig is installed` };
      // static/indirect/generated units have no [Install] state of their own: nothing to do
    } else if (st.enabled !== w.enabled) {
      plan.enable = w.enabled;
      words.push(w.enabled ? 'enable' : 'disable');
    }
  }
  const running = st.running === true;
  switch (w.state) {
    case 'started':
      if (!running) plan.action = 'start';
      break;
    case 'stopped':
      // unknown counts as running: stopping a stopped service is harmless
      if (st.running !== false) plan.action = 'stop';
      break;
    case 'restarted':
      plan.action = 'restart';
      break;
    case 'reloaded':
      plan.action = running ? 'reload' : 'start';
      break;
    default:
      break;
  }
  if (plan.action) words.push(plan.action);
  if (!words.length) return { plan: null };
  return { plan, summary: `${words.join(' + ')} ${st.name} (${st.init})` };
}
