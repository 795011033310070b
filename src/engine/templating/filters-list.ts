/** List and dict filters (Jinja builtins and Ansible's): first/last/unique/sort/map/select/combine/zip... */
import { callArg, type EvalEnv, type FilterDef, type Kwargs } from './evaluate.js';
import { getAttr } from './methods.js';
import { isFloat, isMapping, isNumber, mkFloat, num, pyCompare, pyEq, pyStr, truthy, tuple } from './py.js';
import { isUndef, Undef } from './undefined.js';

type F = FilterDef['fn'];
const f = (fn: F): FilterDef => ({ fn });
const arg = callArg;

export function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  if (v === null || v === undefined) throw new Error(`'NoneType' object is not iterable`);
  throw new Error(`'${typeof v}' object is not iterable`);
}

/** Jinja's attribute lookup for map/selectattr/sort: "a.b" and "0" paths. */
function attrGetter(attr: unknown, dflt?: unknown): (x: unknown) => unknown {
  const parts = String(attr)
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (x) => {
    let v: unknown = x;
    for (const p of parts) {
      if (isUndef(v)) break;
      v = getAttr(v, p, () => String(attr));
    }
    if (isUndef(v)) {
      if (dflt !== undefined) return dflt;
      return v;
    }
    return v;
  };
}

function strictVal(v: unknown): unknown {
  if (isUndef(v)) v.fail();
  return v;
}

function sortKey(caseSensitive: boolean) {
  return (v: unknown) => (!caseSensitive && typeof v === 'string' ? v.toLowerCase() : v);
}

function applyTest(env: EvalEnv, name: string, value: unknown, args: unknown[]): boolean {
  const t = env.tests[name];
  if (!t) throw new Error(`no test named '${name}'`);
  if (isUndef(value) && !t.undefinedOk) value.fail();
  return t.fn(env, value, args, {});
}

function selectImpl(env: EvalEnv, seq: unknown, args: unknown[], want: boolean, byAttr: boolean): unknown[] {
  const list = toList(seq);
  let get = (x: unknown) => x;
  let rest = args;
  if (byAttr) {
    get = attrGetter(args[0]);
    rest = args.slice(1);
  }
  const [testName, ...testArgs] = rest;
  return list.filter((x) => {
    const v = get(x);
    const ok = testName === undefined ? truthy(strictVal(v)) : applyTest(env, String(testName), v, testArgs);
    return ok === want;
  });
}

function flatten(v: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of v) {
    if (Array.isArray(x) && (levels === null || levels > 0)) out.push(...flatten(x, levels === null ? null : levels - 1, skipNulls));
    else if (!(skipNulls && (x === null || x === 'None'))) out.push(x);
  }
  return out;
}

function combine(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (recursive && isMapping(cur) && isMapping(v)) out[k] = combine(cur, v, true, listMerge);
    else if (Array.isArray(cur) && Array.isArray(v) && listMerge !== 'replace') {
      if (listMerge === 'append') out[k] = [...cur, ...v];
      else if (listMerge === 'prepend') out[k] = [...v, ...cur];
      else if (listMerge === 'append_rp') out[k] = [...cur.filter((x) => !v.some((y) => pyEq(x, y))), ...v];
      else if (listMerge === 'prepend_rp') out[k] = [...v, ...cur.filter((x) => !v.some((y) => pyEq(x, y)))];
      else out[k] = v;
    } else out[k] = v;
  }
  return out;
}

function unique(l: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of l) if (!out.some((y) => pyEq(x, y))) out.push(x);
  return out;
}

function minmax(v: unknown, args: unknown[], kw: Kwargs, sign: 1 | -1): unknown {
  const l = toList(v);
  if (l.length === 0) return new Undef('min/max', 'No aggregated item, sequence was empty.');
  const key = kw.attribute !== undefined ? attrGetter(kw.attribute) : (x: unknown) => x;
  const ks = sortKey(truthy(kw.case_sensitive ?? false));
  return l.reduce((best, x) => (pyCompare(ks(key(x)), ks(key(best))) * sign < 0 ? x : best));
}

