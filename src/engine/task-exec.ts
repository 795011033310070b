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
import type { ResultData } from '../module/define.js';
import { validateArgs } from '../module/validate.js';
import { ArgsError, ModuleError, TsplayError, UnreachableError, type SourcePos } from '../errors.js';
import { posOf, posOfKey } from '../config/yaml.js';
import { argPos } from '../config/static-args.js';
import { evalCondition, evalExpression, renderTemplateFile, renderValue, stripOmit } from './templating/index.js';
import { executeModule } from './execute.js';
import type { HostStatus } from './events.js';
import type { HostState } from './host-state.js';
import type { Cond, Inherited, PlayRun, RunContext } from './context.js';
import { scopeFor } from './vars.js';
import { itemLabel, loopItems } from './loops.js';
import { registerSecret } from '../output/mask.js';
import { FactCache } from '../facts/cache.js';

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
}

const TRUE = new Set(['yes', 'on', 'true', '1', 'y', 't']);
export function toBool(v: unknown): boolean {
  if (typeof v === 'string') return TRUE.has(v.trim().toLowerCase());
  return !!v;
}

/** Resolve a controller file like Ansible: role dir (files/ or templates/ first), then the playbook dir. */
export function findControllerFile(src: string, kind: 'files' | 'templates', roleDir: string | undefined, playbookDir: string): { path?: string; searched: string[] } {
  if (isAbsolute(src)) return { path: existsSync(src) ? src : undefined, searched: [src] };
  const bases = [...(roleDir ? [resolve(roleDir, kind), roleDir, resolve(roleDir, 'tasks')] : []), resolve(playbookDir, kind), playbookDir];
  const searched = bases.map((b) => resolve(b, src));
  return { path: searched.find((p) => existsSync(p)), searched };
}

const keyPos = (task: TaskIR, key: string): SourcePos => posOfKey(task.raw, key) ?? task.source;

/** The task's conditions: inherited (blocks, includes, roles) then its own `when`. */
export function taskConds(task: TaskIR, inh: Inherited): Cond[] {
  return [...inh.when, ...(task.when !== undefined ? [{ cond: task.when, source: keyPos(task, 'when') }] : [])];
}

/** Do all conditions hold? An error names the condition, as Ansible's "The conditional check ... failed". */
export function condsHold(conds: Cond[], vars: Vars): boolean {
  return conds.every((c) => {
    try {
      return evalCondition(c.cond, vars, { source: c.source, what: 'when' });
    } catch (e) {
      if (e instanceof TsplayError && e.code === 'undefined-var') e.message = `the conditional check '${String(c.cond)}' failed: ${e.message}`;
      throw e;
    }
  });
}

const SKIPPED: ResultData = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };

/** Run the task on one host (all loop items). */
export async function runTaskOnHost(rc: RunContext, pr: PlayRun, task: TaskIR, host: HostState, inh: Inherited, displayName: string): Promise<Outcome> {
  const base = scopeFor(pr.scope, host, { ...inh, layers: task.vars ? [...inh.layers, task.vars] : inh.layers });
  let noLog = false;
  const emit: Emit = (status, result, o = {}) =>
    rc.renderer.emit({ type: 'host_result', host: host.name, task: displayName, status, result, noLog, ...o });
  const conds = taskConds(task, inh);
  const ignoreErrors = (vars: Vars) => toBool(renderValue(task.ignoreErrors ?? inh.ignoreErrors ?? false, vars));
  const failWith = (e: TsplayError, vars: Vars): Outcome => {
    const r: ResultData = { changed: false, failed: true, msg: e.format() };
    const ignored = safe(() => ignoreErrors(vars), false);
    emit('failed', r, { ignored });
    return { status: 'failed', result: r, ignored, updates: [] };
  };
  try {
    noLog = toBool(renderValue(task.noLog ?? inh.noLog ?? false, base));
    if (task.loop === undefined) {
      if (!condsHold(conds, base)) {
        emit('skipped', { ...SKIPPED });
        return { status: 'skipped', result: { ...SKIPPED }, updates: [] };
      }
      const o = await runOne(rc, pr, task, host, inh, base, displayName, noLog);
      emit(o.status, o.result, { ignored: o.ignored, delegatedTo: o.delegatedTo, delegatedAddr: o.delegatedAddr, diff: o.diff });
      return o;
    }
    return await runLoop(rc, pr, task, host, inh, base, displayName, noLog, conds, emit);
  } catch (e) {
    if (e instanceof UnreachableError) {
      const r: ResultData = { changed: false, unreachable: true, msg: e.message };
      emit('unreachable', r, { ignored: safe(() => toBool(renderValue(task.ignoreUnreachable ?? inh.ignoreUnreachable ?? false, base)), false) });
      return { status: 'unreachable', result: r, updates: [] };
    }
    if (e instanceof TsplayError) return failWith(e, base);
    throw e;
  }
}

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

