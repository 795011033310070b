/** String, regex, path, encoding and serialization filters. */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseYaml } from '../../config/yaml.js';
import { callArg, type FilterDef, type Kwargs } from './evaluate.js';
import { pyFormat } from './format.js';
import { isFloat, isMapping, num, PyFloat, pyStr, truthy, tuple } from './py.js';
import { pyYamlDump as pyYaml } from './yaml-dump.js';
import { pyRegex, pyReplacement } from './pyregex.js';
import { OMIT } from './undefined.js';
import { shq } from '../../../lib/shell/quote.js';

type F = FilterDef['fn'];
const f = (fn: F): FilterDef => ({ fn });
const arg = callArg;

/** json.dumps with Python's defaults (", " / ": ", ensure_ascii, floats as 1.0). */
export function pyJson(v: unknown, opts: { indent?: number; sortKeys?: boolean; ensureAscii?: boolean } = {}, level = 0): string {
  const { indent, sortKeys = false, ensureAscii = true } = opts;
  const nl = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1));
  const end = indent === undefined ? '' : '\n' + ' '.repeat(indent * level);
  const sep = indent === undefined ? ', ' : ',';
  if (v === null || v === undefined || v === OMIT) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat || typeof v === 'number') {
    const n = num(v);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return isFloat(v) ? pyStr(v) : String(n);
  }
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return ensureAscii ? s.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : s;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + nl + v.map((x) => pyJson(x, opts, level + 1)).join(sep + nl) + end + ']';
  }
  if (typeof v === 'object') {
    let entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    if (sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + nl + entries.map(([k, x]) => pyJson(k, opts) + ': ' + pyJson(x, opts, level + 1)).join(sep + nl) + end + '}';
  }
  return JSON.stringify(String(v));
}

function regexSearch(s: string, pattern: string, groups: unknown[], kw: Kwargs): unknown {
  const re = pyRegex(pattern, '', { ignorecase: truthy(kw.ignorecase), multiline: truthy(kw.multiline) });
  const m = re.exec(s);
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    const gs = String(g);
    const mm = /^\\(\d+)$/.exec(gs) ?? /^\\g<(\w+)>$/.exec(gs);
    if (!mm) throw new Error(`Unknown argument ${gs}`);
    return /^\d+$/.test(mm[1]!) ? m[Number(mm[1])] : m.groups?.[mm[1]!];
  });
}

function wordwrap(s: string, width: number, breakLong: boolean, wrapstring: string): string {
  const out: string[] = [];
  for (const para of s.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      let w = word;
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ' ' + w;
      else {
        out.push(line);
        line = w;
      }
      while (breakLong && line.length > width) {
        out.push(line.slice(0, width));
        line = line.slice(width);
        w = line;
      }
    }
    out.push(line);
  }
  return out.join(wrapstring);
}

