/**
 * One rendering pass over a set of variables: lazy variables like Ansible (a var whose value holds
 * {{ }} is rendered when referenced, recursively, with loop detection), vault values decrypted through
 * the registered resolver (and registered as secrets), !unsafe values never templated.
 */
import { dirname } from 'node:path';
import { EncryptedString, UnsafeString } from '../../config/yaml.js';
import { TsplayError } from '../../errors.js';
import { registerSecret } from '../../output/mask.js';
import { Evaluator, type EvalEnv, type FilterDef, type TestDef } from './evaluate.js';
import { coreFilters } from './filters-core.js';
import { listFilters } from './filters-list.js';
import { netFilters } from './filters-net.js';
import { stringFilters } from './filters-string.js';
import { cryptFilters } from './filters-crypt.js';
import { makeGlobals } from './globals.js';
import { parseTemplate } from './parse.js';
import { isMapping, isNumber, pyStr } from './py.js';
import { parsePyLiteral } from './literal.js';
import { tests } from './tests.js';
import { Undef } from './undefined.js';

import type { Vars } from '../../config/playbook-types.js';
export type { Vars };

export const filters: Record<string, FilterDef> = { ...coreFilters, ...listFilters, ...stringFilters, ...netFilters, ...cryptFilters };
filters.d = filters.default!;

let encryptedResolver: ((v: EncryptedString) => string) | undefined;
export function setEncryptedResolver(fn: (v: EncryptedString) => string): void {
  encryptedResolver = fn;
}

export function decrypt(v: EncryptedString): string {
  if (!encryptedResolver) throw new TsplayError('vault', 'a vault-encrypted value was used but no vault password was given', { source: v.source });
  const plain = encryptedResolver(v);
  registerSecret(plain);
  return plain;
}

