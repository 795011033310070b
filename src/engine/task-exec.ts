/**
 * One task on one host: conditions, loop, argument templating and validation, become, delegation,
 * retries (until), changed_when / failed_when, register. Emits a host_result per item and returns the
 * task's final outcome for the stats.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { TaskIR, Vars } from '../config/playbook-types.js';
import type { ResultData } from '../module/define.js';
import { validateArgs } from '../module/validate.js';
import { ArgsError, ModuleError, TsplayError, UnreachableError } from '../errors.js';
import { posOf, posOfKey } from '../config/yaml.js';
import { evalCondition, evalExpression, OMIT, renderTemplateFile, renderValue } from './templating/index.js';
import { executeModule } from './execute.js';
import type { HostStatus } from './events.js';
import type { HostState } from './host-state.js';
import type { Inherited, PlayRun, RunContext } from './context.js';
import { scopeFor } from './vars.js';
import { itemLabel, loopItems } from './loops.js';
import { registerSecret } from '../output/mask.js';
import { FactCache } from '../facts/cache.js';

export interface Outcome {
  status: HostStatus;
  result: ResultData;
  ignored?: boolean;
}

const TRUE = new Set(['yes', 'on', 'true', '1', 'y']);
export function toBool(v: unknown): boolean {
  if (typeof v === 'string') return TRUE.has(v.trim().toLowerCase());
  return !!v;
}

function stripOmit(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== OMIT).map(stripOmit);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== OMIT) out[k] = stripOmit(x);
    return out;
  }
  return v;
}

/** Resolve a controller file like Ansible: role dir, playbook dir (files/ or templates/ first). */
export function findControllerFile(src: string, kind: 'files' | 'templates', roleDir: string | undefined, playbookDir: string): { path?: string; searched: string[] } {
  if (isAbsolute(src)) return { path: existsSync(src) ? src : undefined, searched: [src] };
  const bases = [...(roleDir ? [resolve(roleDir, kind), roleDir] : []), resolve(playbookDir, kind), playbookDir];
  const searched = bases.map((b) => resolve(b, src));
  return { path: searched.find((p) => existsSync(p)), searched };
}

function condSource(task: TaskIR, key: string) {
  return posOfKey(task.raw, key) ?? task.source;
}