export const listFilters: Record<string, FilterDef> = {
  // community.general.counter: collections.Counter of the items, in the order they first appear
  counter: f((_e, v) => {
    if (typeof v !== 'string' && !Array.isArray(v)) throw new Error('Argument for community.general.counter must be a sequence (string or list)');
    const out: Record<string, number> = {};
    for (const x of typeof v === 'string' ? [...v] : v) {
      if (x !== null && typeof x === 'object') throw new Error(`community.general.counter needs hashable items, got ${typeof x}`);
      const k = pyStr(x);
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }),
  first: f((_e, v) => {
    const l = toList(v);
    return l.length ? l[0] : new Undef('first', 'No first item, sequence was empty.');
  }),
  last: f((_e, v) => {
    const l = toList(v);
    return l.length ? l[l.length - 1] : new Undef('last', 'No last item, sequence was empty.');
  }),
  list: f((_e, v) => [...toList(v)]),
  unique: f((_e, v) => unique(toList(v))),
  reverse: f((_e, v) => (typeof v === 'string' ? [...v].reverse().join('') : [...toList(v)].reverse())),
  sort: f((_e, v, args, kw) => {
    const reverse = truthy(arg({ args, kw }, 0, 'reverse', false));
    const ks = sortKey(truthy(arg({ args, kw }, 1, 'case_sensitive', false)));
    const attr = arg({ args, kw }, 2, 'attribute');
    const key = attr !== undefined && attr !== null ? attrGetter(attr) : (x: unknown) => x;
    const out = [...toList(v)].sort((a, b) => pyCompare(ks(strictVal(key(a))), ks(strictVal(key(b)))));
    return reverse ? out.reverse() : out;
  }),
  min: f((_e, v, args, kw) => minmax(v, args, kw, 1)),
  max: f((_e, v, args, kw) => minmax(v, args, kw, -1)),
  sum: f((_e, v, args, kw) => {
    const attr = arg({ args, kw }, 0, 'attribute');
    const key = attr !== undefined && attr !== null ? attrGetter(attr) : (x: unknown) => x;
    let acc: unknown = arg({ args, kw }, 1, 'start', 0);
    for (const x of toList(v)) {
      const y = strictVal(key(x));
      if (Array.isArray(acc) && Array.isArray(y)) acc = [...acc, ...y];
      else {
        const float = isFloat(acc) || isFloat(y);
        const s = num(acc) + num(y);
        acc = float ? mkFloat(s) : s;
      }
    }
    return acc;
  }),
  flatten: f((_e, v, args, kw) => {
    const levels = arg({ args, kw }, 0, 'levels', null);
    return flatten(toList(v), levels === null ? null : Number(levels), truthy(arg({ args, kw }, 1, 'skip_nulls', true)));
  }),
  join: f((_e, v, args, kw) => {
    const sep = pyStr(arg({ args, kw }, 0, 'd', ''));
    const attr = arg({ args, kw }, 1, 'attribute');
    const key = attr !== undefined && attr !== null ? attrGetter(attr) : (x: unknown) => x;
    return toList(v)
      .map((x) => pyStr(strictVal(key(x))))
      .join(sep);
  }),
  map: f((env, v, args, kw) => {
    const l = toList(v);
    if (kw.attribute !== undefined) {
      const get = attrGetter(kw.attribute, kw.default);
      return l.map(get);
    }
    const [name, ...rest] = args;
    if (name === undefined) return l;
    const def = env.filters[String(name)];
    if (!def) throw new Error(`no filter named '${String(name)}'`);
    const fkw = { ...kw };
    return l.map((x) => def.fn(env, x, rest, fkw));
  }),
  select: f((env, v, args) => selectImpl(env, v, args, true, false)),
  reject: f((env, v, args) => selectImpl(env, v, args, false, false)),
  selectattr: f((env, v, args) => selectImpl(env, v, args, true, true)),
  rejectattr: f((env, v, args) => selectImpl(env, v, args, false, true)),
  dict2items: f((_e, v, args, kw) => {
    if (!isMapping(v)) throw new Error(`dict2items requires a dictionary, got ${typeof v} instead.`);
    const kn = String(arg({ args, kw }, 0, 'key_name', 'key'));
    const vn = String(arg({ args, kw }, 1, 'value_name', 'value'));
    return Object.entries(v).map(([k, x]) => ({ [kn]: k, [vn]: x }));
  }),
  items2dict: f((_e, v, args, kw) => {
    const kn = String(arg({ args, kw }, 0, 'key_name', 'key'));
    const vn = String(arg({ args, kw }, 1, 'value_name', 'value'));
    const out: Record<string, unknown> = {};
    for (const it of toList(v)) {
      if (!isMapping(it)) throw new Error('items2dict requires a list of dictionaries');
      out[pyStr(it[kn])] = it[vn];
    }
    return out;
  }),
  dict: f((_e, v) =>
    Object.fromEntries(
      toList(v).map((p) => {
        const [k, x] = toList(p);
        return [pyStr(k), x];
      }),
    ),
  ),
  combine: f((_e, v, args, kw) => {
    const dicts = [...(Array.isArray(v) ? flatten(v, null, false) : [v]), ...args.flatMap((a) => (Array.isArray(a) ? a : [a]))];
    const recursive = truthy(kw.recursive ?? false);
    const listMerge = String(kw.list_merge ?? 'replace');
    return dicts.reduce((acc: Record<string, unknown>, d) => {
      if (!isMapping(d)) throw new Error(`failed to combine variables, expected dicts but got a '${typeof d}'`);
      return combine(acc, d, recursive, listMerge);
    }, {});
  }),
  zip: f((_e, v, args) => {
    const lists = [toList(v), ...args.map(toList)];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => l[i])));
  }),
  zip_longest: f((_e, v, args, kw) => {
    const lists = [toList(v), ...args.map(toList)];
    const n = Math.max(...lists.map((l) => l.length));
    const fill = kw.fillvalue ?? null;
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => (i < l.length ? l[i] : fill))));
  }),
  batch: f((_e, v, [size, fill]) => {
    const l = toList(v);
    const n = Number(size);
    const out: unknown[][] = [];
    for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
    if (fill !== undefined && out.length && out[out.length - 1]!.length < n) while (out[out.length - 1]!.length < n) out[out.length - 1]!.push(fill);
    return out;
  }),
  slice: f((_e, v, [slices, fill]) => {
    const l = toList(v);
    const n = Number(slices);
    const per = Math.floor(l.length / n);
    const extra = l.length % n;
    const out: unknown[][] = [];
    let off = 0;
    for (let i = 0; i < n; i++) {
      const size = per + (i < extra ? 1 : 0);
      const part = l.slice(off, off + size);
      off += size;
      if (fill !== undefined && i >= extra && extra > 0) part.push(fill);
      out.push(part);
    }
    return out;
  }),
  difference: f((_e, v, [o]) => unique(toList(v).filter((x) => !toList(o).some((y) => pyEq(x, y))))),
  intersect: f((_e, v, [o]) => unique(toList(v).filter((x) => toList(o).some((y) => pyEq(x, y))))),
  union: f((_e, v, [o]) => unique([...toList(v), ...toList(o)])),
  symmetric_difference: f((_e, v, [o]) => {
    const a = toList(v);
    const b = toList(o);
    return unique([...a.filter((x) => !b.some((y) => pyEq(x, y))), ...b.filter((x) => !a.some((y) => pyEq(x, y)))]);
  }),
  product: f((_e, v, args) => {
    let acc: unknown[][] = [[]];
    for (const l of [toList(v), ...args.map(toList)]) acc = acc.flatMap((p) => l.map((x) => [...p, x]));
    return acc.map((p) => tuple(p));
  }),
  dictsort: f((_e, v, args, kw) => {
    if (!isMapping(v)) throw new Error('dictsort requires a dict');
    const cs = truthy(arg({ args, kw }, 0, 'case_sensitive', false));
    const by = String(arg({ args, kw }, 1, 'by', 'key'));
    const reverse = truthy(arg({ args, kw }, 2, 'reverse', false));
    const ks = sortKey(cs);
    const out = Object.entries(v).sort((a, b) => pyCompare(ks(by === 'value' ? a[1] : a[0]), ks(by === 'value' ? b[1] : b[0])));
    if (reverse) out.reverse();
    return out.map((p) => tuple(p));
  }),
  groupby: f((_e, v, args, kw) => {
    const get = attrGetter(arg({ args, kw }, 0, 'attribute'), kw.default);
    const groups: [unknown, unknown[]][] = [];
    for (const x of toList(v)) {
      const k = strictVal(get(x));
      const g = groups.find(([gk]) => pyEq(gk, k));
      if (g) g[1].push(x);
      else groups.push([k, [x]]);
    }
    return groups.sort((a, b) => pyCompare(a[0], b[0])).map((g) => tuple(g));
  }),
  random: f((_e, v) => {
    if (isNumber(v)) return Math.floor(Math.random() * num(v));
    const l = toList(v);
    return l[Math.floor(Math.random() * l.length)];
  }),
  shuffle: f((_e, v) =>
    [...toList(v)]
      .map((x) => [Math.random(), x] as const)
      .sort((a, b) => a[0] - b[0])
      .map((p) => p[1]),
  ),
};
