/** Attribute access and the Python methods playbooks call on strings, lists and dicts. */
import { strFormat } from './format.js';
import { isInt, isMapping, pyEq, pyStr, truthy, tuple, typeName } from './py.js';
import { Undef } from './undefined.js';
import type { JFunction, Kwargs } from './evaluate.js';

type Method<T> = (self: T, args: unknown[], kw: Kwargs) => unknown;

const ws = (chars: unknown) => (chars === undefined || chars === null ? '\\s' : String(chars).replace(/[\\\]^-]/g, '\\$&'));

function pySplit(s: string, sep: unknown, max: unknown, fromRight = false): string[] {
  const limit = max === undefined || max === null || Number(max) < 0 ? Infinity : Number(max);
  if (sep === undefined || sep === null) {
    const parts = s
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '');
    if (limit === Infinity || parts.length <= limit + 1) return parts;
    if (fromRight) {
      const re = new RegExp(`^([\\s\\S]*?)\\s+(${'\\S+\\s+'.repeat(limit - 1)}\\S+)\\s*$`);
      const m = re.exec(s.trim())!;
      return [m[1]!, ...m[2]!.split(/\s+/)];
    }
    const out = parts.slice(0, limit);
    let rest = s.trimStart();
    for (let i = 0; i < limit; i++) rest = rest.slice(rest.indexOf(parts[i]!) + parts[i]!.length).trimStart();
    return [...out, rest];
  }
  const sp = String(sep);
  if (sp === '') throw new Error('empty separator');
  const all = s.split(sp);
  if (all.length - 1 <= limit) return all;
  return fromRight ? [all.slice(0, all.length - limit).join(sp), ...all.slice(all.length - limit)] : [...all.slice(0, limit), all.slice(limit).join(sp)];
}

const strMethods: Record<string, Method<string>> = {
  split: (s, [sep, max], kw) => pySplit(s, sep ?? kw.sep, max ?? kw.maxsplit),
  rsplit: (s, [sep, max], kw) => pySplit(s, sep ?? kw.sep, max ?? kw.maxsplit, true),
  splitlines: (s) => s.split(/\r?\n/).filter((l, i, a) => !(i === a.length - 1 && l === '')),
  strip: (s, [c]) => s.replace(new RegExp(`^[${ws(c)}]+|[${ws(c)}]+$`, 'g'), ''),
  lstrip: (s, [c]) => s.replace(new RegExp(`^[${ws(c)}]+`), ''),
  rstrip: (s, [c]) => s.replace(new RegExp(`[${ws(c)}]+$`), ''),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  startswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.startsWith(String(x))) : s.startsWith(String(p))),
  endswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.endsWith(String(x))) : s.endsWith(String(p))),
  replace: (s, [a, b, n]) => {
    let count = n === undefined ? Infinity : Number(n);
    return s.split(String(a)).reduce((acc, part, i) => (i === 0 ? part : acc + (count-- > 0 ? String(b) : String(a)) + part), '');
  },
  find: (s, [x]) => s.indexOf(String(x)),
  rfind: (s, [x]) => s.lastIndexOf(String(x)),
  index: (s, [x]) => {
    const i = s.indexOf(String(x));
    if (i < 0) throw new Error('substring not found');
    return i;
  },
  count: (s, [x]) => (String(x) === '' ? s.length + 1 : s.split(String(x)).length - 1),
  join: (s, [items]) =>
    (items as unknown[])
      .map((x) => {
        if (typeof x !== 'string') throw new Error(`sequence item: expected str instance, ${typeName(x)} found`);
        return x;
      })
      .join(s),
  format: (s, args, kw) => strFormat(s, args, kw),
  isdigit: (s) => /^[0-9]+$/.test(s),
  isnumeric: (s) => /^[0-9]+$/.test(s),
  isdecimal: (s) => /^[0-9]+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}0-9]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  center: (s, [w, f]) => {
    const width = Number(w);
    const fill = f === undefined ? ' ' : String(f);
    if (s.length >= width) return s;
    const total = width - s.length;
    const left = Math.floor(total / 2) + (total % 2 && width % 2 ? 1 : 0);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  ljust: (s, [w, f]) => s.padEnd(Number(w), f === undefined ? ' ' : String(f)),
  rjust: (s, [w, f]) => s.padStart(Number(w), f === undefined ? ' ' : String(f)),
  zfill: (s, [w]) => (s.startsWith('-') ? '-' + s.slice(1).padStart(Number(w) - 1, '0') : s.padStart(Number(w), '0')),
  partition: (s, [sep]) => {
    const i = s.indexOf(String(sep));
    return tuple(i < 0 ? [s, '', ''] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)]);
  },
};

