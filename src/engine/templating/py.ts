/**
 * Python value semantics over plain JS values, as Jinja under Ansible sees them:
 * str()/repr(), truthiness, equality, ordering, type names. JS numbers are ints when integral, floats
 * otherwise; an integral float (4.0) is boxed as PyFloat so it still prints "4.0". A Python tuple is a
 * frozen array marked by PyTuple (prints "(1, 2)").
 */

export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return floatStr(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

const tuples = new WeakSet<unknown[]>();
export function tuple<T>(items: T[]): T[] {
  tuples.add(items);
  return items;
}
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && tuples.has(v);
}

/** A float result: boxed when integral so it keeps printing as a float. */
export function mkFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
export function num(v: unknown): number {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return isPlainish(v);
}
function isPlainish(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Python's float repr: shortest round-trip, always with a '.' or exponent. */
export function floatStr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Object.is(n, -0)) return '-0.0';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  let s = String(n);
  if (s.includes('e')) {
    // JS: 2.5e-7 / 1e+21 → Python: 2.5e-07 / 1e+21
    s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return s;
}

/** Python str() of a value (what {{ x }} prints inside a larger string). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python repr() (how values print inside lists and dicts). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatStr(v);
  if (typeof v === 'bigint') return String(v);
  if (v instanceof PyFloat) return floatStr(v.value);
  if (typeof v === 'string') return strRepr(v);
  if (Array.isArray(v)) {
    const inner = v.map(pyRepr).join(', ');
    if (isTuple(v)) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (typeof v === 'object') {
    const s = (v as { toString?: () => string }).toString;
    if (!isPlainish(v as object) && typeof s === 'function' && s !== Object.prototype.toString) return strRepr(String(v));
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  if (typeof v === 'function') return '<function>';
  return String(v);
}

/** Python repr of a str: single quotes unless the text has ' and no ". */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

/** Python truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && isPlainish(v as object)) return Object.keys(v as object).length > 0;
  return true;
}

/** Python ==. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const an = isNumber(a) || typeof a === 'boolean';
  const bn = isNumber(b) || typeof b === 'boolean';
  if (an && bn) return num(a) === num(b);
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEq(a[k], b[k]));
  }
  if (typeof a === 'object' && typeof b === 'object' && String(a) === String(b) && !isPlainish(a as object)) return true;
  return false;
}

/** Python ordering (<): numbers with numbers, strings with strings, lists element-wise. */
export function pyCompare(a: unknown, b: unknown): number {
  const an = isNumber(a) || typeof a === 'boolean';
  const bn = isNumber(b) || typeof b === 'boolean';
  if (an && bn) return num(a) < num(b) ? -1 : num(a) > num(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = pyCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (isMapping(v)) return 'dict';
  if (typeof v === 'function') return 'function';
  return 'object';
}

/**
 * A mapping read lazily through a Proxy (hostvars[host]: Ansible's HostVarsVars): its keys answer `in` though
 * it is no plain object.
 */
export class LazyMapping {}

/** Python `in`. */
export function pyIn(item: unknown, container: unknown): boolean {
  if (container instanceof LazyMapping) return (typeof item === 'string' || typeof item === 'number') && String(item) in container;
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TypeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (isMapping(container)) return typeof item === 'string' || typeof item === 'number' ? Object.prototype.hasOwnProperty.call(container, String(item)) : false;
  throw new TypeError(`argument of type '${typeName(container)}' is not iterable`);
}

/** Deep copy to plain JS: PyFloat → number (what modules and the engine get). */
export function toPlain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const y = toPlain(x);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  if (isMapping(v)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = toPlain(x);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : v;
  }
  return v;
}
