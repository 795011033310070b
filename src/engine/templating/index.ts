/**
 * tsplay's templating layer: `{{ expression }}` in playbook values, bare expressions for
 * when/changed_when/failed_when/until, and template files (.j2 Jinja, .ejs EJS).
 * Jinja is parsed by nunjucks' parser and evaluated with Python/Ansible semantics (evaluate.ts).
 */
import { readFile } from 'node:fs/promises';
import { TsplayError, type SourcePos } from '../../errors.js';
import { EncryptedString, UnsafeString } from '../../config/yaml.js';
import { errorPos, TemplateRuntimeError } from './evaluate.js';
import { JinjaSyntaxError, parseExpression, parseTemplate } from './parse.js';
import { isTuple, toPlain, truthy, tuple } from './py.js';
import { decrypt, hasTemplate, TemplateRenderer, setEncryptedResolver, type Vars } from './renderer.js';
import { isUndef, OMIT } from './undefined.js';
import { renderEjs } from './ejs.js';

export { hasTemplate, setEncryptedResolver, OMIT };
export { lazyVars, markLazy } from './renderer.js';
export type { Vars };
export { pyStr, pyRepr } from './py.js';

export interface TemplateOpts {
  /** where the value came from (for errors) */
  source?: SourcePos;
  /** what is being templated, for messages: 'when', 'args', 'vars.x' ... */
  what?: string;
  /** directory lookup('file') searches (default: the source file's directory, then cwd) */
  baseDir?: string;
  /** string literals with Python escapes ('\n' a newline): conditions without {{ }}, as Ansible's {% if %} */
  pyStrings?: boolean;
  /**
   * ansible-core's wrap_var of a template's result when it read !unsafe data (a with_* item, a registered
   * result): its strings come back as UnsafeString, so a variable set from them (set_fact) is not templated again.
   */
  keepUnsafe?: boolean;
}

/** The plain value of one holding unsafe strings (for labels and messages). */
export function unwrapUnsafe(v: unknown): unknown {
  if (v instanceof UnsafeString) return v.value;
  if (Array.isArray(v)) return isTuple(v) ? tuple(v.map(unwrapUnsafe)) : v.map(unwrapUnsafe);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, unwrapUnsafe(x)]));
  return v;
}

/** Strings (deeply) as unsafe values (ansible-core's wrap_var). */
export function wrapUnsafe(v: unknown): unknown {
  if (typeof v === 'string') return new UnsafeString(v);
  if (Array.isArray(v)) return isTuple(v) ? tuple(v.map(wrapUnsafe)) : v.map(wrapUnsafe);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, wrapUnsafe(x)]));
  return v;
}

function fail(e: unknown, text: string, opts: TemplateOpts | undefined, line0 = 0): never {
  const what = opts?.what ? `'${opts.what}'` : 'template';
  const source = opts?.source;
  if (e instanceof JinjaSyntaxError || e instanceof TemplateRuntimeError) {
    const snippet = text.length > 80 ? text.slice(0, 77) + '...' : text;
    const where = text.includes('\n') ? ` (line ${e.line + line0})` : '';
    throw new TsplayError('template', `template error in ${what}${where}: ${e.message}`, { source, hint: `in: ${snippet.replace(/\n/g, '\\n')}` });
  }
  if (e instanceof TsplayError) {
    if (!e.source && source) e.source = source;
    throw e;
  }
  throw new TsplayError('template', `template error in ${what}: ${(e as Error).message ?? String(e)}`, { source, cause: e });
}

function renderWith(r: TemplateRenderer, s: string, opts?: TemplateOpts): unknown {
  try {
    r.tainted = false;
    const v = toPlain(r.renderString(s));
    return opts?.keepUnsafe && r.tainted ? wrapUnsafe(v) : v;
  } catch (e) {
    fail(e, s, opts);
  }
}

function walk(r: TemplateRenderer, v: unknown, opts?: TemplateOpts): unknown {
  if (typeof v === 'string') return hasTemplate(v) ? renderWith(r, v, opts) : v;
  if (v instanceof UnsafeString) return opts?.keepUnsafe ? v : v.value;
  if (v instanceof EncryptedString) return decrypt(v);
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const y = walk(r, x, opts);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = walk(r, x, opts);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : v;
  }
  return v;
}

/**
 * Render a value deeply: strings holding {{ }} / {% %} are rendered; a string that is exactly one
 * `{{ expr }}` keeps the value's type (list, number, boolean, OMIT). Unchanged parts keep identity.
 */
export function renderValue(value: unknown, vars: Vars, opts?: TemplateOpts): unknown {
  const r = new TemplateRenderer(vars, { baseDir: opts?.baseDir, sourceFile: opts?.source?.file });
  return walk(r, value, opts);
}

