/**
 * Module arguments: aliases, Ansible-style boolean strings, then Ajv against the module's TypeBox schema
 * (defaults applied, unknown arguments rejected). Errors are ArgsError with the argument's path, which the
 * engine maps back to the YAML node.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import type { AnyModule } from './define.js';
import { ArgsError } from '../errors.js';
import { levenshtein } from './registry.js';
import { ONE_LINE_PATTERN, oneLineMessage } from './one-line.js';

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: false, strict: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

const TRUE = new Set(['yes', 'on', 'true', '1', 'y', 't']);
const FALSE = new Set(['no', 'off', 'false', '0', 'n', 'f', '']);

function schemaProps(schema: TSchema): Record<string, TSchema> {
  return ((schema as { properties?: Record<string, TSchema> }).properties ?? {}) as Record<string, TSchema>;
}

function acceptsType(s: TSchema, type: string): boolean {
  if (s.type === type) return true;
  const anyOf = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  return !!anyOf?.some((x) => acceptsType(x, type));
}

/** Normalise raw (already templated) args for a module; returns a new object. */
export function normalizeArgs(mod: AnyModule, raw: Record<string, unknown>): Record<string, unknown> {
  const props = schemaProps(mod.args);
  const out: Record<string, unknown> = {};
  for (const [k0, v0] of Object.entries(raw)) {
    const k = mod.argAliases?.[k0] ?? k0;
    if (k !== k0 && k in raw) throw new ArgsError(`arguments '${k0}' and '${k}' are aliases of each other; give only one`, `/${k0}`);
    let v = v0;
    const p = props[k];
    if (p && typeof v === 'string' && acceptsType(p, 'boolean') && !acceptsType(p, 'string')) {
      const l = v.toLowerCase();
      if (TRUE.has(l)) v = true;
      else if (FALSE.has(l)) v = false;
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
  let fn = compiled.get(mod.args);
  if (!fn) {
    fn = ajv.compile(mod.args);
    compiled.set(mod.args, fn);
  }
  // a value with a line break is the precise complaint, even when it sits in one branch of a union
  if (!fn(args)) throw toArgsError(mod, fn.errors?.find(isOneLineError) ?? fn.errors?.[0], args);
  mod.validate?.(args);
  return args as T;
}

function isOneLineError(e: ErrorObject): boolean {
  return e.keyword === 'pattern' && (e.params as { pattern?: string }).pattern === ONE_LINE_PATTERN;
}

/** The value at a JSON pointer (Ajv's instancePath) in the arguments. */
function valueAt(args: unknown, pointer: string): unknown {
  let v = args;
  for (const k of pointer.split('/').slice(1)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
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
    const known = path ? [] : Object.keys(schemaProps(mod.args));
    const near = known.map((k) => [k, levenshtein(extra, k)] as const).sort((a, b) => a[1] - b[1])[0];
    const hint = near && near[1] <= Math.max(2, Math.floor(extra.length / 3)) ? `did you mean '${near[0]}'?` : `supported: ${known.join(', ')}`;
    return new ArgsError(`${mod.name}: unsupported argument '${full}'`, `${path}/${extra}`, { hint });
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    return new ArgsError(`${mod.name}: missing required argument '${path ? argName + '.' : ''}${missing}'`, path);
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
    if (choices.length && choices.length === alts.length) return new ArgsError(`${mod.name}: argument '${argName}' must be one of: ${choices.join(', ')}`, path);
  }
  const what = argName ? `argument '${argName}'` : 'arguments';
  return new ArgsError(`${mod.name}: ${what} ${e.message ?? 'is invalid'}`, path);
}
