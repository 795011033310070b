/**
 * Module arguments: aliases, Ansible-style boolean strings, then Ajv against the module's TypeBox schema
 * (defaults applied, unknown arguments rejected). Errors are ArgsError with the argument's path, which the
 * engine maps back to the YAML node.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import type { AnyModule, ArgRules } from './define.js';
import { ArgsError } from '../errors.js';
import { ONE_LINE_PATTERN, oneLineMessage } from '../../lib/args/one-line.js';
import { boolWord } from '../../lib/args/booleans.js';

// allErrors: a failing task names every problem, the real mistake (an unknown argument) first; see orderErrors.
// validateSchema off: the schemas are the modules' own (TypeBox), checked against the meta-schema by a test
// (test/unit/contract-rules.test.ts), not in every run (compiling the meta-schema cost ~25 ms of each run)
const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true, strict: false, validateSchema: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions): `contnet` is one
 * edit from `content`, as a typist sees it (plain Levenshtein counts two).
 */
export function damerauLevenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/**
 * The known name a mistyped one most likely meant: within 2 edits (1 for names of 1-3 letters), or one that the
 * word starts (`cont` → `content`) or that starts the word (`destination` → `dest`). Ties go to fewer edits,
 * then to a candidate that only adds letters (a typo that dropped one: taks → tasks), then to the first given.
 */
export function suggestName(word: string, options: Iterable<string>): string | undefined {
  if (!word || word.length > 64) return undefined;
  const lw = word.toLowerCase();
  const maxD = word.length <= 3 ? 1 : 2;
  const adds = (o: string) => {
    let i = 0;
    for (const ch of o) if (ch === lw[i]) i++;
    return i === lw.length;
  };
  let best: string | undefined;
  let bestScore = Infinity;
  for (const o of options) {
    if (o === word) continue;
    const lo = o.toLowerCase();
    const d = damerauLevenshtein(lw, lo);
    const prefix = lw.length >= 3 && lo.length >= 3 && (lo.startsWith(lw) || lw.startsWith(lo));
    if (d > maxD && !prefix) continue;
    const score = (d <= maxD ? d : maxD + 1) - (adds(lo) ? 0.5 : 0);
    if (score < bestScore) {
      bestScore = score;
      best = o;
    }
  }
  return best;
}

function schemaProps(schema: TSchema): Record<string, TSchema> {
  return ((schema as { properties?: Record<string, TSchema> }).properties ?? {}) as Record<string, TSchema>;
}

function acceptsType(s: TSchema, type: string): boolean {
  if (s.type === type) return true;
  const anyOf = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  return !!anyOf?.some((x) => acceptsType(x, type));
}

/** The acceptedArgs a task gives (arguments that have no effect in tsplay), as warnings to print. */
export function ignoredArgWarnings(mod: AnyModule, raw: Record<string, unknown>): string[] {
  const accepted = mod.acceptedArgs ?? {};
  return Object.keys(raw)
    .filter((k) => k in accepted && !(k in schemaProps(mod.args)))
    .map((k) => `${mod.name}: argument '${k}' is accepted for compatibility with Ansible but has no effect in tsplay: ${accepted[k]}`);
}

/** Normalise raw (already templated) args for a module; returns a new object (acceptedArgs left out). */
export function normalizeArgs(mod: AnyModule, raw: Record<string, unknown>): Record<string, unknown> {
  const props = schemaProps(mod.args);
  const out: Record<string, unknown> = {};
  for (const [k0, v0] of Object.entries(raw)) {
    if (mod.acceptedArgs && k0 in mod.acceptedArgs && !(k0 in props)) continue;
    const k = mod.argAliases?.[k0] ?? k0;
    if (k !== k0 && k in raw) throw new ArgsError(`arguments '${k0}' and '${k}' are aliases of each other; give only one`, `/${k0}`);
    let v = v0;
    const p = props[k];
    if (p && typeof v === 'string' && acceptsType(p, 'boolean') && !acceptsType(p, 'string')) {
      // an empty string is false too (a variable templated to nothing)
      const b = v.trim() === '' ? false : boolWord(v);
      if (b !== undefined) v = b;
    }
    if (p && typeof v === 'number' && acceptsType(p, 'boolean') && !acceptsType(p, 'number') && !acceptsType(p, 'integer')) {
      if (v === 0 || v === 1) v = v === 1;
    }
    out[k] = v;
  }
  return out;
}

export function validateArgs<T = Record<string, unknown>>(mod: AnyModule, raw: Record<string, unknown>): T {
  const args = normalizeArgs(mod, raw);
  const given = new Set(Object.keys(args));
  const errors = schemaErrors(mod, args);
  if (errors.length) {
    const [first, ...rest] = errors.map((e) => toArgsError(mod, e, args));
    if (rest.length) first!.also = dedupe(rest, first!.path);
    throw first;
  }
  if (mod.rules) checkRules(mod.name, mod.rules, given, args);
  mod.validate?.(args);
  return args as T;
}

/**
 * A module's declarative rules, with Ansible's messages. `given`: the arguments the task set (before the
 * schema's defaults, as Ansible checks mutually_exclusive); the other rules see defaults too.
 */
