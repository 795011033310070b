/**
 * One task on one host: conditions, loop, argument templating and validation, become, delegation,
 * retries (until), changed_when / failed_when. Emits a host_result per item (or one for the task) and returns
 * the task's outcome: the result to register, and the variables it sets (facts, set_fact, include_vars) for the
 * runner to store.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { TaskIR, Vars } from '../config/playbook-types.js';
import type { ResultData } from '../contract/define.js';
import { ignoredArgWarnings, validateArgs } from '../contract/validate.js';
import { ArgsError, ModuleError, TsplayError, UnreachableError } from '../errors.js';
import { posOf, posOfKey } from '../config/yaml.js';
import { argPos } from '../config/static-args.js';
import {
  evalCondition,
  evalExpression,
  hasTemplate,
  pyStr,
  queryLookup,
  renderTemplateFile,
  renderValue,
  stripOmit,
  unwrapUnsafe,
  wrapUnsafe,
} from './templating/index.js';
import { executeModule } from './execute.js';
import type { HostStatus } from './events.js';
import type { HostState } from './host-state.js';
import type { Cond, Inherited, PlayRun, RunContext } from './context.js';
import {
  condsHold,
  evalConditional,
  evalResultConditions,
  resolveKeywords,
  taskConds,
  withConnectionSettings,
  type KeywordResolution,
  type TaskSettings,
} from './keywords.js';
import { itemLabel, loopItems } from './loops.js';
import { registerSecret } from '../output/mask.js';
import { FactCache } from '../facts/cache.js';
import { boolWord } from '../../lib/args/booleans.js';

/** Where variables a task returns are stored (Ansible: facts < include_vars < set_fact/registered). */
export type VarsScope = 'facts' | 'include_vars' | 'set_fact';

export interface VarsUpdate {
  scope: VarsScope;
  vars: Vars;
  /** delegate_facts: the delegated host gets them */
  host?: string;
}

export interface Outcome {
  status: HostStatus;
  /** the result as registered (loop: with `results`) */
  result: ResultData;
  ignored?: boolean;
  updates: VarsUpdate[];
  /** the task's keywords as resolved for this host (a loop: ignore_errors says whether its failure is ignored) */
  settings: TaskSettings;
}

/** Lenient boolean words, for play-level options that are not task keywords (gather_facts, force_handlers). */
export function toBool(v: unknown): boolean {
  if (typeof v === 'string') return boolWord(v) === true;
  return !!v;
}

/** Resolve a controller file like Ansible: role dir (files/ or templates/ first), then the playbook dir. */
export function findControllerFile(
  src: string,
  kind: 'files' | 'templates',
  roleDir: string | undefined,
  playbookDir: string,
): { path?: string; searched: string[] } {
  if (isAbsolute(src)) return { path: existsSync(src) ? src : undefined, searched: [src] };
  const bases = [...(roleDir ? [resolve(roleDir, kind), roleDir, resolve(roleDir, 'tasks')] : []), resolve(playbookDir, kind), playbookDir];
  const searched = bases.map((b) => resolve(b, src));
  return { path: searched.find((p) => existsSync(p)), searched };
}

/** One task on one host: what every step of its execution needs. */
interface HostTask {
  runCtx: RunContext;
  pr: PlayRun;
  task: TaskIR;
  host: HostState;
  inh: Inherited;
  displayName: string;
  emit: Emit;
}

/** The host's variables for the task and its keywords resolved against them (task-run.ts prepares them). */
export interface HostPrep {
  vars: Vars;
  keywords: KeywordResolution;
}

const SKIPPED: ResultData = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };

/** The failed result of a task whose condition or keyword could not be resolved (as Ansible's: the message only). */
const keywordFailure = (e: TsplayError): ResultData => ({ failed: true, msg: e.format() });
/** A failed task's msg: the error (with its source), or the module's own wording where ansible-core has one. */
const failMsg = (e: TsplayError): string => (e instanceof ArgsError && e.resultMsg) || e.format();

/** A task of a play, as it is about to run: what every host's execution of it shares. */
export interface TaskInPlay {
  pr: PlayRun;
  task: TaskIR;
  /** what the task inherits from its blocks and role */
  inh: Inherited;
  /** the name shown in the output (templated once, on the first host) */
  displayName: string;
}

