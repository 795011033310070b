/**
 * Handlers: a changed task notifies handlers by name (`name` or `role : name`, the first match) and every
 * handler listening to that topic. Notified handlers run at the next flush (meta: flush_handlers, and after
 * pre_tasks, tasks and post_tasks), once per host, in the order they are defined. Failed hosts skip them
 * unless --force-handlers / force_handlers.
 */
import { TsplayError } from '../errors.js';
import type { HandlerIR } from '../config/playbook-types.js';
import { roleTaskName } from '../config/roles.js';
import { hasTemplate, renderValue } from './templating/index.js';
import { inherit, ROOT, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { toBool } from './task-exec.js';
import { scopeFor } from './vars.js';
import { runTask } from './task-run.js';
import { runInclude } from './includes.js';
import type { Runner } from './runner.js';

/** The handlers a notify name designates. */
export function handlersFor(handlers: readonly HandlerIR[], name: string): HandlerIR[] {
  const byName = handlers.find((h) => h.name === name || (h.name !== undefined && roleTaskName({ ...h, action: '' }) === name));
  const listening = handlers.filter((h) => h.listen.includes(name));
  return [...new Set([...(byName ? [byName] : []), ...listening])];
}

export function notify(pr: PlayRun, h: HostState, names: readonly string[], inh: Inherited): void {
  for (const raw of names) {
    const name = hasTemplate(raw) ? String(renderValue(raw, scopeFor(pr.scope, h, inh))) : raw;
    const found = handlersFor(pr.handlers, name);
    if (!found.length) {
      throw new TsplayError('playbook', `The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`);
    }
    for (const hd of found) h.notified.add(hd);
  }
}

/** Run the notified handlers for these hosts. */
export async function flushHandlers(r: Runner, pr: PlayRun, hosts: HostState[]): Promise<void> {
  if (pr.aborted) return;
  const force = r.runCtx.opts.forceHandlers || toBool(renderValue(pr.play.forceHandlers ?? false, pr.scope.playVars));
  const playInh = inherit(ROOT, { ...pr.play, vars: undefined, when: undefined, tags: [] });
  // the list can grow while running (handlers of included roles); handlers may notify later handlers
  for (let i = 0; i < pr.handlers.length; i++) {
    const hd = pr.handlers[i]!;
    const runs = (h: HostState) => h.notified.has(hd) && !h.unreachable && !h.ended && (!h.failed || force);
    const targets = hosts.filter(runs);
    if (!targets.length) continue;
    for (const h of targets) h.notified.delete(hd);
    const forced = targets.filter((h) => h.failed);
    for (const h of forced) h.failed = false;
    if (hd.kind === 'include') await runInclude(r, hd, pr, targets, { ...playInh, role: hd.role });
    else await runTask(r, { task: hd, pr, hosts: targets, parent: { ...playInh, role: hd.role }, handler: true });
    for (const h of forced) h.failed = true;
    if (pr.aborted) return;
  }
}