export function checkRules(name: string, rules: ArgRules, given: ReadonlySet<string>, args: Record<string, unknown>): void {
  const has = (k: string) => args[k] !== undefined;
  const fail = (msg: string, at?: string) => {
    throw new ArgsError(`${name}: ${msg}`, at === undefined ? '' : `/${at}`);
  };
  for (const g of rules.mutuallyExclusive ?? []) {
    const set = g.filter((k) => given.has(k));
    if (set.length > 1) fail(`parameters are mutually exclusive: ${g.join('|')}`, set[1]);
  }
  for (const g of rules.requiredOneOf ?? []) if (!g.some(has)) fail(`one of the following is required: ${g.join(', ')}`);
  for (const g of rules.requiredTogether ?? []) {
    const n = g.filter(has).length;
    if (n > 0 && n < g.length)
      fail(
        `parameters are required together: ${g.join(', ')}`,
        g.find((k) => !has(k)),
      );
  }
  for (const r of rules.requiredIf ?? []) {
    if (args[r.arg] !== r.is) continue;
    const missing = r.then.filter((k) => !has(k));
    if (missing.length && (!r.anyOf || missing.length === r.then.length)) {
      fail(`${r.arg} is ${String(r.is)} but ${r.anyOf ? 'any' : 'all'} of the following are missing: ${missing.join(', ')}`, missing[0]);
    }
  }
  for (const [k, needs] of Object.entries(rules.requiredBy ?? {})) {
    if (!has(k)) continue;
    const missing = (needs ?? []).filter((n) => !has(n));
    if (missing.length) fail(`missing parameter(s) required by '${k}': ${missing.join(', ')}`, missing[0]);
  }
}

function dedupe(errs: ArgsError[], firstPath: string): ArgsError[] {
  const seen = new Set([firstPath]);
  return errs.filter((e) => !seen.has(e.path) && !!seen.add(e.path));
}

/** How much an error explains: an unknown argument first (a typo is why a required one is "missing"), then a bad value, then a missing one. */
function rank(e: ErrorObject): number {
  // a value with a line break is the precise complaint, even when it sits in one branch of a union
  if (isOneLineError(e)) return -1;
  if (e.keyword === 'additionalProperties') return 0;
  if (e.keyword === 'required') return 2;
  return 1;
}

/**
 * The schema's errors for `args` (defaults applied into it), the most telling first: each argument once (anyOf
 * reports every branch's failure and then its own: its own is kept).
 */
export function schemaErrors(mod: AnyModule, args: Record<string, unknown>): ErrorObject[] {
  let fn = compiled.get(mod.args);
  if (!fn) {
    fn = ajv.compile(mod.args);
    compiled.set(mod.args, fn);
  }
  if (fn(args)) return [];
  const errs = fn.errors ?? [];
  const anyOfPaths = new Set(errs.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errs
    .filter((e) => !anyOfPaths.has(e.instancePath) || e.keyword === 'anyOf' || isOneLineError(e))
    .map((e, i) => [e, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([e]) => e);
}

/** The properties a (sub)schema declares at an argument path like /opts or /users/0. */
function propsAt(schema: TSchema, path: string): string[] {
  let s: TSchema | undefined = schema;
  for (const seg of path.split('/').filter(Boolean)) {
    if (!s) return [];
    if (/^\d+$/.test(seg) && s.items) s = s.items as TSchema;
    else s = schemaProps(s)[seg];
    const alts = (s?.anyOf ?? s?.oneOf) as TSchema[] | undefined;
    if (alts) s = alts.find((a) => a.type === 'object' || a.type === 'array') ?? s;
  }
  return s ? Object.keys(schemaProps(s)) : [];
}

function isOneLineError(e: ErrorObject): boolean {
  return e.keyword === 'pattern' && (e.params as { pattern?: string }).pattern === ONE_LINE_PATTERN;
}

/** The value at a JSON pointer (Ajv's instancePath) in the arguments. */
function valueAt(args: unknown, pointer: string): unknown {
  let v = args;
  for (const k of pointer.split('/').slice(1))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return v;
}

/** One Ajv error as an ArgsError; `args` (the validated object) lets a message name what is wrong in a value. */
export function toArgsError(mod: AnyModule, e: ErrorObject | undefined, args?: unknown): ArgsError {
  if (!e) return new ArgsError(`invalid arguments for ${mod.name}`);
  const path = e.instancePath || '';
  const argName = path.split('/').filter(Boolean).join('.');
  if (isOneLineError(e)) {
    return new ArgsError(`${mod.name}: ${oneLineMessage(`argument '${argName}'`, valueAt(args, path))}`, path);
  }
  if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    const full = path ? `${argName}.${extra}` : extra;
    const known = path ? propsAt(mod.args, path) : [...Object.keys(schemaProps(mod.args)), ...Object.keys(mod.argAliases ?? {})];
    const near = suggestName(extra, known);
    const primary = path ? known : Object.keys(schemaProps(mod.args));
    return new ArgsError(`${mod.name}: unknown argument '${full}'${near ? ` (did you mean '${near}'?)` : ''}`, `${path}/${extra}`, {
      hint: near || !primary.length ? undefined : `supported: ${primary.join(', ')}`,
    });
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    // the failed task's msg: AnsibleModule's check_required_arguments text
    return new ArgsError(`${mod.name}: missing required argument '${path ? argName + '.' : ''}${missing}'`, path, {
      resultMsg: path ? undefined : `missing required arguments: ${missing}`,
    });
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return new ArgsError(`${mod.name}: argument '${argName}' must be one of: ${allowed.join(', ')}`, path);
  }
  // a TypeBox Union of Literals: list the choices instead of Ajv's "must be equal to constant"
  if (e.keyword === 'const' || e.keyword === 'anyOf') {
    const top = path.split('/').filter(Boolean)[0];
    const alts = top ? ((schemaProps(mod.args)[top]?.anyOf ?? []) as TSchema[]) : [];
    const choices = alts.filter((a) => a.const !== undefined).map((a) => String(a.const));
    if (choices.length && choices.length === alts.length)
      return new ArgsError(`${mod.name}: argument '${argName}' must be one of: ${choices.join(', ')}`, path);
  }
  const what = argName ? `argument '${argName}'` : 'arguments';
  return new ArgsError(`${mod.name}: ${what} ${e.message ?? 'is invalid'}`, path);
}
