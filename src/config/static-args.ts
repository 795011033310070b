/**
 * Load-time argument checks: the parts of a task's arguments that hold no template are validated against the
 * module's schema when the playbook is loaded, so --syntax-check reports an unknown or mistyped argument at its
 * line without connecting anywhere. Every schema error is reported (Ajv allErrors), each at the YAML node of the
 * offending argument. Arguments holding `{{ }}` (or vault / unsafe values) are left to run time.
 */
import { ArgsError, TsplayError, type SourcePos } from '../errors.js';
import { normalizeArgs, schemaErrors, toArgsError } from '../contract/validate.js';
import { posOfKey } from './yaml.js';
import { report, type LoadContext } from './load-context.js';
import type { TaskIR } from './playbook-types.js';

const TEMPLATE = /\{\{|\{%/;

/** Does a value depend on run-time data (a template, a vault or !unsafe value)? */
export function isDynamic(v: unknown): boolean {
  if (typeof v === 'string') return TEMPLATE.test(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(isDynamic);
  if (Object.getPrototypeOf(v) !== Object.prototype) return true; // EncryptedString, UnsafeString
  return Object.values(v).some(isDynamic);
}

/** The YAML position of an argument path like /mode or /opts/0/name (aliases resolved back to the written key). */
export function argPos(task: Pick<TaskIR, 'argsNode' | 'raw' | 'source' | 'module'>, actionKey: string, path: string): SourcePos {
  const segs = path.split('/').filter(Boolean);
  const fallback = posOfKey(task.raw, actionKey) ?? task.source;
  let node: unknown = task.argsNode;
  let pos: SourcePos | undefined;
  for (let i = 0; i < segs.length; i++) {
    if (!node || typeof node !== 'object') break;
    let key: string | number = segs[i]!;
    if (i === 0 && !(key in node)) {
      const alias = Object.entries(task.module.argAliases ?? {}).find(([a, canon]) => canon === key && a in (node as object));
      if (alias) key = alias[0];
    }
    if (Array.isArray(node)) key = Number(key);
    if (!(key in (node as object))) break;
    pos = posOfKey(node as object, key) ?? pos;
    node = (node as Record<string | number, unknown>)[key];
  }
  return pos ?? fallback;
}

/** ignore_errors or failed_when: the task may fail on purpose, so (as in Ansible) its arguments fail it at run time */
function mayFailOnPurpose(task: TaskIR): boolean {
  if (task.failedWhen !== undefined) return true;
  const ie = task.ignoreErrors;
  if (ie === undefined || ie === null || ie === false) return false;
  return !(typeof ie === 'string' && /^(no|false|off|n|0)$/i.test(ie.trim()));
}

export function checkStaticArgs(task: TaskIR, actionKey: string, ctx: LoadContext): void {
  const mod = task.module;
  if (mayFailOnPurpose(task)) return;
  // arguments that are one template: known only at run time, checked then
  if ('_variable_params' in task.args) return;
  const dynamic = new Set(Object.keys(task.args).filter((k) => isDynamic(task.args[k])));
  const fail = (e: TsplayError, path: string) => {
    e.source = argPos(task, actionKey, path);
    report(ctx, e);
  };
  let args: Record<string, unknown>;
  try {
    const staticPart = Object.fromEntries(Object.entries(task.args).filter(([k]) => !dynamic.has(k)));
    args = normalizeArgs(mod, structuredClone(staticPart));
  } catch (e) {
    if (e instanceof ArgsError) return fail(e, e.path);
    throw e;
  }
  const dynCanon = new Set([...dynamic].map((k) => mod.argAliases?.[k] ?? k));
  const errors = schemaErrors(mod, args).filter((e) => {
    const top = e.instancePath.split('/')[1];
    if (top && dynCanon.has(top)) return false;
    if (e.keyword === 'required' && !e.instancePath && dynCanon.has(String((e.params as { missingProperty?: string }).missingProperty))) return false;
    return true;
  });
  // one message per argument, the most telling first (an unknown argument before the required one it misspells);
  // when loading stops at the first error (a run, not --syntax-check), the others come with it
  const seen = new Set<string>();
  const found: ArgsError[] = [];
  for (const e of errors) {
    const ae = toArgsError(mod, e, args);
    if (seen.has(ae.path)) continue; // one message per argument (anyOf branches repeat the path)
    seen.add(ae.path);
    ae.source = argPos(task, actionKey, ae.path);
    found.push(ae);
  }
  if (found.length) {
    if (ctx.errors) ctx.errors.push(...found);
    else {
      found[0]!.also = found.slice(1);
      throw found[0];
    }
  }
  if (errors.length || dynamic.size || !mod.validate) return;
  try {
    mod.validate(args);
  } catch (e) {
    if (e instanceof ArgsError) fail(e, e.path);
    else if (e instanceof TsplayError) fail(e, '');
    else throw e;
  }
}