/** Run the task on one host (all loop items). */
export async function runTaskOnHost(runCtx: RunContext, step: TaskInPlay, host: HostState, prep: HostPrep): Promise<Outcome> {
  const { pr, task, inh, displayName } = step;
  const { vars: base, keywords } = prep;
  const settings = keywords.settings;
  const emit: Emit = (status, result, o = {}) =>
    runCtx.events.emit({ type: 'host_result', host: host.name, task: displayName, status, result, ...o, noLog: o.noLog ?? settings.noLog });
  const t: HostTask = { runCtx, pr, task, host, inh, displayName, emit };
  const conds = taskConds(task, inh);
  const fail = (r: ResultData, delegatedTo?: string): Outcome => {
    emit('failed', r, { ignored: settings.ignoreErrors, delegatedTo });
    return { status: 'failed', result: r, ignored: settings.ignoreErrors, updates: [], settings };
  };
  try {
    if (task.loop !== undefined) return await runLoop(t, base, settings, conds);
    let holds: boolean;
    try {
      holds = condsHold(conds, base);
    } catch (e) {
      if (e instanceof TsplayError && !(e instanceof UnreachableError)) return fail(keywordFailure(e));
      throw e;
    }
    if (!holds) {
      emit('skipped', { ...SKIPPED });
      return { status: 'skipped', result: { ...SKIPPED }, updates: [], settings };
    }
    warnAll(t, keywords);
    if (keywords.error) return fail(keywordFailure(keywords.error), keywords.delegateLabel);
    const o = await runOne(t, base, settings);
    emit(o.status, o.result, { ignored: o.ignored, delegatedTo: o.delegatedTo, delegatedAddr: o.delegatedAddr, diff: o.diff });
    return o;
  } catch (e) {
    if (e instanceof UnreachableError) {
      const r: ResultData = { changed: false, unreachable: true, msg: e.message };
      emit('unreachable', r, { ignored: settings.ignoreUnreachable });
      return { status: 'unreachable', result: r, updates: [], settings };
    }
    // the task's own errors (as TaskExecutor's AnsibleError: no changed key); a module's failure says changed: false
    if (e instanceof TsplayError) return fail(e.code === 'playbook' ? keywordFailure(e) : { changed: false, failed: true, msg: failMsg(e) });
    throw e;
  }
}

function warnAll(t: HostTask, k: KeywordResolution): void {
  for (const message of k.warnings) t.runCtx.events.emit({ type: 'warning', message: `${t.host.name}: ${message}` });
}

type EmitOpts = { item?: string; ignored?: boolean; delegatedTo?: string; delegatedAddr?: string; diff?: boolean; loopEnd?: boolean; noLog?: boolean };
type Emit = (status: HostStatus, result: ResultData, o?: EmitOpts) => void;

/** loop_control.extended's ansible_loop for item i. */
export function extendedLoop(items: unknown[], i: number, allItems: boolean): Vars {
  const loop: Vars = {
    index: i + 1,
    index0: i,
    revindex: items.length - i,
    revindex0: items.length - i - 1,
    first: i === 0,
    last: i === items.length - 1,
    length: items.length,
  };
  if (allItems) loop['allitems'] = items;
  if (i > 0) loop['previtem'] = items[i - 1];
  if (i < items.length - 1) loop['nextitem'] = items[i + 1];
  return loop;
}

