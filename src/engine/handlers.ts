/**
 * Handlers: a changed task notifies handlers by name (`name` or `role : name`, the first match) and every
 * handler listening to that topic. Notified handlers run at the next flush (meta: flush_handlers, and after
 * pre_tasks, tasks and post_tasks), once per host, in the order they are defined. Failed hosts skip them
 * unless --force-handlers / force_handlers.
 */
import { TsplayError, type SourcePos } from '../errors.js';
import { didYouMean } from '../config/load-context.js';
import type { HandlerIR } from '../config/playbook-types.js';
import { roleTaskName } from '../config/roles.js';
import { hasTemplate, renderValue } from './templating/index.js';
import { inherit, ROOT, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { toBool } from './task-exec.js';
import { scopeFor } from './vars.js';
import { runTask } from './task-run.js';
import { runInclude } from './includes.js';
import { runMeta } from './meta.js';
import type { Runner } from './runner.js';

/**
 * A handler's name as notify matches it: templated once with the play's variables (no host's: ansible-core's
 * handler names cannot use host variables). A name that can't be templated makes the handler unusable by name
 * (a warning when it has no listen topic either): undefined is returned.
 */
export type HandlerNamer = (h: HandlerIR) => string | undefined;

const templatedNames = new WeakMap<HandlerIR, string>();

function handlerNamer(r: Runner, pr: PlayRun): HandlerNamer {
  return (hd) => {
    if (hd.name === undefined || !hasTemplate(hd.name)) return hd.name;
    const cached = templatedNames.get(hd);
    if (cached !== undefined) return cached;
    const sc = pr.scope;
    try {
      const name = String(renderValue(hd.name, { ...sc.roleDefaults, ...sc.playVars, ...sc.roleVars, ...sc.extraVars, ...sc.magic }));
      templatedNames.set(hd, name);
      return name;
    } catch (e) {
      if (!(e instanceof TsplayError)) throw e;
      if (!hd.listen.length)
        r.runCtx.events.emit({
          type: 'warning',
          message:
            `Handler '${hd.name}' is unusable because it has no listen topics and the name could not be templated (host-specific ` +
            `variables are not supported in handler names). The error: ${e.message}`,
        });
      return undefined;
    }
  };
}

/** The handlers a notify name designates: the one named so (plain or `role : name`), and every one listening to it. */
export function handlersFor(handlers: readonly HandlerIR[], name: string, nameOf: HandlerNamer = (h) => h.name): HandlerIR[] {
  const named = (h: HandlerIR) => {
    const n = h.name === undefined ? undefined : nameOf(h);
    return n !== undefined && (n === name || roleTaskName({ ...h, name: n, action: '' }) === name);
  };
  // as ansible-core: the handler blocks (the play's, each role's) searched from the last loaded, each from its first handler
  const groups: HandlerIR[][] = [];
  for (const h of handlers) {
    const last = groups.at(-1);
    if (last && last[0]!.role === h.role) last.push(h);
    else groups.push([h]);
  }
  let byName: HandlerIR | undefined;
  for (const g of groups.reverse()) if ((byName = g.find(named))) break;
  const listening = handlers.filter((h) => h.listen.includes(name));
  return [...new Set([...(byName ? [byName] : []), ...listening])];
}

export function notify(r: Runner, pr: PlayRun, h: HostState, names: readonly string[], inh: Inherited, by?: SourcePos): void {
  const nameOf = handlerNamer(r, pr);
  // a templated notify may give a list of names
  const wanted = names.flatMap((raw) => {
    if (!hasTemplate(raw)) return [raw];
    const v = renderValue(raw, scopeFor(pr.scope, h, inh));
    return Array.isArray(v) ? v.map(String) : [String(v)];
  });
  for (const name of wanted) {
    const found = handlersFor(pr.handlers, name, nameOf);
    if (!found.length) {
      const msg = `The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`;
      if (r.runCtx.opts.errorOnMissingHandler === false) {
        r.runCtx.events.emit({ type: 'warning', message: msg });
        continue;
      }
      const known = pr.handlers.flatMap((x) => [...(x.name ? [x.name] : []), ...x.listen]);
      const hint = [by ? `notified at ${by.file}:${by.line}:${by.col}` : '', didYouMean(name, known) ?? ''].filter(Boolean).join('; ');
      throw new TsplayError('runtime', msg, hint ? { hint } : {});
    }
    for (const hd of found) h.notified.add(hd);
  }
}

/** Run the notified handlers for these hosts. */
export async function flushHandlers(r: Runner, pr: PlayRun, hosts: HostState[], at?: Inherited): Promise<void> {
  if (pr.aborted) return;
  // the play's force_handlers, else --force-handlers / ANSIBLE_FORCE_HANDLERS
  const force = pr.play.forceHandlers != null ? toBool(renderValue(pr.play.forceHandlers, pr.scope.playVars)) : r.runCtx.opts.forceHandlers;
  // a flush_handlers in a block: a handler failing there is rescued by the block (as ansible-core's iterator)
  const playInh = {
    ...inherit(ROOT, { ...pr.play, vars: undefined, when: undefined, tags: [] }),
    ...(at ? { rescuable: at.rescuable, sections: at.sections } : {}),
  };
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
    else if (hd.kind === 'meta') await runMeta(r, hd, pr, targets, { ...playInh, role: hd.role }, true);
    else await runTask(r, { task: hd, pr, hosts: targets, parent: { ...playInh, role: hd.role }, handler: true });
    for (const h of forced) h.failed = true;
    if (pr.aborted) return;
  }
}
