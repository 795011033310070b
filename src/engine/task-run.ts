/**
 * One task across the live hosts of a batch: selection (tags, --start-at-task, --step), the task banner,
 * run_once, parallel execution, then Ansible's accounting per host — stats, register, facts / set_fact /
 * include_vars, notify, failure (rescued when an enclosing block has a rescue) — and the play's failure
 * policies (any_errors_fatal, max_fail_percentage).
 */
import type { TaskIR, Vars } from '../config/playbook-types.js';
import type { FileDiff } from '../contract/define.js';
import { roleTaskName } from '../config/roles.js';
import { UnsafeString } from '../config/yaml.js';
import { globToRegExp } from '../../lib/shell/glob.js';
import { hasTemplate, renderValue } from './templating/index.js';
import { isTuple, tuple } from './templating/py.js';
import { inherit, renderTags, tagsSelected, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { runTaskOnHost, type HostPrep, type Outcome, type TaskInPlay } from './task-exec.js';
import { resolveKeywords } from './keywords.js';
import { notify } from './handlers.js';
import { addFacts, scopeFor } from './vars.js';
import type { Runner } from './runner.js';

/** Bounded parallel map. */
export async function pmap<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  });
  await Promise.all(workers);
}

/** The task's name as shown: `role : name`, templated with the first host's variables when possible. */
export function displayName(task: Pick<TaskIR, 'name' | 'action' | 'role'>, vars: () => Vars): string {
  let name = task.name ?? task.action;
  if (task.name && hasTemplate(task.name)) {
    try {
      name = String(renderValue(task.name, vars()));
    } catch {
      // as Ansible: a name that can't be templated is shown as written
    }
  }
  return roleTaskName(task, name);
}

/** --start-at-task: the task's name (plain or `role : name`) equals or glob-matches the given one. */
function startsHere(task: TaskIR, name: string, wanted: string): boolean {
  if (task.name === wanted || name === wanted) return true;
  try {
    const re = globToRegExp(wanted);
    return re.test(name) || (task.name !== undefined && re.test(task.name));
  } catch {
    return false;
  }
}

/** Is the task selected by --tags/--skip-tags, --start-at-task and --step? */
export async function selected(r: Runner, task: TaskIR, tags: string[], name: string): Promise<boolean> {
  const runCtx = r.runCtx;
  if (!tagsSelected(tags, runCtx.opts.tags, runCtx.opts.skipTags)) return false;
  if (runCtx.waitingForStart !== undefined) {
    if (!startsHere(task, name, runCtx.waitingForStart)) return false;
    runCtx.waitingForStart = undefined;
  }
  if (runCtx.opts.step && runCtx.askStep) {
    const a = await runCtx.askStep(name);
    if (a === 'no') return false;
    if (a === 'continue') runCtx.opts.step = false;
  }
  return true;
}

/** What runTask runs: a task of a play on a batch of hosts, with what its blocks give it; a handler or not. */
export interface TaskCall {
  task: TaskIR;
  pr: PlayRun;
  hosts: HostState[];
  parent: Inherited;
  handler?: boolean;
}