const listMethods: Record<string, Method<unknown[]>> = {
  index: (l, [x]) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i < 0) throw new Error(`${pyStr(x)} is not in list`);
    return i;
  },
  count: (l, [x]) => l.filter((y) => pyEq(y, x)).length,
  append: (l, [x]) => (l.push(x), null),
  extend: (l, [x]) => (l.push(...(x as unknown[])), null),
  insert: (l, [i, x]) => (l.splice(Number(i), 0, x), null),
  pop: (l, [i]) => (i === undefined ? l.pop() : l.splice(Number(i), 1)[0]),
  remove: (l, [x]) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i < 0) throw new Error('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  copy: (l) => [...l],
};

const dictMethods: Record<string, Method<Record<string, unknown>>> = {
  items: (d) => Object.entries(d).map(([k, v]) => tuple([k, v])),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, [k, dflt]) => (Object.prototype.hasOwnProperty.call(d, String(k)) ? d[String(k)] : (dflt ?? null)),
  copy: (d) => ({ ...d }),
  update: (d, [o], kw) => (Object.assign(d, o ?? {}, kw), null),
  pop: (d, [k, dflt]) => {
    const key = String(k);
    if (!Object.prototype.hasOwnProperty.call(d, key)) {
      if (dflt === undefined) throw new Error(`KeyError: ${pyStr(k)}`);
      return dflt;
    }
    const v = d[key];
    delete d[key];
    return v;
  },
  setdefault: (d, [k, dflt]) => (Object.prototype.hasOwnProperty.call(d, String(k)) ? d[String(k)] : (d[String(k)] = dflt ?? null)),
};

function methodsOf(v: unknown): Record<string, Method<never>> | undefined {
  if (typeof v === 'string') return strMethods as Record<string, Method<never>>;
  if (Array.isArray(v)) return listMethods as Record<string, Method<never>>;
  if (isMapping(v)) return dictMethods as Record<string, Method<never>>;
  return undefined;
}

export function callMethod(target: unknown, name: string, args: unknown[], kw: Kwargs, path: () => string): unknown {
  const m = methodsOf(target)?.[name];
  if (!m) throw new Undef(path(), `'${objName(target)}' has no attribute '${name}'`).fail();
  return (m as Method<unknown>)(target, args, kw);
}

function objName(v: unknown): string {
  const t = typeName(v);
  return t === 'NoneType' ? 'NoneType' : `${t} object`;
}

/** Jinja getattr/getitem: mapping key, list/str index, or a method; else an Undef naming the path. */
export function getAttr(target: unknown, key: unknown, path: () => string): unknown {
  if (isMapping(target)) {
    const k = pyStr(key);
    if (Object.prototype.hasOwnProperty.call(target, k)) return target[k];
    const m = dictMethods[k];
    if (m) return ((args, kw) => m(target, args, kw)) as JFunction;
    return new Undef(path(), `'dict object' has no attribute '${k}'`);
  }
  if (Array.isArray(target) || typeof target === 'string') {
    if (isInt(key) || typeof key === 'boolean') {
      const i = Number(key) < 0 ? target.length + Number(key) : Number(key);
      if (i >= 0 && i < target.length) return target[i];
      return new Undef(path(), `${typeName(target)} object has no element ${pyStr(key)}`);
    }
    if (typeof key === 'string' && /^\d+$/.test(key) && Array.isArray(target)) return getAttr(target, Number(key), path);
    const m = (methodsOf(target) as Record<string, Method<unknown>>)[String(key)];
    if (m) return ((args, kw) => m(target, args, kw)) as JFunction;
    return new Undef(path(), `'${objName(target)}' has no attribute '${pyStr(key)}'`);
  }
  if (target !== null && typeof target === 'object' && typeof key === 'string' && key in target) {
    return (target as Record<string, unknown>)[key];
  }
  return new Undef(path(), `'${objName(target)}' has no attribute '${pyStr(key)}'`);
}

export { truthy };
