/**
 * Ansible's ArgumentSpecValidator for role argument specs (meta/argument_specs.yml), as ansible-core 2.14's
 * validate_argument_spec action runs it: aliases, required, defaults, types (with Ansible's conversions),
 * choices, list elements, nested options, and the unsupported-parameter check; Ansible's error messages.
 */
import { boolWord } from '../../../lib/args/booleans.js';

export interface OptionSpec {
  type?: string;
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  elements?: string;
  options?: Record<string, OptionSpec>;
  aliases?: string[];
  [k: string]: unknown;
}

/**
 * The class Python names for a string: a playbook's strings reach the validator as the YAML loader's
 * AnsibleUnicode (what validate_argument_spec's messages show); plain str where the caller says so.
 */
let STR_CLASS = "<class 'str'>";

/** Python's type(value), as Ansible's messages print it. */
export function pyType(v: unknown): string {
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === 'string') return STR_CLASS;
  if (Array.isArray(v)) return "<class 'list'>";
  return "<class 'dict'>";
}

/** Python's str() of a value in messages (lists and dicts as repr). */
function pyText(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return repr(v);
}
function repr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${repr(k)}: ${repr(x)}`)
      .join(', ')}}`;
  return pyText(v);
}

class Conv extends Error {}

/** check_type_*: the converted value, or a Conv error with Ansible's reason. */
function convert(type: string, v: unknown): unknown {
  switch (type) {
    case 'str':
    case 'path':
      return typeof v === 'string' ? v : pyText(v);
    case 'raw':
      return v;
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return parseInt(v, 10);
      throw new Conv(`${pyType(v)} cannot be converted to an int`);
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      throw new Conv(`${pyType(v)} cannot be converted to a float`);
    case 'bool': {
      if (typeof v === 'boolean') return v;
      const b = typeof v === 'string' || typeof v === 'number' ? boolWord(String(v)) : undefined;
      if (b === undefined && typeof v === 'string')
        throw new Conv(
          `The value ${repr(v)} is not a valid boolean.  Valid booleans include: 0, 1, 'y', 'false', '0', '1', 'off', 'f', 't', 'no', 'yes', 'on', 'true', 'n'`,
        );
      if (b === undefined) throw new Conv(`${pyType(v)} cannot be converted to a bool`);
      return b;
    }
    case 'list':
      if (Array.isArray(v)) return v;
      if (typeof v === 'string') return v.split(',');
      if (typeof v === 'number') return [String(v)];
      throw new Conv(`${pyType(v)} cannot be converted to a list`);
    case 'dict':
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
      if (typeof v === 'string') {
        try {
          const j = JSON.parse(v) as unknown;
          if (j && typeof j === 'object' && !Array.isArray(j)) return j;
        } catch {
          /* k=v form below */
        }
        const out: Record<string, string> = {};
        for (const part of v.split(/[\s,]+/).filter(Boolean)) {
          const eq = part.indexOf('=');
          if (eq <= 0) throw new Conv(`dictionary requested, could not parse JSON or key=value`);
          out[part.slice(0, eq)] = part.slice(eq + 1);
        }
        return out;
      }
      throw new Conv(`${pyType(v)} cannot be converted to a dict`);
    default:
      return v;
  }
}

/** validate() as a role's validation task runs it: strings are the playbook's (AnsibleUnicode). */
export function validateRoleArgs(spec: Record<string, OptionSpec>, params: Record<string, unknown>): string[] {
  STR_CLASS = "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
  try {
    return validateArgSpec(spec, params);
  } finally {
    STR_CLASS = "<class 'str'>";
  }
}

/** validate(): the error messages (empty when the parameters conform). */
export function validateArgSpec(spec: Record<string, OptionSpec>, params: Record<string, unknown>, parent?: string): string[] {
  const errors: string[] = [];
  const p: Record<string, unknown> = { ...params };
  const found = parent ? ` found in ${parent}` : '';
  // aliases: the alias's value under the option's name
  const legal = new Set<string>();
  for (const [name, o] of Object.entries(spec)) {
    legal.add(name);
    for (const a of o.aliases ?? []) {
      legal.add(a);
      if (a in p && !(name in p)) p[name] = p[a];
      delete p[a];
    }
  }
  const unsupported = Object.keys(params).filter((k) => !legal.has(k));
  if (unsupported.length) {
    const names = Object.keys(spec)
      .sort()
      .map((n) => (spec[n]!.aliases?.length ? `${n} (${[...spec[n]!.aliases!].sort().join(', ')})` : n));
    errors.push(`${unsupported.sort().join(', ')}${found}. Supported parameters include: ${names.join(', ')}.`);
  }
  const missing = Object.entries(spec)
    .filter(([n, o]) => o.required && (p[n] === undefined || p[n] === null))
    .map(([n]) => n);
  if (missing.length) errors.push(`missing required arguments: ${missing.sort().join(', ')}${found}`);
  // as ArgumentSpecValidator.validate: defaults, then every type (list elements too), then choices, then sub-specs
  const val: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec)) {
    if (p[name] === undefined && o.default !== undefined && !o.required) p[name] = o.default;
    const v = p[name];
    if (v === undefined || v === null) continue;
    const type = o.type ?? 'str';
    try {
      val[name] = convert(type, v);
    } catch (e) {
      if (!(e instanceof Conv)) throw e;
      errors.push(`argument '${name}' is of type ${pyType(v)}${parent ? ` found in '${parent}'.` : ''} and we were unable to convert to ${type}: ${e.message}`);
      continue;
    }
    if (type === 'list' && o.elements && Array.isArray(val[name])) {
      val[name] = (val[name] as unknown[]).map((el) => {
        try {
          return convert(o.elements!, el);
        } catch (e) {
          if (!(e instanceof Conv)) throw e;
          errors.push(
            `Elements value for option '${name}'${parent ? ` found in '${parent}'` : ''} is of type ${pyType(el)} and we were unable to convert to ${o.elements}: ${e.message}`,
          );
          return el;
        }
      });
    }
  }
  for (const [name, o] of Object.entries(spec)) {
    if (!o.choices || !(name in val)) continue;
    const v = val[name];
    const vals = Array.isArray(v) ? v : [v];
    const bad = vals.filter((x) => !o.choices!.some((c) => c === x || pyText(c) === pyText(x)));
    if (!bad.length) continue;
    const choices = o.choices.map(pyText).join(', ');
    errors.push(
      Array.isArray(v)
        ? `value of ${name} must be one or more of: ${choices}. Got no match for: ${bad.map(pyText).join(', ')}${found}`
        : `value of ${name} must be one of: ${choices}, got: ${pyText(v)}${found}`,
    );
  }
  for (const [name, o] of Object.entries(spec)) {
    if (!o.options || !(name in val)) continue;
    const v = val[name];
    if ((o.type ?? 'str') === 'dict' && v && typeof v === 'object' && !Array.isArray(v))
      errors.push(...validateArgSpec(o.options, v as Record<string, unknown>, name));
    else if (o.type === 'list' && o.elements === 'dict' && Array.isArray(v))
      for (const el of v)
        if (el && typeof el === 'object' && !Array.isArray(el)) errors.push(...validateArgSpec(o.options, el as Record<string, unknown>, name));
  }
  return errors;
}