export async function runTask(r: Runner, call: TaskCall): Promise<void> {
  const { task, pr, hosts, parent, handler = false } = call;
  const runCtx = r.runCtx;
  const inh = inherit(parent, task, { when: false, vars: false });
  const live = hosts.filter((h) => h.alive());
  if (!live.length) return;
  const name = displayName(task, () => scopeFor(pr.scope, live[0]!, inh));
  if (
    !handler &&
    !(await selected(
      r,
      task,
      renderTags(inh.tags, () => scopeFor(pr.scope, live[0]!, inh)),
      name,
    ))
  )
    return;
  for (const k of ['async', 'throttle', 'module_defaults']) {
    if (task.raw[k] && task.raw[k] !== 0)
      runCtx.events.emit({ type: 'warning', message: `${name}: '${k}' is not supported and has no effect (the task runs as usual)` });
  }
  // every host's variables and keywords, resolved once (task vars included); run_once decides the targets
  const preps = new Map<HostState, HostPrep>();
  for (const h of live) {
    const vars = scopeFor(pr.scope, h, { ...inh, layers: task.vars ? [...inh.layers, task.vars] : inh.layers });
    preps.set(h, { vars, keywords: resolveKeywords(task, inh, vars, runCtx.opts) });
  }
  const targets = runOnceTargets(live, (h) => preps.get(h)!.keywords.settings.runOnce);
  runCtx.events.emit({
    type: 'task_start',
    name,
    action: task.action,
    hosts: targets.map((h) => h.name),
    handler,
    source: task.source,
    path: `${task.source.file}:${task.source.line}`,
    origin: task.module.origin,
  });
  const outcomes = new Map<HostState, Outcome>();
  const step: TaskInPlay = { pr, task, inh, displayName: name };
  await pmap(targets, runCtx.opts.forks, async (h) => {
    outcomes.set(h, await runTaskOnHost(runCtx, step, h, preps.get(h)!));
  });
  const fatal: HostState[] = [];
  let policy = false;
  for (const h of targets) {
    const o = outcomes.get(h)!;
    // run_once: the host that ran it for the others shares its result (and its variables) with every host of the batch
    const shareWith = o.settings.runOnce ? live : [h];
    if (account(r, step, h, o, shareWith)) {
      fatal.push(h);
      // any_errors_fatal, also implied by a failing run_once task (as ansible-core's linear strategy)
      if (o.settings.anyErrorsFatal || o.settings.runOnce) policy = true;
    }
  }
  checkPolicies(r, pr, fatal, policy, { inh, ran: targets });
}

/**
 * The hosts a task runs on: as ansible-core's linear strategy, hosts in order up to and including the first whose
 * run_once is true (usually the first host: then it runs once, for all).
 */
export function runOnceTargets<T>(hosts: T[], runOnce: (h: T) => boolean): T[] {
  const i = hosts.findIndex(runOnce);
  return i < 0 ? hosts : hosts.slice(0, i + 1);
}

/** Strings (deeply) as unsafe values: shown as they are, their `{{ }}` not templated. */
export function unsafeDeep(v: unknown): unknown {
  if (typeof v === 'string') return new UnsafeString(v);
  if (Array.isArray(v)) return isTuple(v) ? tuple(v.map(unsafeDeep)) : v.map(unsafeDeep);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, unsafeDeep(x)]));
  return v;
}

/**
 * Results as registered: without Ansible's internal `_ansible_*` keys, their strings unsafe (ansible-core's
 * wrap_var(result)): a message or output holding `{{ }}` is data, not templated when the variable is read.
 */
function registered(result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) if (!k.startsWith('_ansible_') && !k.startsWith('_tsplay_') && v !== undefined) out[k] = v;
  if (Array.isArray(out.diff)) out.diff = registeredDiff(out.diff as FileDiff[]);
  // a loop's items, likewise
  if (Array.isArray(out.results)) {
    out.results = out.results.map((x: unknown) =>
      x && typeof x === 'object' && Array.isArray((x as Record<string, unknown>).diff)
        ? { ...(x as Record<string, unknown>), diff: registeredDiff((x as Record<string, unknown>).diff as FileDiff[]) }
        : x,
    );
  }
  for (const k of Object.keys(out)) out[k] = unsafeDeep(out[k]);
  return out;
}

/**
 * The diff as Ansible's modules return it: a module's own dict (file's before/after attribute dicts), else the
 * list of {before, after, before_header, after_header} (copy, template, lineinfile...).
 */
function registeredDiff(d: FileDiff[]): unknown {
  if (d.length === 1 && d[0]!.data) return d[0]!.data;
  return d.map((x) => ({
    before: x.before,
    after: x.after,
    ...(x.beforeHeader !== undefined ? { before_header: x.beforeHeader } : {}),
    ...(x.afterHeader !== undefined ? { after_header: x.afterHeader } : {}),
  }));
}