type Emit = (status: HostStatus, result: ResultData, o?: { item?: string; ignored?: boolean; delegatedTo?: string; delegatedAddr?: string; diff?: boolean; loopEnd?: boolean }) => void;

async function runLoop(rc: RunContext, pr: PlayRun, task: TaskIR, host: HostState, inh: Inherited, base: Vars, displayName: string, noLog: boolean, conds: Cond[], emit: Emit): Promise<Outcome> {
  const loopKey = task.loopKind === 'loop' ? 'loop' : `with_${task.loopKind}`;
  const loopSrc = posOf(task.raw, loopKey) ?? task.source;
  let items: unknown[];
  try {
    items = loopItems(task.loopKind!, renderValue(task.loop, base, { source: loopSrc, what: loopKey }), loopSrc);
  } catch (e) {
    // like Ansible: an undefined loop is only an error when the task's condition holds without the item
    if (e instanceof TsplayError && e.code === 'undefined-var' && safe(() => !condsHold(conds, base), false)) {
      emit('skipped', { ...SKIPPED });
      return { status: 'skipped', result: { ...SKIPPED }, updates: [] };
    }
    throw e;
  }
  const lc = task.loopControl ?? {};
  const loopVar = String(lc['loop_var'] ?? 'item');
  const indexVar = lc['index_var'] != null ? String(lc['index_var']) : undefined;
  const extended = toBool(renderValue(lc['extended'] ?? false, base));
  const pause = Number(renderValue(lc['pause'] ?? 0, base)) || 0;
  if (!items.length) {
    const r: ResultData = { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
    emit('skipped', r);
    return { status: 'skipped', result: r, updates: [] };
  }
  const results: ResultData[] = [];
  const updates: Outcome['updates'] = [];
  let anyChanged = false;
  let anyFailed = false;
  let allSkipped = true;
  let ignored = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const v: Vars = { ...base, [loopVar]: item, ansible_loop_var: loopVar };
    const tag: ResultData = { [loopVar]: item, ansible_loop_var: loopVar };
    if (indexVar) {
      v[indexVar] = i;
      tag[indexVar] = i;
      tag['ansible_index_var'] = indexVar;
    }
    if (extended) {
      const loop: Vars = { index: i + 1, index0: i, revindex: items.length - i, revindex0: items.length - i - 1, first: i === 0, last: i === items.length - 1, length: items.length };
      if (lc['extended_allitems'] !== false) loop['allitems'] = items;
      if (i > 0) loop['previtem'] = items[i - 1];
      if (i < items.length - 1) loop['nextitem'] = items[i + 1];
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
    if (noLog) label = '(censored due to no_log)';
    let o: Awaited<ReturnType<typeof runOne>>;
    try {
      if (!condsHold(conds, v)) {
        const r: ResultData = { ...SKIPPED, ...tag };
        results.push(r);
        emit('skipped', r, { item: label });
        continue;
      }
      o = await runOne(rc, pr, task, host, inh, v, displayName, noLog);
    } catch (e) {
      if (!(e instanceof TsplayError) || e instanceof UnreachableError) throw e;
      const ign = safe(() => toBool(renderValue(task.ignoreErrors ?? inh.ignoreErrors ?? false, v)), false);
      o = { status: 'failed', result: { changed: false, failed: true, msg: e.format() }, ignored: ign, updates: [] };
    }
    allSkipped = false;
    const r = { ...o.result, ...tag };
    results.push(r);
    updates.push(...o.updates);
    emit(o.status, r, { item: label, ignored: false, delegatedTo: o.delegatedTo, delegatedAddr: o.delegatedAddr, diff: o.diff });
    if (o.status === 'changed' || r.changed) anyChanged = true;
    if (o.status === 'failed') {
      anyFailed = true;
      if (o.ignored) ignored = true;
    }
    if (o.status === 'unreachable') return { status: 'unreachable', result: r, updates };
    if (pause > 0 && i < items.length - 1) await new Promise((res) => setTimeout(res, pause * 1000));
  }
  const agg: ResultData = { changed: anyChanged, msg: anyFailed ? 'One or more items failed' : allSkipped ? 'All items skipped' : 'All items completed', results };
  if (anyFailed) agg.failed = true;
  if (allSkipped) agg.skipped = true;
  const status: HostStatus = anyFailed ? 'failed' : allSkipped ? 'skipped' : anyChanged ? 'changed' : 'ok';
  // the loop's summary: the renderers print only "skipping" (all items skipped) and "...ignoring"
  emit(status, agg, { loopEnd: true, ignored: anyFailed && ignored });
  return { status, result: agg, ignored: anyFailed && ignored, updates: anyFailed ? [] : updates };
}

interface OneResult extends Outcome {
  delegatedTo?: string;
  delegatedAddr?: string;
  diff?: boolean;
}

/** One execution (one item): args → module → retries → changed_when/failed_when. */
async function runOne(rc: RunContext, pr: PlayRun, task: TaskIR, host: HostState, inh: Inherited, vars: Vars, displayName: string, noLog: boolean): Promise<OneResult> {
  const mod = task.module;
  const actionKey = task.action;
  const rendered = stripOmit(renderArgs(task, actionKey, vars)) as Record<string, unknown>;
  let args: Record<string, unknown>;
  try {
    args = validateArgs(mod, rendered);
  } catch (e) {
    if (e instanceof ArgsError) e.source = argPos(task, actionKey, e.path);
    throw e;
  }
  if (noLog) for (const v of Object.values(args)) if (typeof v === 'string' && v.length >= 4) registerSecret(v);
  const become = toBool(renderValue(task.become ?? inh.become ?? vars['ansible_become'] ?? false, vars));
  const becomeUser = String(renderValue(task.becomeUser ?? inh.becomeUser ?? vars['ansible_become_user'] ?? 'root', vars));
  const checkSetting = task.checkMode ?? inh.checkMode;
  const checkMode = checkSetting === undefined || checkSetting === null ? rc.opts.check : toBool(renderValue(checkSetting, vars));
  const diffSetting = task.diff ?? inh.diff;
  const diffMode = diffSetting === undefined || diffSetting === null ? rc.opts.diff : toBool(renderValue(diffSetting, vars));
  const environment: Record<string, string> = {};
  for (const env of [...inh.environment, ...(task.environment !== undefined ? [task.environment] : [])]) {
    const e = renderValue(env, vars, { source: keyPos(task, 'environment'), what: 'environment' });
    for (const m of Array.isArray(e) ? e : [e]) if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) environment[k] = String(v);
  }
  const delegateRaw = task.delegateTo ?? inh.delegateTo;
  const delegatedTo = delegateRaw != null ? String(renderValue(delegateRaw, vars, { source: keyPos(task, 'delegate_to'), what: 'delegate_to' })) : undefined;
  const delegated = delegatedTo !== undefined && delegatedTo !== host.name;
  const connVars = withConnectionKeywords(delegated ? rc.hostVarsOf(delegatedTo) : vars, inh, task, vars);
  const delegatedAddr = delegated && typeof connVars['ansible_host'] === 'string' && connVars['ansible_host'] !== delegatedTo ? connVars['ansible_host'] : undefined;
  const facts = delegated ? new FactCache() : host.factCache;
  const playbookDir = pr.play.dir;
  const roleDir = (task.role ?? inh.role)?.dir;

  // `timeout:` (seconds) limits each command the task runs on the host
  const timeoutRaw = task.raw['timeout'];
  const timeoutSec = timeoutRaw == null ? undefined : Number(renderValue(timeoutRaw, vars, { source: keyPos(task, 'timeout'), what: 'timeout' }));
  if (timeoutSec !== undefined && !(timeoutSec > 0)) throw new TsplayError('playbook', `timeout must be a positive number of seconds, got ${String(timeoutRaw)}`, { source: keyPos(task, 'timeout') });
  const exec = (v: Vars) =>
    executeModule(mod, args, {
      host: host.name,
      vars: v,
      checkMode,
      diffMode,
      become,
      becomeUser,
      environment,
      timeoutSec,
      connection: () => rc.connect(delegated ? delegatedTo : host.name, connVars),
      facts,
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
      warn: (message) => rc.renderer.emit({ type: 'warning', message: `${host.name}: ${message}` }),
      log: (message) => {
        if (rc.opts.verbosity >= 2) rc.renderer.emit({ type: 'warning', message: `${host.name}: ${message}` });
      },
    });

  // until/retries as ansible-core: retries unset → 3 attempts, retries: n → n + 1 attempts
  const until = task.until;
  let attempts = 1;
  if (until !== undefined) {
    const r = task.retries === undefined ? undefined : Number(renderValue(task.retries, vars));
    attempts = r === undefined || Number.isNaN(r) ? 3 : r <= 0 ? 1 : r + 1;
  }
  const delay = Math.max(0, Number(renderValue(task.delay ?? 5, vars)) || 0);
  let result: ResultData = {};
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = await exec(vars);
    result.failed ??= false;
    result.changed ??= false;
    if (until !== undefined) result.attempts = attempt;
    const v = task.register ? { ...vars, [task.register]: result } : vars;
    if (!result.skipped) evalWhens(task, result, v);
    if (until === undefined) break;
    if (evalCondition(until, v, { source: keyPos(task, 'until'), what: 'until' })) break;
    if (attempt === attempts) {
      result.failed = true;
      break;
    }
    rc.renderer.emit({ type: 'retry', host: host.name, task: displayName, retriesLeft: attempts - attempt, result, noLog });
    if (delay > 0) await new Promise((res) => setTimeout(res, delay * 1000));
  }
  for (const s of mod.secretArgs ?? []) if (typeof args[s] === 'string') registerSecret(args[s]);

  let status: HostStatus = result.failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
  const ignored = status === 'failed' ? toBool(renderValue(task.ignoreErrors ?? inh.ignoreErrors ?? false, vars)) : false;
  const updates: VarsUpdate[] = [];
  const returned = result.ansible_facts;
  if (returned && typeof returned === 'object' && status !== 'failed' && status !== 'skipped') {
    const scope: VarsScope = result['_tsplay_vars_scope'] === 'include_vars' ? 'include_vars' : mod.runsOn === 'controller' ? 'set_fact' : 'facts';
    const toDelegate = delegated && toBool(renderValue(task.delegateFacts ?? inh.delegateFacts ?? false, vars));
    updates.push({ scope, vars: returned, host: toDelegate ? delegatedTo : undefined });
  }
  delete result['_tsplay_vars_scope'];
  if (result.skipped && status !== 'skipped') status = 'skipped';
  return { status, result, ignored, updates, delegatedTo: delegated ? delegatedTo : undefined, delegatedAddr, diff: diffMode };
}