export const stringFilters: Record<string, FilterDef> = {
  replace: f((_e, v, [a, b, n]) => {
    const s = pyStr(v);
    let count = n === undefined || n === null ? Infinity : Number(n);
    return s.split(pyStr(a)).reduce((acc, part, i) => (i === 0 ? part : acc + (count-- > 0 ? pyStr(b) : pyStr(a)) + part), '');
  }),
  regex_replace: f((_e, v, args, kw) => {
    const re = pyRegex(String(arg({ args, kw }, 0, 'pattern', '')), 'g', {
      ignorecase: truthy(arg({ args, kw }, 2, 'ignorecase', false)),
      multiline: truthy(arg({ args, kw }, 3, 'multiline', false)),
    });
    const count = Number(arg({ args, kw }, 4, 'count', 0));
    const repl = pyReplacement(String(arg({ args, kw }, 1, 'replacement', '')));
    let n = 0;
    return pyStr(v).replace(re, (...m) => (count && n++ >= count ? (m[0] as string) : repl(...(m as [string, ...unknown[]]))));
  }),
  regex_search: f((_e, v, [pattern, ...groups], kw) => regexSearch(pyStr(v), String(pattern), groups, kw)),
  regex_findall: f((_e, v, args, kw) => {
    const re = pyRegex(String(arg({ args, kw }, 0, 'regex', '')), 'g', {
      ignorecase: truthy(arg({ args, kw }, 1, 'ignorecase', false)),
      multiline: truthy(arg({ args, kw }, 2, 'multiline', false)),
    });
    return [...pyStr(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : tuple(m.slice(1).map((x) => x ?? ''))));
  }),
  regex_escape: f((_e, v) => pyStr(v).replace(/[^A-Za-z0-9_]/g, '\\$&')),
  split: f((_e, v, [sep, max]) => {
    const s = pyStr(v);
    if (sep === undefined || sep === null) return s.trim().split(/\s+/).filter(Boolean);
    const parts = s.split(String(sep));
    if (max === undefined || Number(max) < 0 || parts.length - 1 <= Number(max)) return parts;
    return [...parts.slice(0, Number(max)), parts.slice(Number(max)).join(String(sep))];
  }),
  basename: f((_e, v) => {
    const s = pyStr(v);
    return s.endsWith('/') ? '' : posix.basename(s);
  }),
  dirname: f((_e, v) => {
    const s = pyStr(v);
    const i = s.lastIndexOf('/');
    return i < 0 ? '' : i === 0 ? '/' : s.slice(0, i).replace(/\/+$/, '') || '/';
  }),
  splitext: f((_e, v) => {
    const s = pyStr(v);
    const e = posix.extname(s);
    return tuple([s.slice(0, s.length - e.length), e]);
  }),
  path_join: f((_e, v) => posix.join(...(Array.isArray(v) ? v.map(pyStr) : [pyStr(v)]))),
  expanduser: f((_e, v) => pyStr(v).replace(/^~(?=\/|$)/, process.env.HOME ?? '~')),
  b64encode: f((_e, v) => Buffer.from(pyStr(v), 'utf8').toString('base64')),
  b64decode: f((_e, v) => Buffer.from(pyStr(v), 'base64').toString('utf8')),
  // Ansible's quote filter is Python's shlex.quote, which lib/shell/quote.ts's shq is
  quote: f((_e, v) => shq(v === null ? '' : pyStr(v))),
  to_json: f((_e, v, _a, kw) =>
    pyJson(v, {
      indent: kw.indent === undefined ? undefined : Number(kw.indent),
      sortKeys: truthy(kw.sort_keys ?? false),
      ensureAscii: truthy(kw.ensure_ascii ?? true),
    }),
  ),
  to_nice_json: f((_e, v, args, kw) =>
    pyJson(v, { indent: Number(arg({ args, kw }, 0, 'indent', 4)), sortKeys: truthy(kw.sort_keys ?? true), ensureAscii: truthy(kw.ensure_ascii ?? true) }),
  ),
  to_yaml: f((_e, v, _a, kw) => pyYaml(v, { indent: kw.indent === undefined ? undefined : Number(kw.indent) })),
  to_nice_yaml: f((_e, v, args, kw) => pyYaml(v, { indent: Number(arg({ args, kw }, 0, 'indent', 4)), nice: true })),
  from_json: f((_e, v) => JSON.parse(pyStr(v))),
  from_yaml: f((_e, v) => (typeof v === 'string' ? parseYaml(v, '<from_yaml>') : v)),
  hash: f((_e, v, [algo]) =>
    createHash(String(algo ?? 'sha1'))
      .update(pyStr(v))
      .digest('hex'),
  ),
  md5: f((_e, v) => createHash('md5').update(pyStr(v)).digest('hex')),
  sha1: f((_e, v) => createHash('sha1').update(pyStr(v)).digest('hex')),
  checksum: f((_e, v) => createHash('sha1').update(pyStr(v)).digest('hex')),
  format: f((_e, v, args, kw) => pyFormat(pyStr(v), Object.keys(kw).length ? [kw] : args)),
  indent: f((_e, v, args, kw) => {
    const w = arg({ args, kw }, 0, 'width', 4);
    const pad = typeof w === 'string' ? w : ' '.repeat(Number(w));
    const first = truthy(arg({ args, kw }, 1, 'first', false));
    const blank = truthy(arg({ args, kw }, 2, 'blank', false));
    const s = pyStr(v);
    const lines = s.split('\n');
    return lines.map((l, i) => ((i === 0 && !first) || (!blank && l.trim() === '') ? l : pad + l)).join('\n');
  }),
  center: f((_e, v, [w]) => {
    const s = pyStr(v);
    const width = Number(w ?? 80);
    if (s.length >= width) return s;
    const total = width - s.length;
    const left = Math.floor(total / 2) + (total % 2 && width % 2 ? 1 : 0);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  }),
  wordcount: f((_e, v) => (pyStr(v).match(/\w+/g) ?? []).length),
  truncate: f((_e, v, args, kw) => {
    const s = pyStr(v);
    const len = Number(arg({ args, kw }, 0, 'length', 255));
    const killwords = truthy(arg({ args, kw }, 1, 'killwords', false));
    const end = String(arg({ args, kw }, 2, 'end', '...'));
    const leeway = Number(arg({ args, kw }, 3, 'leeway', 5));
    if (s.length <= len + leeway) return s;
    if (killwords) return s.slice(0, len - end.length) + end;
    const cut = s.slice(0, len - end.length);
    return cut.replace(/\s*\S*$/, '') + end;
  }),
  wordwrap: f((_e, v, args, kw) =>
    wordwrap(
      pyStr(v),
      Number(arg({ args, kw }, 0, 'width', 79)),
      truthy(arg({ args, kw }, 1, 'break_long_words', true)),
      String(arg({ args, kw }, 2, 'wrapstring', '\n')),
    ),
  ),
  escape: f((_e, v) => pyStr(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;')),
  urlencode: f((_e, v) =>
    isMapping(v)
      ? Object.entries(v)
          .map(([k, x]) => `${encodeURIComponent(k)}=${encodeURIComponent(pyStr(x))}`)
          .join('&')
      : encodeURIComponent(pyStr(v)).replace(/%2F/g, '/'),
  ),
  safe: f((_e, v) => v),
  comment: f((_e, v) => `#\n# ${pyStr(v).split('\n').join('\n# ')}\n#`),
};
stringFilters.e = stringFilters.escape!;
