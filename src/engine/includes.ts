/**
 * Dynamic includes (include_tasks, include_role): evaluated per host and per loop item at run time; hosts
 * that include the same file with the same item run its tasks together. As in Ansible, keywords written on
 * the include (tags, when, become, ...) apply to the include itself; `apply:` passes keywords to the included
 * tasks, and `vars:` (plus the loop item) become include parameters of every included task.
 */
import { dirname, resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import type { IncludeIR, TaskNode, Vars } from '../config/playbook-types.js';
import { loadTaskFile, resolveTaskFile, common } from '../config/tasks.js';
import { includeRole, roleTaskName } from '../config/roles.js';
import { flattenHandlers } from '../config/playbook.js';
import { isObj, type LoadContext } from '../config/load-context.js';
import { posOf } from '../config/yaml.js';
import { renderValue, queryLookup } from './templating/index.js';
import { condsHold } from './keywords.js';
import { IMPLICIT, inherit, renderTags, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { loopItems, itemLabel } from './loops.js';
import { extendedLoop, toBool } from './task-exec.js';
import { checkPolicies, displayName, failsForGood, noteFailure, selected } from './task-run.js';
import { scopeFor } from './vars.js';
import type { Runner } from './runner.js';

interface Unit {
  target: string;
  hosts: HostState[];
  /** include parameters: vars: of the include and the loop variable */
  params: Vars;
  label?: string;
}

export async function runInclude(r: Runner, inc: IncludeIR, pr: PlayRun, hosts: HostState[], parent: Inherited): Promise<void> {
  const runCtx = r.runCtx;
  const isRole = inc.directive === 'include_role';
  const live = hosts.filter((h) => h.alive());
  if (!live.length) return;
  const own = inherit(parent, inc, { when: false, vars: false });
  const pseudo = { name: inc.name ?? (isRole ? `include_role : ${String(inc.target)}` : inc.directive), action: inc.directive, role: inc.role };
  const name = inc.name ? displayName(pseudo, () => scopeFor(pr.scope, live[0]!, parent)) : roleTaskName(pseudo, pseudo.name);
  if (
    !(await selected(
      r,
      { ...pseudo, kind: 'task' } as never,
      renderTags(own.tags, () => scopeFor(pr.scope, live[0]!, parent)),
      name,
    ))
  )
    return;
  runCtx.events.emit({ type: 'task_start', name, action: inc.directive, hosts: live.map((h) => h.name), handler: false, source: inc.source });

  const units = new Map<string, Unit>();
  // hosts whose include failed (a template error, a file or role not found): as a failed task, for any_errors_fatal
  const failed = new Set<HostState>();
  let anyErrorsFatal = false;
  for (const h of live) {
    const base = scopeFor(pr.scope, h, { ...parent, layers: inc.vars ? [...parent.layers, inc.vars] : parent.layers });
    try {
      anyErrorsFatal ||= toBool(renderValue(own.anyErrorsFatal ?? false, base)) && !toBool(renderValue(own.ignoreErrors ?? false, base));
    } catch {
      // an unrenderable keyword fails the included tasks, not the include
    }
    const fail = (e: unknown) => {
      if (!(e instanceof TsplayError)) throw e;
      h.stats.failed++;
      h.failed = true;
      failed.add(h);
      runCtx.events.emit({ type: 'host_result', host: h.name, task: name, status: 'failed', result: { changed: false, failed: true, msg: e.format() } });
    };
    try {
      const conds = [...parent.when, ...(inc.when !== undefined ? [{ cond: inc.when, source: posOf(inc.raw, 'when') ?? inc.source }] : [])];
      const lookup = (name: string, terms: unknown) => queryLookup(name, terms, base, { source: inc.source, action: inc.directive });
      // loop_control's names may be templates (of the include's variables)
      const loopVar = String(renderValue(inc.loopControl?.['loop_var'] ?? 'item', base));
      const indexVar = inc.loopControl?.['index_var'] != null ? String(renderValue(inc.loopControl['index_var'], base)) : undefined;
      const extended = inc.loopControl?.['extended'] !== undefined && toBool(renderValue(inc.loopControl['extended'], base));
      const items =
        inc.loop !== undefined ? loopItems(inc.loopKind!, renderValue(inc.loop, base, { source: inc.source, what: 'loop' }), inc.source, lookup) : [undefined];
      let any = false;
      for (const [i, item] of items.entries()) {
        // the loop's variables as the included tasks see them: the item, index_var, ansible_loop (extended)
        const loopVars: Vars = inc.loop !== undefined ? { [loopVar]: item, ansible_loop_var: loopVar } : {};
        if (inc.loop !== undefined && indexVar) Object.assign(loopVars, { [indexVar]: i, ansible_index_var: indexVar });
        if (inc.loop !== undefined && extended) loopVars['ansible_loop'] = extendedLoop(items, i, inc.loopControl?.['extended_allitems'] !== false);
        const v = inc.loop !== undefined ? { ...base, ...loopVars } : base;
        if (!condsHold(conds, v)) continue;
        any = true;
        const target = String(renderValue(inc.target, v, { source: inc.source, what: inc.directive }));
        const params: Vars = { ...(inc.vars ?? {}) };
        Object.assign(params, loopVars);
        const key = `${target}\0${JSON.stringify(params)}`;
        let u = units.get(key);
        if (!u) units.set(key, (u = { target, hosts: [], params, label: inc.loop !== undefined ? itemLabel(item) : undefined }));
        u.hosts.push(h);
      }
      if (!any) {
        h.stats.skipped++;
        runCtx.events.emit({
          type: 'host_result',
          host: h.name,
          task: name,
          status: 'skipped',
          result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' },
        });
      }
    } catch (e) {
      fail(e);
    }
  }
  const apply = isObj(inc.args['apply']) ? common(inc.args['apply'], inc.source.file, runCtx.load) : undefined;
  // first every file is loaded and reported (as Ansible does), then the included tasks run, unit by unit
  const runs: { tasks: TaskNode[]; hosts: HostState[]; inh: Inherited }[] = [];
  for (const u of units.values()) {
    const unitHosts = u.hosts.filter((h) => h.alive());
    if (!unitHosts.length) continue;
    // the included tasks are blocks of their own (no rescue, no always) inside the include's section
    let inh: Inherited = { ...parent, params: [...parent.params, u.params], sections: [...parent.sections, IMPLICIT] };
    if (apply) inh = inherit(inh, apply);
    if (!isRole) {
      // a role's handler may include from the role's tasks/ (baseDir) or beside itself (handlers/)
      const path =
        resolveTaskFile(u.target, inc.baseDir, runCtx.load) ?? (inc.role ? resolveTaskFile(u.target, dirname(inc.source.file), runCtx.load) : undefined);
      if (!path) {
        for (const h of unitHosts) {
          h.stats.failed++;
          h.failed = true;
          failed.add(h);
          runCtx.events.emit({
            type: 'host_result',
            host: h.name,
            task: name,
            status: 'failed',
            result: { failed: true, reason: `Could not find or access '${resolve(inc.baseDir, u.target)}' on the Ansible Controller.` },
          });
        }
        continue;
      }
      const load = { ...runCtx.load, importedHandlers: [] as TaskNode[] };
      const tasks = loadTaskFile(path, load, inc.role);
      // an include notified as a handler: its tasks are handlers (no blocks in blocks)
      if ((pr.handlers as readonly object[]).includes(inc)) flattenHandlers(tasks, { ...load, errors: undefined });
      addHandlers(pr, load.importedHandlers, load);
      runCtx.events.emit({ type: 'include', file: path, hosts: unitHosts.map((h) => h.name), item: u.label });
      for (const h of unitHosts) h.stats.ok++;
      runs.push({ tasks, hosts: unitHosts, inh });
    } else {
      const load = { ...runCtx.load, importedHandlers: [] as TaskNode[] };
      let loaded: ReturnType<typeof includeRole>;
      try {
        loaded = includeRole(u.target, inc.args, u.params, inc.raw, load, inc.role ?? parent.role);
      } catch (e) {
        if (!(e instanceof TsplayError)) throw e;
        // as ansible-core: the error is shown (no task result, no stats) and the hosts that included it fail
        runCtx.events.emit({ type: 'error', message: e.format() });
        for (const h of unitHosts) {
          h.failed = true;
          failed.add(h);
        }
        continue;
      }
      if (loaded.role.public) {
        Object.assign(pr.scope.roleDefaults, loaded.role.defaults);
        Object.assign(pr.scope.roleVars, loaded.role.vars);
      }
      // the role's handlers, then those of roles it imports
      addHandlers(pr, [...loaded.handlers, ...load.importedHandlers], load);
      runs.push({ tasks: loaded.tasks, hosts: unitHosts, inh: { ...inh, params: parent.params, role: loaded.role } });
    }
  }
  if (failed.size) {
    for (const h of failed) noteFailure(h, parent);
    const forGood = failsForGood(parent) ? [...failed] : [];
    if (parent.rescuable) for (const h of failed) h.pendingRescue = true;
    checkPolicies(r, pr, forGood, anyErrorsFatal, { inh: parent, ran: live });
  }
  for (const run of runs) {
    if (pr.aborted) return;
    await r.runList(run.tasks, pr, run.hosts, run.inh);
  }
}

/** Handlers loaded at run time (an included role's, a role imported by included tasks) join the play's, once. */
function addHandlers(pr: PlayRun, handlers: TaskNode[], load: LoadContext): void {
  if (!handlers.length) return;
  const at = (t: { source: { file: string; line: number; col: number } }) => `${t.source.file}:${t.source.line}:${t.source.col}`;
  for (const hd of flattenHandlers(handlers, load)) if (!pr.handlers.some((x) => at(x) === at(hd))) pr.handlers.push(hd);
}