/**
 * The subdirectory a with_<lookup> loop's first_found searches first, from the task's action, as ansible-core's
 * TaskExecutor sets the lookup's _subdir: templates for template, vars for include_vars, else files.
 */
export function lookupSubdir(action: string | undefined): string {
  const a = action ?? '';
  return a.includes('template') ? 'templates' : a.includes('var') ? 'vars' : 'files';
}

/** query(name, terms): a lookup plugin's items (the with_<lookup> loops); `action`: the task's (see lookupSubdir). */
export function queryLookup(name: string, terms: unknown, vars: Vars, opts?: TemplateOpts & { action?: string }): unknown[] {
  const r = new TemplateRenderer(vars, { baseDir: opts?.baseDir, sourceFile: opts?.source?.file });
  const query = r.evaluator.env.globals['query'] as (args: unknown[], kw: Record<string, unknown>) => unknown[];
  const kw = name.replace(/^ansible\.builtin\./, '') === 'first_found' ? { _subdir: lookupSubdir(opts?.action) } : {};
  try {
    return query([name, ...(Array.isArray(terms) ? terms : [terms])], kw);
  } catch (e) {
    throw new TsplayError('template', `with_${name}: ${(e as Error).message}`, { source: opts?.source });
  }
}

/** Render a template string to text (never typed: a lone {{ x }} gives str(x)). */
export function renderText(text: string, vars: Vars, opts?: TemplateOpts): string {
  const r = new TemplateRenderer(vars, { baseDir: opts?.baseDir, sourceFile: opts?.source?.file });
  try {
    return r.evaluator.render(parseTemplate(text));
  } catch (e) {
    fail(e, text, opts);
  }
}

/** Evaluate a bare expression (when:, until:, debug var=). */
export function evalExpression(expr: string, vars: Vars, opts?: TemplateOpts): unknown {
  const r = new TemplateRenderer(vars, { baseDir: opts?.baseDir, sourceFile: opts?.source?.file });
  try {
    const v = r.evaluator.value(parseExpression(expr.trim(), opts?.pyStrings));
    if (isUndef(v)) v.fail();
    return toPlain(v);
  } catch (e) {
    fail(e, expr, opts);
  }
}

let templateWarn: ((message: string) => void) | undefined;
/** Where templating's warnings go (Ansible prints them as [WARNING]); the run sets it. */
export function onTemplateWarning(fn: ((message: string) => void) | undefined): void {
  templateWarn = fn;
}

/** A condition like Ansible's: bool, string expression (may hold {{ }}), or a list that must all hold. */
export function evalCondition(cond: unknown, vars: Vars, opts?: TemplateOpts): boolean {
  if (cond === null || cond === undefined) return true;
  if (typeof cond === 'boolean') return cond;
  if (Array.isArray(cond)) return cond.every((c) => evalCondition(c, vars, opts));
  if (cond instanceof UnsafeString) return evalCondition(cond.value, vars, opts);
  if (typeof cond !== 'string') return truthy(cond);
  const s = cond.trim();
  if (s === '') return true;
  if (hasTemplate(s)) {
    templateWarn?.(`conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: ${s}`);
    const v = renderValue(s, vars, opts);
    if (typeof v !== 'string') return truthy(v);
    return v.trim() === '' ? false : truthy(evalExpression(v, vars, opts));
  }
  return truthy(evalExpression(s, vars, { ...opts, pyStrings: true }));
}

/** Remove OMIT values (deeply from dicts, and from lists) — what the engine does to module args. */
export function stripOmit(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((x) => x !== OMIT).map(stripOmit);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== OMIT) out[k] = stripOmit(v);
    return out;
  }
  return value;
}

/** Render a Jinja template text (a .j2 file's content). */
export function renderJinja(text: string, vars: Vars, opts: { file?: string; baseDir?: string } = {}): string {
  const r = new TemplateRenderer(vars, { baseDir: opts.baseDir, sourceFile: opts.file });
  try {
    return r.evaluator.render(parseTemplate(text, true));
  } catch (e) {
    if ((e instanceof JinjaSyntaxError || e instanceof TemplateRuntimeError) && opts.file) {
      throw new TsplayError('template', e.message, { source: { file: opts.file, line: e.line, col: e.col } });
    }
    if (e instanceof TsplayError && opts.file && !e.source) {
      const p = errorPos.get(e) ?? { line: 1, col: 1 };
      e.source = { file: opts.file, ...p };
    }
    throw e;
  }
}

/** Render a template file: .j2/.jinja/.jinja2 → Jinja; anything else → EJS (locals = vars). */
export async function renderTemplateFile(path: string, vars: Vars): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TsplayError('template', `cannot read template ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (/\.(j2|jinja2?)$/.test(path)) return renderJinja(text, vars, { file: path });
  return renderEjs(text, vars, path);
}
