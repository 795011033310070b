/** Jinja and Ansible tests (`x is defined`, `v is version('1.2', '>=')`, `s is match('re')`, ...). */
import type { Kwargs, TestDef } from './evaluate.js';
import { parseIp, inNet } from './filters-net.js';
import { isFloat, isInt, isMapping, isNumber, num, pyCompare, pyEq, pyIn, pyStr, truthy } from './py.js';
import { pyRegex } from './pyregex.js';
import { isUndef } from './undefined.js';
import { compareVersions } from './version.js';

type T = TestDef['fn'];
const t = (fn: T, undefinedOk = false): TestDef => ({ fn, undefinedOk });
const re = (mode: 'match' | 'search' | 'fullmatch') =>
  t((_e, v, [p], kw: Kwargs) => {
    const r = pyRegex(String(p), '', { ignorecase: truthy(kw.ignorecase), multiline: truthy(kw.multiline) });
    const s = pyStr(v);
    if (mode === 'search') return r.test(s);
    const m = new RegExp(`^(?:${r.source})${mode === 'fullmatch' ? '$' : ''}`, r.flags.replace('m', '') + (r.flags.includes('m') ? 'm' : '')).exec(s);
    return m !== null && m.index === 0;
  });

const cmp = (op: string) =>
  t((_e, a, [b]) => {
    switch (op) {
      case 'eq':
        return pyEq(a, b);
      case 'ne':
        return !pyEq(a, b);
      case 'lt':
        return pyCompare(a, b) < 0;
      case 'le':
        return pyCompare(a, b) <= 0;
      case 'gt':
        return pyCompare(a, b) > 0;
      default:
        return pyCompare(a, b) >= 0;
    }
  });

const version = t((_e, v, args, kw) => {
  const other = args[0] ?? kw.version;
  const op = String(args[1] ?? kw.operator ?? 'eq');
  const strict = truthy(args[2] ?? kw.strict ?? false);
  const type = String(args[3] ?? kw.version_type ?? (strict ? 'strict' : 'loose'));
  const c = compareVersions(pyStr(v), pyStr(other), type);
  switch (op) {
    case '==':
    case '=':
    case 'eq':
      return c === 0;
    case '!=':
    case '<>':
    case 'ne':
      return c !== 0;
    case '<':
    case 'lt':
      return c < 0;
    case '<=':
    case 'le':
      return c <= 0;
    case '>':
    case 'gt':
      return c > 0;
    case '>=':
    case 'ge':
      return c >= 0;
  }
  throw new Error(`Invalid operator type (${op})`);
});

/** Ansible's task-result tests (plugins/test/core.py): they take a registered result, nothing else. */
const result = (name: string, fn: (r: Record<string, unknown>) => unknown) =>
  t((_e, v) => {
    if (!isMapping(v)) throw new Error(`The '${name}' test expects a dictionary`);
    return truthy(fn(v as Record<string, unknown>));
  });
const failed = result('failed', (r) => r.failed ?? false);
const unreachable = result('unreachable', (r) => r.unreachable ?? false);
const changed = result('changed', (r) => {
  if ('changed' in r) return r.changed ?? false;
  // a loop's result: changed when one item changed
  const items = r.results;
  return Array.isArray(items) && isMapping(items[0]) && items.some((x) => isMapping(x) && truthy((x as Record<string, unknown>).changed ?? false));
});
const skipped = result('skipped', (r) => r.skipped ?? false);
// async results say 0/1; any other task counts as started and finished (Ansible warns, and says true)
const asyncFlag = (key: 'started' | 'finished') => result(key, (r) => (key in r ? num(r[key] ?? 0) === 1 : true));

export const tests: Record<string, TestDef> = {
  failed,
  failure: failed,
  succeeded: t((e, v, a, kw) => !failed.fn(e, v, a, kw)),
  success: t((e, v, a, kw) => !failed.fn(e, v, a, kw)),
  successful: t((e, v, a, kw) => !failed.fn(e, v, a, kw)),
  unreachable,
  reachable: t((e, v, a, kw) => !unreachable.fn(e, v, a, kw)),
  changed,
  change: changed,
  skipped,
  skip: skipped,
  finished: asyncFlag('finished'),
  started: asyncFlag('started'),
  defined: t((_e, v) => !isUndef(v), true),
  undefined: t((_e, v) => isUndef(v), true),
  none: t((_e, v) => v === null),
  string: t((_e, v) => typeof v === 'string'),
  number: t((_e, v) => isNumber(v)),
  integer: t((_e, v) => isInt(v)),
  float: t((_e, v) => isFloat(v)),
  boolean: t((_e, v) => typeof v === 'boolean'),
  true: t((_e, v) => v === true),
  false: t((_e, v) => v === false),
  mapping: t((_e, v) => isMapping(v)),
  iterable: t((_e, v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  sequence: t((_e, v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  callable: t((_e, v) => typeof v === 'function'),
  sameas: t((_e, v, [o]) => v === o || (v === null && o === null)),
  truthy: t((_e, v) => truthy(v)),
  falsy: t((_e, v) => !truthy(v)),
  version,
  version_compare: version,
  match: re('match'),
  search: re('search'),
  regex: t((_e, v, [p, ...rest], kw) => (String(kw.match_type ?? rest[3] ?? 'search') === 'match' ? re('match') : re('search')).fn(_e, v, [p], kw)),
  divisibleby: t((_e, v, [n]) => num(v) % num(n) === 0),
  even: t((_e, v) => num(v) % 2 === 0),
  odd: t((_e, v) => Math.abs(num(v) % 2) === 1),
  contains: t((_e, v, [x]) => pyIn(x, v)),
  in: t((_e, v, [x]) => pyIn(v, x)),
  subset: t((_e, v, [o]) => (v as unknown[]).every((x) => (o as unknown[]).some((y) => pyEq(x, y)))),
  superset: t((_e, v, [o]) => (o as unknown[]).every((x) => (v as unknown[]).some((y) => pyEq(x, y)))),
  lower: t((_e, v) => typeof v === 'string' && v === v.toLowerCase()),
  upper: t((_e, v) => typeof v === 'string' && v === v.toUpperCase()),
  equalto: cmp('eq'),
  eq: cmp('eq'),
  '==': cmp('eq'),
  ne: cmp('ne'),
  '!=': cmp('ne'),
  lt: cmp('lt'),
  '<': cmp('lt'),
  lessthan: cmp('lt'),
  le: cmp('le'),
  '<=': cmp('le'),
  gt: cmp('gt'),
  '>': cmp('gt'),
  greaterthan: cmp('gt'),
  ge: cmp('ge'),
  '>=': cmp('ge'),
  // ansible.utils
  ip: t((_e, v) => parseIp(v) !== null),
  ip_address: t((_e, v) => {
    const n = parseIp(v);
    return n !== null && !n.hasPrefix;
  }),
  ipv4: t((_e, v) => parseIp(v)?.v === 4),
  ipv6: t((_e, v) => parseIp(v)?.v === 6),
  ipv4_address: t((_e, v) => {
    const n = parseIp(v);
    return n?.v === 4 && !n.hasPrefix;
  }),
  in_network: t((_e, v, [net]) => {
    const a = parseIp(v);
    const n = parseIp(net);
    return !!a && !!n && inNet(a, n);
  }),
};
