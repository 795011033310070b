/** Core filters: defaults, type conversion, numbers, Jinja's string basics. */
import { TsplayError } from '../../errors.js';
import { callArg, type FilterDef } from './evaluate.js';
import { isFloat, isInt, isMapping, isNumber, mkFloat, num, PyFloat, pyStr, truthy, typeName } from './py.js';
import { isUndef } from './undefined.js';

type F = FilterDef['fn'];
const f = (fn: F, undefinedOk = false): FilterDef => ({ fn, undefinedOk });
const arg = callArg;

/** Python int(); Jinja's int filter falls back to int(float(s)), then the default. */
export function toInt(v: unknown, dflt: unknown = 0, base = 10): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) return Math.trunc(num(v));
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    if (base !== 10) {
      const m = /^([+-]?)(?:0[xob])?([0-9a-z]+)$/i.exec(s);
      const n = m ? parseInt(m[2]!, base || 10) : NaN;
      if (m && !Number.isNaN(n)) return m[1] === '-' ? -n : n;
      if (base === 0 && /^[+-]?\d+$/.test(s)) return parseInt(s, 10);
      return dflt;
    }
    if (/^[+-]?\d+$/.test(s)) return parseInt(s, 10);
    const fl = toFloat(s, null);
    return fl === null ? dflt : Math.trunc(num(fl));
  }
  return dflt;
}

export function toFloat(v: unknown, dflt: unknown = mkFloat(0)): unknown {
  if (typeof v === 'boolean') return mkFloat(v ? 1 : 0);
  if (isNumber(v)) return mkFloat(num(v));
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) return mkFloat(Number(s));
    if (/^[+-]?(inf|infinity|nan)$/.test(s)) return s.includes('nan') ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  }
  return dflt;
}

/** Ansible's bool filter: its own word list, not boolean()'s (lib/args/booleans.ts): 'y' and 't' are false here. */
export function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return null;
  const s = pyStr(v).toLowerCase();
  return ['yes', 'on', '1', 'true', '1.0'].includes(s);
}

function pyRound(x: number, digits: number): number {
  const m = 10 ** digits;
  const y = x * m;
  const r = Math.round(y);
  // banker's rounding on exact halves, like Python's round()
  const exactHalf = Math.abs(y % 1) === 0.5;
  return (exactHalf && r % 2 !== 0 ? r - 1 : r) / m;
}

export function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return [...(typeof v === 'string' ? v : v)].length;
  if (isMapping(v)) return Object.keys(v).length;
  throw new Error(`object of type '${typeName(v)}' has no len()`);
}

export const coreFilters: Record<string, FilterDef> = {
  default: f((_e, v, args, kw) => {
    const dflt = arg({ args, kw }, 0, 'default_value', '');
    const boolean = arg({ args, kw }, 1, 'boolean', false);
    if (isUndef(v) || (truthy(boolean) && !truthy(v))) return dflt;
    return v;
  }, true),
  mandatory: f((_e, v, args, kw) => {
    if (isUndef(v)) {
      const msg = arg({ args, kw }, 0, 'msg');
      throw new TsplayError('undefined-var', msg ? String(msg) : `Mandatory variable '${v.name}' not defined.`);
    }
    return v;
  }, true),
  ternary: f((_e, v, [t, fa, none]) => (v === null && none !== undefined ? none : truthy(v) ? t : fa)),
  bool: f((_e, v) => toBool(v)),
  int: f((_e, v, args, kw) => toInt(v, arg({ args, kw }, 0, 'default', 0), Number(arg({ args, kw }, 1, 'base', 10)))),
  float: f((_e, v, args, kw) => toFloat(v, arg({ args, kw }, 0, 'default', mkFloat(0)))),
  string: f((_e, v) => pyStr(v)),
  abs: f((_e, v) => (isFloat(v) ? mkFloat(Math.abs(num(v))) : Math.abs(num(v)))),
  round: f((_e, v, args, kw) => {
    const prec = Number(arg({ args, kw }, 0, 'precision', 0));
    const method = String(arg({ args, kw }, 1, 'method', 'common'));
    const x = num(v);
    if (method === 'common') return isInt(v) ? v : mkFloat(pyRound(x, prec));
    const m = 10 ** prec;
    return mkFloat((method === 'ceil' ? Math.ceil(x * m) : Math.floor(x * m)) / m);
  }),
  length: f((_e, v) => length(v)),
  count: f((_e, v) => length(v)),
  lower: f((_e, v) => pyStr(v).toLowerCase()),
  upper: f((_e, v) => pyStr(v).toUpperCase()),
  title: f((_e, v) => pyStr(v).replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())),
  capitalize: f((_e, v) => {
    const s = pyStr(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  }),
  trim: f((_e, v, [chars]) =>
    chars === undefined ? pyStr(v).trim() : pyStr(v).replace(new RegExp(`^[${esc(String(chars))}]+|[${esc(String(chars))}]+$`, 'g'), ''),
  ),
  type_debug: f(
    (_e, v) =>
      (({ str: 'str', int: 'int', float: 'float', bool: 'bool', list: 'list', dict: 'dict', NoneType: 'NoneType', tuple: 'tuple' }) as Record<string, string>)[
        typeName(v)
      ] ?? typeName(v),
  ),
};

function esc(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&');
}

export { PyFloat };