const TEMPLATE_RE = /\{\{|\{%|\{#/;
export function hasTemplate(s: string): boolean {
  return TEMPLATE_RE.test(s);
}

/**
 * Lazy mappings (hostvars, and each host's variables inside it) are never deep-resolved: each value is
 * rendered when it is accessed, in its own host's context, like Ansible's HostVars.
 */
const lazy = new WeakSet<object>();
export function markLazy<T extends object>(obj: T): T {
  lazy.add(obj);
  return obj;
}

/** A read-only view of `vars` whose values are resolved (templated, decrypted) one by one on access. */
export function lazyVars(vars: Vars): Record<string, unknown> {
  let r: TemplateRenderer | undefined;
  return lazyView(vars, (k) => (r ??= new TemplateRenderer(vars)).lookupVar(k));
}

/** The proxy behind lazyVars and Ansible's `vars`: the keys of `vars`, each value looked up when it is read. */
function lazyView(vars: Vars, lookup: (k: string) => unknown): Record<string, unknown> {
  const get = (k: string): unknown => {
    const v = lookup(k);
    return v instanceof Undef ? undefined : v;
  };
  return markLazy(
    new Proxy({} as Record<string, unknown>, {
      get: (_t, k) => (typeof k === 'string' && k in vars ? get(k) : undefined),
      has: (_t, k) => typeof k === 'string' && k in vars,
      ownKeys: () => Object.keys(vars),
      getOwnPropertyDescriptor: (_t, k) => (typeof k === 'string' && k in vars ? { enumerable: true, configurable: true, value: get(k) } : undefined),
    }),
  );
}

/** Does a var value need resolving (holds templated strings, vault or unsafe values)? Cached per object. */
const needs = new WeakMap<object, boolean>();
function needsResolve(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (v instanceof EncryptedString || v instanceof UnsafeString) return true;
  if (typeof v !== 'object' || v === null) return false;
  if (lazy.has(v)) return false;
  const hit = needs.get(v);
  if (hit !== undefined) return hit;
  needs.set(v, false); // cycles
  const r = Array.isArray(v) ? v.some(needsResolve) : isMapping(v) ? Object.values(v).some(needsResolve) : false;
  needs.set(v, r);
  return r;
}

/** Does a value hold !unsafe data (ansible-core's AnsibleContext._is_unsafe)? Cached per object. */
const unsafeIn = new WeakMap<object, boolean>();
export function holdsUnsafe(v: unknown): boolean {
  if (v instanceof UnsafeString) return true;
  if (typeof v !== 'object' || v === null || lazy.has(v)) return false;
  const hit = unsafeIn.get(v);
  if (hit !== undefined) return hit;
  unsafeIn.set(v, false); // cycles
  const r = Array.isArray(v) ? v.some(holdsUnsafe) : isMapping(v) ? Object.values(v).some(holdsUnsafe) : false;
  unsafeIn.set(v, r);
  return r;
}

export class TemplateRenderer implements EvalEnv {
  /**
   * Set when a variable holding !unsafe data was read (ansible-core's AnsibleContext.unsafe): what the
   * template made from it is unsafe too (wrap_var), so it is not templated again when it is stored and read.
   */
  tainted = false;
  readonly filters = filters;
  readonly tests: Record<string, TestDef> = tests;
  readonly globals: Record<string, unknown>;
  readonly baseDir?: string;
  private readonly stack: string[] = [];
  private readonly cache = new Map<string, unknown>();
  readonly evaluator: Evaluator;

  constructor(
    readonly vars: Vars,
    opts: { baseDir?: string; sourceFile?: string } = {},
  ) {
    this.baseDir = opts.baseDir ?? (opts.sourceFile ? dirname(opts.sourceFile) : undefined);
    this.globals = makeGlobals(() => this);
    this.evaluator = new Evaluator(this);
  }

  lookupVar(name: string): unknown {
    const cached = this.cache.get(name);
    if (cached !== undefined || this.cache.has(name)) {
      if (holdsUnsafe(this.vars[name])) this.tainted = true;
      return cached;
    }
    const vars = this.vars;
    if (!(name in vars)) return name === 'vars' ? this.varsView() : new Undef(name);
    const raw = vars[name];
    if (raw === undefined || raw === (Object.prototype as Record<string, unknown>)[name]) return new Undef(name);
    if (!needsResolve(raw)) return raw;
    if (holdsUnsafe(raw)) this.tainted = true;
    if (this.stack.includes(name)) {
      throw new TsplayError('template', `recursive loop detected in template: ${[...this.stack.slice(this.stack.indexOf(name)), name].join(' → ')}`);
    }
    this.stack.push(name);
    try {
      const v = this.resolve(raw);
      this.cache.set(name, v);
      return v;
    } catch (e) {
      // like Ansible: a var whose template needs an undefined var is itself undefined (default() applies)
      if (e instanceof TsplayError && e.code === 'undefined-var') return new Undef(name, e.message);
      throw e;
    } finally {
      this.stack.pop();
    }
  }

  /** lookup('template'): a template file's text rendered with these variables (and template_vars). */
  renderTemplateText(text: string, file: string, extra: Record<string, unknown>): string {
    const r = Object.keys(extra).length ? new TemplateRenderer({ ...this.vars, ...extra }, { sourceFile: file }) : this;
    return r.evaluator.render(parseTemplate(text, true));
  }

  /** The names of the variables in scope (lookup('varnames')). */
  varNames(): string[] {
    return Object.keys(this.vars);
  }

  /** Ansible's `vars`: every variable of the scope, each resolved when it is read. */
  private varsView(): Record<string, unknown> {
    return lazyView(this.vars, (k) => this.lookupVar(k));
  }

  /** Deep-resolve a var value: templated strings rendered (typed if a single expression). */
  resolve(v: unknown): unknown {
    if (typeof v === 'string') return hasTemplate(v) ? this.renderString(v) : v;
    if (v instanceof UnsafeString) return v.value;
    if (v instanceof EncryptedString) return decrypt(v);
    if (!needsResolve(v)) return v;
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (isMapping(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.resolve(x);
      return out;
    }
    return v;
  }

  /**
   * Render a string holding {{ }}/{% %} as ansible-core 2.14's Templar.template does (jinja2_native off):
   * - a lone {{ var }} whose value is a boolean or a number (or null) is that value;
   * - Jinja reads the text with its line breaks as \n and without its final one (keep_trailing_newline off);
   * - a lone {{ expr }} keeps the value's type (tsplay; Ansible stringifies it and re-parses as below);
   * - otherwise the text made, if it parses as a Python literal and looks like a list, a dict or a boolean,
   *   becomes that value (native concat: "{{ x.exists }}\n" is the boolean); a text gets its final line breaks back.
   */
  renderString(s: string): unknown {
    const single = SINGLE_VAR.exec(s);
    if (single && single[1]! in this.vars) {
      const raw = this.vars[single[1]!];
      if (raw === null || typeof raw === 'boolean' || isNumber(raw)) return raw;
    }
    const src = s.replace(/\r\n?/g, '\n').replace(/\n$/, '');
    const root = parseTemplate(src);
    const only = root.children?.length === 1 ? root.children[0] : undefined;
    if (only?.typename === 'Output' && only.children?.length === 1 && only.children[0]!.typename !== 'TemplateData') {
      const v = this.evaluator.value(only.children[0]!);
      if (v instanceof Undef) v.fail();
      if (src === s) return v;
      // the final line break went: a value that prints as a list, a dict or a boolean comes back as it is
      if (typeof v === 'boolean' || Array.isArray(v) || isMapping(v)) return v;
      return withNewlines(typeof v === 'string' ? v : pyStr(v), trailingNewlines(s));
    }
    const text = this.evaluator.render(root);
    if (text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False') {
      const lit = parsePyLiteral(text);
      if (lit.ok) return lit.value;
    }
    return withNewlines(text, trailingNewlines(s));
  }
}

/** Templar.SINGLE_VAR: `{{ name }}` alone (Python's `$` also matches before a final newline). */
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}\n?$/;

/** Python's _count_newlines_from_end: the \n characters that end the text. */
function trailingNewlines(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

/** Templar.do_template: the rendered text gets back the final newlines of its source that Jinja dropped. */
function withNewlines(text: string, want: number): string {
  const have = trailingNewlines(text);
  return want > have ? text + '\n'.repeat(want - have) : text;
}