/** Run the task on one host (all loop items). Emits events; returns the aggregated outcome. */
export async function runTaskOnHost(rc: RunContext, pr: PlayRun, task: TaskIR, host: HostState, inh: Inherited, extraLayer?: Vars): Promise<Outcome> {
  const layers = [...inh.layers, ...(task.vars ? [task.vars] : []), ...(extraLayer ? [extraLayer] : [])];
  const base = scopeFor(pr.scope, host, layers, inh.params);
  const noLog = toBool(renderValue(inh.noLog ?? false, base));
  const conds = [...inh.when, ...(task.when !== undefined ? [{ cond: task.when, source: condSource(task, 'when') }] : [])];
  const condsHold = (vars: Vars) => conds.every((c) => evalCondition(c.cond, vars, { source: c.source }));
  const emit = (status: HostStatus, result: ResultData, item?: string, ignored?: boolean, delegatedTo?: string) =>
    rc.renderer.emit({ type: 'host_result', host: host.name, task: task.name ?? task.action, status, result, item, ignored, noLog, delegatedTo });

  try {
    if (task.loop === undefined) {
      if (!condsHold(base)) {
        const r: ResultData = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
        emit('skipped', r);
        return register(task, host, { status: 'skipped', result: r });
      }
      const o = await runOne(rc, pr, task, host, inh, base);
      emit(o.status, o.result, undefined, o.ignored, o.delegatedTo);
      return register(task, host, o);
    }
    // loop
    const loopSrc = posOf(task.raw, task.loopKind === 'loop' ? 'loop' : `with_${task.loopKind}`) ?? task.source;
    // Ansible evaluates a task-level `when` per item; inherited conditions that don't mention the loop var apply first
    const items = loopItems(task.loopKind!, renderValue(task.loop, base, { source: loopSrc }), loopSrc);
    const lc = (task.loopControl ?? {}) as Record<string, unknown>;
    const loopVar = String(lc['loop_var'] ?? 'item');
    const indexVar = lc['index_var'] != null ? String(lc['index_var']) : undefined;
    const pause = Number(lc['pause'] ?? 0);
    const results: ResultData[] = [];
    let anyChanged = false;
    let anyFailed = false;
    let allSkipped = items.length > 0;
    let ignoredAny = false;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const v: Vars = { ...base, [loopVar]: item, ansible_loop_var: loopVar };
      if (indexVar) v[indexVar] = i;
      if (lc['extended']) {
        v['ansible_loop'] = {
          index: i + 1, index0: i, revindex: items.length - i, revindex0: items.length - i - 1, first: i === 0, last: i === items.length - 1,
          length: items.length, allitems: items, previtem: items[i - 1], nextitem: items[i + 1],
        };
      }
      const label = lc['label'] !== undefined ? String(renderValue(lc['label'], v)) : itemLabel(item);
      if (!condsHold(v)) {
        const r: ResultData = { changed: false, skipped: true, skip_reason: 'Conditional result was False', [loopVar]: item, ansible_loop_var: loopVar };
        results.push(r);
        emit('skipped', r, label);
        continue;
      }
      allSkipped = false;
      const o = await runOne(rc, pr, task, host, inh, v);
      const r = { ...o.result, [loopVar]: item, ansible_loop_var: loopVar };
      results.push(r);
      emit(o.status, r, label, o.ignored, o.delegatedTo);
      if (o.status === 'changed') anyChanged = true;
      if (o.status === 'failed') anyFailed = true;
      if (o.ignored) ignoredAny = true;
      if (o.status === 'unreachable') return register(task, host, { status: 'unreachable', result: r });
      if (pause > 0 && i < items.length - 1) await new Promise((res) => setTimeout(res, pause * 1000));
    }
    const agg: ResultData = { changed: anyChanged, results, msg: anyFailed ? 'One or more items failed' : 'All items completed' };
    if (anyFailed && !ignoredAny) agg.failed = true;
    if (allSkipped) agg.skipped = true;
    const status: HostStatus = anyFailed ? 'failed' : allSkipped ? 'skipped' : anyChanged ? 'changed' : 'ok';
    // the item lines were already shown; the aggregated result is not printed again
    return register(task, host, { status, result: agg, ignored: anyFailed && ignoredAny });
  } catch (e) {
    if (e instanceof UnreachableError) {
      const r: ResultData = { changed: false, unreachable: true, msg: e.message };
      emit('unreachable', r);
      return { status: 'unreachable', result: r };
    }
    if (e instanceof TsplayError) {
      const r: ResultData = { changed: false, failed: true, msg: e.format() };
      const ignored = toBool(renderValue(inh.ignoreErrors ?? task.ignoreErrors ?? false, base));
      emit('failed', r, undefined, ignored);
      return register(task, host, { status: 'failed', result: r, ignored });
    }
    throw e;
  }
}

function register(task: TaskIR, host: HostState, o: Outcome): Outcome {
  if (task.register) host.registered[task.register] = o.result;
  const facts = o.result.ansible_facts;
  if (facts && o.status !== 'failed' && o.status !== 'skipped') Object.assign(host.registered, facts);
  return o;
}