/** A loop: items, then per item its condition, its keywords (they may use the item) and one execution. */
async function runLoop(t: HostTask, base: Vars, hostSettings: TaskSettings, conds: Cond[]): Promise<Outcome> {
  const { task, emit } = t;
  const loopKey = task.loopKind === 'loop' ? 'loop' : `with_${task.loopKind}`;
  const loopSrc = posOf(task.raw, loopKey) ?? task.source;
  let items: unknown[];
  try {
    const lookup = (name: string, terms: unknown) => queryLookup(name, terms, base, { source: loopSrc, action: task.action });
    items = loopItems(task.loopKind!, renderValue(task.loop, base, { source: loopSrc, what: loopKey }), loopSrc, lookup);
    // as ansible-core's _get_loop_items: a with_* lookup's items are unsafe (wrap_var), loop: items are not
    if (task.loopKind !== 'loop') items = items.map(wrapUnsafe);
  } catch (e) {
    // like Ansible: an undefined loop is only an error when the task's condition holds without the item
    if (e instanceof TsplayError && e.code === 'undefined-var' && safe(() => !condsHold(conds, base), false)) {
      emit('skipped', { ...SKIPPED });
      return { status: 'skipped', result: { ...SKIPPED }, updates: [], settings: hostSettings };
    }
    throw e;
  }
  const lc = task.loopControl ?? {};
  const loopVar = String(renderValue(lc['loop_var'] ?? 'item', base));
  const indexVar = lc['index_var'] != null ? String(renderValue(lc['index_var'], base)) : undefined;
  const extended = toBool(renderValue(lc['extended'] ?? false, base));
  const pause = Number(renderValue(lc['pause'] ?? 0, base)) || 0;
  if (!items.length) {
    const r: ResultData = { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
    emit('skipped', r);
    return { status: 'skipped', result: r, updates: [], settings: hostSettings };
  }
  const results: ResultData[] = [];
  const updates: Outcome['updates'] = [];
  let anyChanged = false;
  let anyFailed = false;
  let allSkipped = true;
  // as ansible-core: the loop's failure is ignored when every failed item was (each item has its own ignore_errors)
  let allFailedIgnored = true;
  let noLog = hostSettings.noLog;
  let settings = hostSettings;
  // as ansible-core: facts an item sets (set_fact, include_vars) are seen by the items after it
  const carried: Vars = {};
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const v: Vars = { ...base, ...carried, [loopVar]: item, ansible_loop_var: loopVar };
    const tag: ResultData = { [loopVar]: unwrapUnsafe(item), ansible_loop_var: loopVar };
    if (indexVar) {
      v[indexVar] = i;
      tag[indexVar] = i;
      tag['ansible_index_var'] = indexVar;
    }
    if (extended) {
      const loop = extendedLoop(items, i, lc['extended_allitems'] !== false);
      v['ansible_loop'] = loop;
      tag['ansible_loop'] = loop;
    }
    let label: string;
    try {
      label = lc['label'] !== undefined ? itemLabel(renderValue(lc['label'], v)) : itemLabel(item);
    } catch {
      label = itemLabel(item);
    }
    if (lc['label'] !== undefined) tag['_ansible_item_label'] = label;
    let o: OneResult;
    let itemNoLog = hostSettings.noLog;
    try {
      if (!condsHold(conds, v)) {
        const r: ResultData = { ...SKIPPED, ...tag };
        results.push(r);
        emit('skipped', r, { item: hostSettings.noLog ? CENSORED_LABEL : label, noLog: hostSettings.noLog });
        continue;
      }
      const k = resolveKeywords(task, t.inh, v, t.runCtx.opts);
      settings = k.settings;
      itemNoLog = k.settings.noLog;
      warnAll(t, k);
      if (k.error) {
        // as ansible-core: a keyword that fails for an item fails the whole task (the items' results are dropped)
        const r = keywordFailure(k.error);
        const ign = k.settings.ignoreErrors;
        emit('failed', r, { ignored: ign, delegatedTo: k.delegateLabel, noLog: noLog || itemNoLog });
        return { status: 'failed', result: r, ignored: ign, updates: [], settings: { ...hostSettings, ignoreErrors: ign } };
      }
      o = await runOne(t, v, k.settings);
    } catch (e) {
      if (!(e instanceof TsplayError) || e instanceof UnreachableError) throw e;
      o = { status: 'failed', result: { changed: false, failed: true, msg: failMsg(e) }, ignored: settings.ignoreErrors, updates: [], settings };
    }
    // one censored item censors the loop's summary (as ansible-core)
    if (itemNoLog) noLog = true;
    allSkipped = false;
    const r = { ...o.result, ...tag };
    results.push(r);
    updates.push(...o.updates);
    for (const u of o.updates) if (!u.host) Object.assign(carried, u.vars);
    emit(o.status, r, {
      item: itemNoLog ? CENSORED_LABEL : label,
      ignored: false,
      delegatedTo: o.delegatedTo,
      delegatedAddr: o.delegatedAddr,
      diff: o.diff,
      noLog: itemNoLog,
    });
    if (o.status === 'changed' || r.changed) anyChanged = true;
    if (o.status === 'failed') {
      anyFailed = true;
      if (!o.ignored) allFailedIgnored = false;
    }
    if (o.status === 'unreachable') return { status: 'unreachable', result: r, updates, settings };
    if (pause > 0 && i < items.length - 1) await new Promise((res) => setTimeout(res, pause * 1000));
  }
  const agg: ResultData = {
    changed: anyChanged,
    msg: anyFailed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed',
    results,
  };
  if (anyFailed) agg.failed = true;
  if (allSkipped) agg.skipped = true;
  const status: HostStatus = anyFailed ? 'failed' : allSkipped ? 'skipped' : anyChanged ? 'changed' : 'ok';
  const ignored = anyFailed && allFailedIgnored;
  // the loop's summary: the renderers print only "skipping" (all items skipped) and "...ignoring"
  emit(status, agg, { loopEnd: true, ignored, noLog });
  return { status, result: agg, ignored, updates: anyFailed ? [] : updates, settings: { ...hostSettings, ignoreErrors: ignored } };
}