/** Apply one host's outcome. Returns true when the host failed for good (not rescued, not ignored). */
function account(r: Runner, step: TaskInPlay, h: HostState, o: Outcome, shareWith: HostState[]): boolean {
  const { pr, task, inh } = step;
  const s = h.stats;
  if (task.register) for (const t of shareWith) t.registered[task.register] = registered(o.result);
  for (const u of o.updates) {
    for (const t of u.host ? [r.hostState(u.host)] : shareWith) {
      if (u.scope === 'facts') {
        addFacts(t.facts, u.vars);
        r.runCtx.factCache?.update(t.name, u.vars);
      } else Object.assign(u.scope === 'include_vars' ? t.included : t.registered, u.vars);
    }
  }
  switch (o.status) {
    case 'ok':
    case 'changed':
      s.ok++;
      if (o.result.changed) {
        s.changed++;
        notify(r, pr, h, task.notify.length ? task.notify : (inh.notify ?? []), inh, task.source);
      }
      return false;
    case 'skipped':
      s.skipped++;
      return false;
    case 'unreachable': {
      if (o.settings.ignoreUnreachable) {
        s.ok++;
        s.ignored++;
        return false;
      }
      s.unreachable++;
      h.unreachable = true;
      return true;
    }
    case 'failed': {
      if (o.ignored) {
        s.ok++;
        s.ignored++;
        if (o.result.changed) s.changed++;
        return false;
      }
      const failing = shareWith.length > 1 ? shareWith : [h];
      for (const t of failing) {
        t.failed = true;
        noteFailure(t, inh);
        if (inh.rescuable) {
          t.pendingRescue = true;
          // as ansible-core's wrap_var(task.serialize()): the task as written, never templated again
          t.registered['ansible_failed_task'] = unsafeDeep({
            name: task.name ?? '',
            action: task.action,
            args: task.args,
            role: task.role?.name,
            path: `${task.source.file}:${task.source.line}`,
          });
          t.registered['ansible_failed_result'] = registered(o.result);
        }
      }
      if (inh.rescuable) s.rescued++;
      else s.failed++;
      return failsForGood(inh);
    }
  }
}

/**
 * Does a host that fails here stay failed (ansible-core's iterator.is_failed right after the failure)? Not when
 * an enclosing block's rescue catches it, nor when the innermost block's always runs next.
 */
export function failsForGood(inh: Inherited): boolean {
  const sec = inh.sections.at(-1);
  return !inh.rescuable && !(sec?.hasAlways && sec.part !== 'always');
}

/** A host failed here: done with the play unless a rescue or an always follows (ansible-core's tqm failed_hosts). */
export function noteFailure(h: HostState, inh: Inherited): void {
  if (failsForGood(inh) && !headsIntoRescueOrAlways(inh)) h.fatal = true;
}

/** Does a host failing here go on in a rescue or an always (of this block or, the block failing, of an enclosing one)? */
function headsIntoRescueOrAlways(inh: Inherited): boolean {
  return inh.sections.some((s) => (s.part === 'block' && s.hasRescue) || (s.part !== 'always' && s.hasAlways));
}

/** Where the failure happened: the task's (or include's) inherited context and the hosts it ran on. */
export interface FailureSite {
  inh: Inherited;
  ran: HostState[];
}

/**
 * any_errors_fatal (also implied by a failing run_once task) and max_fail_percentage, as ansible-core's linear
 * strategy: when a host failed for good, every host of the batch is marked failed except those now heading into
 * (or running) a rescue or an always section; the playbook stops after this play, and the play itself ends at
 * once ("NO MORE HOSTS LEFT") when every host left is marked.
 */
export function checkPolicies(r: Runner, pr: PlayRun, fatal: HostState[], anyErrorsFatal: boolean, site: FailureSite): void {
  if (pr.aborted) return;
  if (fatal.length && anyErrorsFatal) {
    const sec = site.inh.sections.at(-1);
    const ran = new Set(site.ran);
    for (const h of pr.batch) {
      if (h.unreachable) continue;
      let spared: boolean;
      if (ran.has(h) && h.failed) spared = headsIntoRescueOrAlways(site.inh);
      else if (ran.has(h)) spared = sec?.part === 'rescue' || sec?.part === 'always';
      else spared = h.failed && h.pendingRescue;
      if (!spared) {
        h.fatal = true;
        pr.breakPlay = true;
      }
    }
  }
  if (pr.breakPlay) {
    const left = pr.batch.filter((h) => !h.unreachable);
    if (left.every((h) => h.fatal)) return abort(r, pr);
  }
  if (fatal.length && pr.maxFailPercentage !== undefined) {
    const failed = pr.batch.filter((h) => h.failed && !h.pendingRescue).length;
    if (failed / pr.batch.length > pr.maxFailPercentage / 100) abort(r, pr);
  }
}

export function abort(r: Runner, pr: PlayRun): void {
  pr.aborted = true;
  for (const h of pr.batch) h.ended = true;
  r.runCtx.events.emit({ type: 'no_hosts_remaining' });
}