/** One execution (one item): args → module → retries → changed_when/failed_when. */
async function runOne(rc: RunContext, pr: PlayRun, task: TaskIR, host: HostState, inh: Inherited, vars: Vars): Promise<Outcome & { delegatedTo?: string }> {
  const mod = task.module;
  const argsSource = task.argsNode ?? task.raw;
  const rendered = stripOmit(renderValue(task.args, vars, { source: posOfKey(task.raw, task.action) ?? task.source })) as Record<string, unknown>;
  let args: Record<string, unknown>;
  try {
    args = validateArgs(mod, rendered);
  } catch (e) {
    if (e instanceof ArgsError) {
      const key = e.path.split('/').filter(Boolean)[0];
      e.source = (key && (posOfKey(argsSource, key) ?? posOfKey(argsSource, findAlias(mod.argAliases, key) ?? key))) || posOfKey(task.raw, task.action) || task.source;
    }
    throw e;
  }
  const become = toBool(renderValue(task.become ?? inh.become ?? vars['ansible_become'] ?? false, vars));
  const becomeUser = String(renderValue(task.becomeUser ?? inh.becomeUser ?? vars['ansible_become_user'] ?? 'root', vars));
  const checkSetting = task.checkMode ?? inh.checkMode;
  const checkMode = checkSetting === undefined || checkSetting === null ? rc.opts.check : toBool(renderValue(checkSetting, vars));
  const diffSetting = task.diff ?? inh.diff;
  const diffMode = diffSetting === undefined ? rc.opts.diff : toBool(renderValue(diffSetting, vars));
  const environment: Record<string, string> = {};
  for (const env of [...inh.environment, ...(task.environment !== undefined ? [task.environment] : [])]) {
    const e = renderValue(env, vars);
    if (e && typeof e === 'object') for (const [k, v] of Object.entries(e)) environment[k] = String(v);
  }
  const delegateRaw = task.delegateTo ?? inh.delegateTo;
  const delegatedTo = delegateRaw != null ? String(renderValue(delegateRaw, vars)) : undefined;
  const connHost = delegatedTo ?? host.name;
  const connVars = delegatedTo && delegatedTo !== host.name ? rc.hostVarsOf(delegatedTo) : vars;
  const facts = delegatedTo && delegatedTo !== host.name ? new FactCache() : host.factCache;
  const playbookDir = pr.play.dir;
  const roleDir = task.roleDir ?? inh.roleDir;

  const exec = () =>
    executeModule(mod, args, {
      host: host.name,
      vars,
      checkMode,
      diffMode,
      become,
      becomeUser,
      environment,
      connection: () => rc.connect(connHost, connVars),
      facts,
      async readControllerFile(src, kind) {
        const f = findControllerFile(src, kind, roleDir, playbookDir);
        if (!f.path) throw new ModuleError(`could not find or access '${src}' on the controller (searched: ${f.searched.join(', ')})`);
        return { path: f.path, data: await readFile(f.path) };
      },
      async renderTemplate(src, extra) {
        const f = findControllerFile(src, 'templates', roleDir, playbookDir);
        if (!f.path) throw new ModuleError(`could not find template '${src}' (searched: ${f.searched.join(', ')})`);
        return renderTemplateFile(f.path, extra ? { ...vars, ...extra } : vars);
      },
      evaluate: (expr) => evalExpression(expr, vars, { source: task.source }),
      condition: (cond) => evalCondition(cond, vars, { source: task.source }),
      warn: (message) => rc.renderer.emit({ type: 'warning', message: `${host.name}: ${message}` }),
      log: (message) => {
        if (rc.opts.verbosity >= 2) rc.renderer.emit({ type: 'warning', message: `${host.name}: ${message}` });
      },
    });

  let result: ResultData;
  const until = task.until;
  if (until !== undefined) {
    const retries = Number(renderValue(task.retries ?? 3, vars));
    const delay = Number(renderValue(task.delay ?? 5, vars));
    let attempt = 0;
    for (;;) {
      attempt++;
      result = await exec();
      result.attempts = attempt;
      const v = task.register ? { ...vars, [task.register]: result } : vars;
      if (!result.failed && evalCondition(until, v, { source: condSource(task, 'until') })) break;
      if (attempt > retries) {
        result.failed = true;
        result.msg ??= `Retries exceeded (${retries})`;
        break;
      }
      rc.renderer.emit({ type: 'warning', message: `FAILED - RETRYING: [${host.name}]: ${task.name ?? task.action} (${retries - attempt + 1} retries left).` });
      await new Promise((r) => setTimeout(r, delay * 1000));
    }
  } else {
    result = await exec();
  }
  for (const s of mod.secretArgs ?? []) if (typeof args[s] === 'string') registerSecret(args[s]);

  // changed_when / failed_when see the result under the register name (and as the bare result keys)
  const withResult = () => (task.register ? { ...vars, [task.register]: result } : { ...vars });
  if (task.changedWhen !== undefined && !result.skipped) {
    result.changed = evalCondition(task.changedWhen, withResult(), { source: condSource(task, 'changed_when') });
  }
  if (task.failedWhen !== undefined && !result.skipped) {
    const failed = evalCondition(task.failedWhen, withResult(), { source: condSource(task, 'failed_when') });
    result.failed = failed;
    result.failed_when_result = failed;
  }
  let status: HostStatus = result.failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
  let ignored = false;
  if (status === 'failed') ignored = toBool(renderValue(task.ignoreErrors ?? inh.ignoreErrors ?? false, vars));
  if (delegatedTo && toBool(task.delegateFacts ?? inh.delegateFacts ?? false) && result.ansible_facts) {
    const target = rc.hosts.get(delegatedTo);
    if (target) Object.assign(target.registered, result.ansible_facts);
    delete result.ansible_facts;
  }
  if (result.skipped && status !== 'skipped') status = 'skipped';
  return { status, result, ignored, delegatedTo };
}

function findAlias(aliases: Record<string, string> | undefined, canonical: string): string | undefined {
  if (!aliases) return undefined;
  return Object.entries(aliases).find(([, v]) => v === canonical)?.[0];
}