/**
 * The remote_user / connection / port keywords, as ansible_user / ansible_connection / ansible_port when the host's
 * variables don't set those (in Ansible the variables win over the keywords).
 */
export function withConnectionKeywords(conn: Vars, inh: Pick<Inherited, 'remoteUser' | 'connection' | 'port'>, task: Partial<Pick<TaskIR, 'remoteUser' | 'connection' | 'port'>>, vars: Vars): Vars {
  let out = conn;
  const set = (kw: unknown, name: string, alt: string) => {
    if (kw === undefined || kw === null || out[name] !== undefined || out[alt] !== undefined) return;
    out = { ...out, [name]: renderValue(kw, vars) };
  };
  set(task.remoteUser ?? inh.remoteUser, 'ansible_user', 'ansible_ssh_user');
  set(task.connection ?? inh.connection, 'ansible_connection', 'ansible_connection');
  set(task.port ?? inh.port, 'ansible_port', 'ansible_ssh_port');
  return out;
}

/** Template the arguments one by one, so an error names the argument and points at its value. */
function renderArgs(task: TaskIR, actionKey: string, vars: Vars): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const node = task.argsNode as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(task.args)) {
    const source = (node && k in node ? posOf(node, k) : undefined) ?? posOfKey(task.raw, actionKey) ?? task.source;
    try {
      out[k] = renderValue(v, vars, { source, what: `${task.action}.${k}` });
    } catch (e) {
      if (e instanceof TsplayError && e.code === 'undefined-var') e.message = `argument '${k}' uses an undefined variable: ${e.message}`;
      throw e;
    }
  }
  return out;
}

/** changed_when / failed_when, evaluated with the result visible under the register name; an error fails the task. */
function evalWhens(task: TaskIR, result: ResultData, v: Vars): void {
  let which = 'changed_when';
  try {
    if (task.changedWhen !== undefined && task.changedWhen !== null && task.changedWhen !== '') {
      result.changed = evalCondition(task.changedWhen, v, { source: keyPos(task, 'changed_when'), what: 'changed_when' });
    }
    which = 'failed_when';
    if (task.failedWhen !== undefined && task.failedWhen !== null && task.failedWhen !== '') {
      const failed = evalCondition(task.failedWhen, v, { source: keyPos(task, 'failed_when'), what: 'failed_when' });
      result.failed = failed;
      result.failed_when_result = failed;
    }
  } catch (e) {
    if (!(e instanceof TsplayError)) throw e;
    result.failed = true;
    result[`${which}_result`] = e.format();
    result.msg = e.format();
  }
}
