/** What playbook loading carries around, and its error helpers (every error names file:line:col and the key). */
import { TsplayError, type SourcePos } from '../errors.js';
import type { ModuleRegistry } from '../contract/registry.js';
import { suggestName } from '../contract/validate.js';
import { posOfKey, posOfObject } from './yaml.js';
import type { TaskNode, Vars } from './playbook-types.js';

export interface LoadContext {
  registry: ModuleRegistry;
  /** the top playbook's directory (relative includes and roles/ fall back to it) */
  playbookDir: string;
  /** collected errors (--syntax-check) instead of throwing the first */
  errors?: TsplayError[];
  /** files being imported (cycle detection) */
  stack?: string[];
  /** the play being loaded: public roles (roles:, import_role) add their defaults and vars here */
  play?: { roleDefaults: Vars; roleVars: Vars };
  /** the play's `collections:` (short module names are looked up in them, engine/ansible-module) */
  collections?: string[];
  /** handlers of roles imported with import_role while loading the play */
  importedHandlers?: TaskNode[];
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** "a mapping", "a string 'x'", ... for messages about what was found instead of what was expected. */
export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string '${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype ? 'a mapping' : 'a value';
  if (typeof v === 'boolean' || typeof v === 'number') return `${typeof v === 'number' ? 'a number' : 'a boolean'} (${String(v)})`;
  return `a ${typeof v}`;
}

/** A playbook error at a YAML node (at `key` of it when given), or at line 1 of `file`. */
export function err(message: string, node: object | undefined, key?: string | number, file?: string, hint?: string): TsplayError {
  const source: SourcePos | undefined = node ? (key !== undefined ? posOfKey(node, key) : posOfObject(node)) : undefined;
  return new TsplayError('playbook', message, { source: source ?? (file ? { file, line: 1, col: 1 } : undefined), hint });
}

/** The nearest candidate: within 2 edits (Damerau-Levenshtein), or a prefix (see suggestName). */
export function nearest(word: string, options: Iterable<string>): string | undefined {
  return suggestName(word, options);
}

export const didYouMean = (word: string, options: Iterable<string>): string | undefined => {
  const n = nearest(word, options);
  return n ? `did you mean '${n}'?` : undefined;
};

/** Record an error (syntax-check collects all) or throw it. */
export function report(ctx: LoadContext, e: TsplayError): void {
  if (ctx.errors) ctx.errors.push(e);
  else throw e;
}

/** Run `fn`; a TsplayError it throws is reported (collected or rethrown). Returns undefined on error. */
export function attempt<T>(ctx: LoadContext, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TsplayError) {
      report(ctx, e);
      return undefined;
    }
    throw e;
  }
}

export function toStringList(v: unknown, what: string, node: object, key: string): string[] {
  if (v == null) return [];
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v) && v.every((x) => x == null || typeof x !== 'object')) return v.filter((x) => x != null).map((x) => String(x));
  throw err(`'${key}' (${what}) must be a string or a list of strings`, node, key);
}

/** A `vars:` value must be a mapping (a list of mappings is accepted and merged, like Ansible). */
export function varsOf(node: Obj, key = 'vars'): Vars | undefined {
  const v = node[key];
  if (v == null) return undefined;
  if (isObj(v)) return v;
  if (Array.isArray(v) && v.every(isObj)) return Object.assign({}, ...v) as Vars;
  throw err(`'${key}' must be a mapping of variable names to values`, node, key);
}
