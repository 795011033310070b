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
import { makeGlobals } from './globals.js';
import { parseTemplate } from './parse.js';
import { isMapping } from './py.js';
import { tests } from './tests.js';
import { Undef } from './undefined.js';

export type Vars = Record<string, unknown>;

export const filters: Record<string, FilterDef> = { ...coreFilters, ...listFilters, ...stringFilters, ...netFilters };
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
  let r: Renderer | undefined;
  const get = (k: string): unknown => {
    r ??= new Renderer(vars);
    const v = r.lookupVar(k);
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

export class Renderer implements EvalEnv {
  readonly filters = filters;
  readonly tests: Record<string, TestDef> = tests;
  readonly globals: Record<string, unknown>;
  readonly baseDir?: string;
  private readonly stack: string[] = [];
  private readonly cache = new Map<string, unknown>();
  readonly evaluator: Evaluator;

  constructor(readonly vars: Vars, opts: { baseDir?: string; sourceFile?: string } = {}) {
    this.baseDir = opts.baseDir ?? (opts.sourceFile ? dirname(opts.sourceFile) : undefined);
    this.globals = makeGlobals(() => this);
    this.evaluator = new Evaluator(this);
  }

  lookupVar(name: string): unknown {
    const cached = this.cache.get(name);
    if (cached !== undefined || this.cache.has(name)) return cached;
    const vars = this.vars;
    if (!(name in vars)) return new Undef(name);
    const raw = vars[name];
    if (raw === undefined || (raw === (Object.prototype as Record<string, unknown>)[name])) return new Undef(name);
    if (!needsResolve(raw)) return raw;
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

  /** Render a string holding {{ }}/{% %}: a lone {{ expr }} keeps the value's type. */
  renderString(s: string): unknown {
    const root = parseTemplate(s);
    const only = root.children?.length === 1 ? root.children[0] : undefined;
    if (only?.typename === 'Output' && only.children?.length === 1 && only.children[0]!.typename !== 'TemplateData') {
      const v = this.evaluator.value(only.children[0]!);
      if (v instanceof Undef) v.fail();
      return v;
    }
    return this.evaluator.render(root);
  }
}