const CENSORED_LABEL = '(censored due to no_log)';

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

interface OneResult extends Outcome {
  delegatedTo?: string;
  delegatedAddr?: string;
  diff?: boolean;
}

const warned = new WeakMap<TaskIR, Set<string>>();
/** A warning about a task's text, once per task (not per host and loop item). */
function warnOnce(task: TaskIR, messages: string[], emit: (m: string) => void): void {
  const seen = warned.get(task) ?? warned.set(task, new Set()).get(task)!;
  for (const m of messages) {
    if (seen.has(m)) continue;
    seen.add(m);
    emit(m);
  }
}

/** One execution (one item): args → module → retries → changed_when/failed_when. */
async function runOne(t: HostTask, vars: Vars, s: TaskSettings): Promise<OneResult> {
  const { runCtx, pr, task, host, inh } = t;
  const mod = task.module;
  let rendered = stripOmit(renderArgs(task, task.action, vars)) as Record<string, unknown>;
  if ('_variable_params' in rendered) {
    // TaskExecutor: the variable params must give a mapping; the task's own k=v arguments win over it
    const { _variable_params: vp, ...own } = rendered;
    if (!vp || typeof vp !== 'object' || Array.isArray(vp))
      throw new TsplayError('playbook', `invalid or malformed argument: '${pyStr(vp)}'`, { source: posOfKey(task.raw, task.action) ?? task.source });
    warnOnce(
      task,
      [
        "Using a variable for a task's 'args' is unsafe in some situations (see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)",
      ],
      (message) => runCtx.events.emit({ type: 'warning', message }),
    );
    rendered = { ...(vp as Record<string, unknown>), ...own };
  }
  let args: Record<string, unknown>;
  try {
    args = validateArgs(mod, rendered);
    warnOnce(task, ignoredArgWarnings(mod, rendered), (message) => runCtx.events.emit({ type: 'warning', message }));
  } catch (e) {
    if (e instanceof ArgsError) e.source = argPos(task, task.action, e.path);
    throw e;
  }
  const asyncVal = task.raw['async'];
  if (mod.refusesAsync && asyncVal !== undefined && asyncVal !== null && asyncVal !== 0 && asyncVal !== '0' && asyncVal !== false)
    throw new ModuleError('async is not supported for this task.');
  if (s.noLog) for (const v of Object.values(args)) if (typeof v === 'string' && v.length >= 4) registerSecret(v);
  const delegatedTo = s.delegateTo;
  const delegated = delegatedTo !== undefined && delegatedTo !== host.name;
  const connVars = withConnectionSettings(delegated ? runCtx.hostVarsOf(delegatedTo) : vars, s);
  const delegatedAddr =
    delegated && typeof connVars['ansible_host'] === 'string' && connVars['ansible_host'] !== delegatedTo ? connVars['ansible_host'] : undefined;
  const facts = delegated ? new FactCache() : host.factCache;
  const playbookDir = pr.play.dir;
  const roleDir = (task.role ?? inh.role)?.dir;

  // the module's warnings go to the output and, as in Ansible, into the result's `warnings` list
  let warnings: string[] = [];
  const exec = (v: Vars) =>
    executeModule(mod, args, {
      host: host.name,
      vars: v,
      checkMode: s.checkMode,
      diffMode: s.diff,
      become: s.become,
      becomeUser: s.becomeUser,
      noLog: s.noLog,
      verbosity: runCtx.opts.verbosity,
      environment: s.environment,
      timeoutSec: s.timeoutSec,
      connection: () => runCtx.connect(delegated ? delegatedTo : host.name, connVars),
      facts,
      controllerDir: playbookDir,
      async readControllerFile(src, kind) {
        const f = findControllerFile(src, kind, roleDir, playbookDir);
        if (!f.path) throw new ModuleError(`Could not find or access '${src}' on the controller (searched: ${f.searched.join(', ')})`);
        return { path: f.path, data: await readFile(f.path) };
      },
      async renderTemplate(src, extra) {
        const f = findControllerFile(src, 'templates', roleDir, playbookDir);
        if (!f.path) throw new ModuleError(`Could not find or access template '${src}' on the controller (searched: ${f.searched.join(', ')})`);
        return renderTemplateFile(f.path, extra ? { ...v, ...extra } : v);
      },
      evaluate: (expr) => evalExpression(expr, v, { source: task.source }),
      condition: (cond) => evalCondition(cond, v, { source: task.source }),
      warn: (message) => {
        warnings.push(message);
        runCtx.events.emit({ type: 'warning', message: `${host.name}: ${message}` });
      },
      log: (message) => {
        if (runCtx.opts.verbosity >= 2) runCtx.events.emit({ type: 'warning', message: `${host.name}: ${message}` });
      },
    });

  const until = task.until;
  let result: ResultData = {};
  for (let attempt = 1; attempt <= s.attempts; attempt++) {
    warnings = [];
    // a retry asks the host again: what the attempt before read is not served (until: waits for a change)
    if (attempt > 1) facts.invalidate();
    result = await exec(vars);
    // group_by / add_host: the engine changes the inventory (as ansible-core's strategy), before changed_when
    if (!result.failed && ('add_group' in result || 'add_host' in result)) result.changed = runCtx.inventoryChange?.(host.name, result) ?? false;
    if (warnings.length) result.warnings = [...(Array.isArray(result.warnings) ? (result.warnings as unknown[]) : []), ...warnings];
    result.failed ??= false;
    result.changed ??= false;
    if (until !== undefined) result.attempts = attempt;
    const v = task.register ? { ...vars, [task.register]: result } : vars;
    if (!result.skipped) evalResultConditions(task, result, v);
    if (until === undefined) break;
    if (evalConditional(until, v, posOfKey(task.raw, 'until') ?? task.source, 'until')) break;
    if (attempt === s.attempts) {
      // out of attempts, as ansible-core: attempts is the retries (one less than the runs); failed unless a
      // failed_when decided (TaskResult.is_failed reads failed_when_result first)
      if (s.attempts > 1) result.attempts = s.attempts - 1;
      result.failed = typeof result.failed_when_result === 'boolean' ? result.failed_when_result : true;
      break;
    }
    runCtx.events.emit({ type: 'retry', host: host.name, task: t.displayName, retriesLeft: s.attempts - attempt, result, noLog: s.noLog });
    if (s.delaySec > 0) await new Promise((res) => setTimeout(res, s.delaySec * 1000));
  }
  for (const k of mod.secretArgs ?? []) if (typeof args[k] === 'string') registerSecret(args[k]);
  // time passed while it waited: what any host answered before is asked again (the world may have moved)
  if (mod.waits) facts.invalidate();

  let status: HostStatus = result.failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
  const ignored = status === 'failed' ? s.ignoreErrors : false;
  const updates: VarsUpdate[] = [];
  const returned = result.ansible_facts;
  // debug: var=ansible_facts shows the facts, it does not set them (ansible/ansible#74060)
  if (returned && typeof returned === 'object' && status !== 'failed' && status !== 'skipped' && result['_tsplay_debug'] !== true) {
    const scope: VarsScope = result['_tsplay_vars_scope'] === 'include_vars' ? 'include_vars' : mod.runsOn === 'controller' ? 'set_fact' : 'facts';
    updates.push({ scope, vars: returned, host: delegated && s.delegateFacts ? delegatedTo : undefined });
    // set_fact cacheable: the values are facts too (kept in the fact cache), as ansible-core's strategy sets both
    if (result['_tsplay_facts_cacheable'] === true)
      updates.push({ scope: 'facts', vars: returned, host: delegated && s.delegateFacts ? delegatedTo : undefined });
  }
  delete result['_tsplay_vars_scope'];
  delete result['_tsplay_facts_cacheable'];
  if (result.skipped && status !== 'skipped') status = 'skipped';
  return { status, result, ignored, updates, settings: s, delegatedTo: delegated ? delegatedTo : undefined, delegatedAddr, diff: s.diff };
}

/** Template the arguments one by one, so an error names the argument and points at its value. */
function renderArgs(task: TaskIR, actionKey: string, vars: Vars): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const node = task.argsNode as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(task.args)) {
    const source = (node && k in node ? posOf(node, k) : undefined) ?? posOfKey(task.raw, actionKey) ?? task.source;
    try {
      // a templated key (`set_fact: "{{ name }}=value"`) is templated too, as Ansible templates the whole args dict
      const key = hasTemplate(k) ? String(renderValue(k, vars, { source, what: `${task.action} argument name` })) : k;
      if (Array.isArray(v) && task.module.untemplatedArgs?.includes(key)) out[key] = v;
      // set_fact keeps what a template made from unsafe data unsafe (wrap_var), so the fact is not templated again
      else out[key] = renderValue(v, vars, { source, what: `${task.action}.${key}`, keepUnsafe: task.module.name === 'set_fact' && key !== 'cacheable' });
    } catch (e) {
      if (e instanceof TsplayError && e.code === 'undefined-var') e.message = `argument '${k}' uses an undefined variable: ${e.message}`;
      throw e;
    }
  }
  return out;
}
