/**
 * The lookup plugins behind the with_* loops that compute their items (sequence, together, indexed_items,
 * subelements), with ansible-core's semantics and error messages. Their errors carry no source position: as in
 * Ansible, the message is the failed task's `msg` as it is.
 */
import { TsplayError } from '../../errors.js';
import { parseKv } from '../../config/kv.js';
import { pyFormat } from './format.js';
import { isMapping, pyStr } from './py.js';

/** An error of a lookup plugin: the message only (Ansible's AnsibleError text), no position. */
export const lookupError = (msg: string): TsplayError => new TsplayError('playbook', msg);

/** listify_lookup_plugin_terms: a string or a non-iterable becomes a one-item list; lists and dicts stay. */
export const listify = (v: unknown): unknown => (Array.isArray(v) || isMapping(v) ? v : [v]);

/** LookupBase._flatten: one level of nested lists is spliced in (items only). */
function flatten(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const t of terms) {
    if (Array.isArray(t)) out.push(...flatten(t));
    else out.push(t);
  }
  return out;
}

/** Python's int(s, 0): decimal (no leading zeros), 0x / 0o / 0b prefixed, with an optional sign and underscores. */
function pyInt0(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '');
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0+|[1-9][0-9]*)$/.exec(t);
  if (!m) return undefined;
  const body = m[2]!;
  const n = /^0[xob]/i.test(body) ? parseInt(body.slice(2), { x: 16, o: 8, b: 2 }[body[1]!.toLowerCase() as 'x' | 'o' | 'b']) : parseInt(body, 10);
  return m[1] === '-' ? -n : n;
}

const NUM = '(0?x?[0-9a-f]+)';
const SHORTCUT = new RegExp(`^(${NUM}-)?${NUM}(/${NUM})?(:(.+))?$`, 'is');

/** ansible.builtin.sequence: each term is `[start-]end[/stride][:format]` or `start= end=|count= stride= format=`. */
export function sequenceLookup(terms: unknown[]): string[] {
  const results: string[] = [];
  for (const raw of terms) {
    const term = pyStr(raw);
    let start = 1;
    let end: number | undefined;
    let count: number | undefined;
    let stride = 1;
    let format = '%d';
    const int = (name: string, v: string): number => {
      const n = pyInt0(v);
      if (n === undefined) throw lookupError(`can't parse ${name}=${v} as integer`);
      return n;
    };
    const m = SHORTCUT.exec(term);
    if (m) {
      if (m[2] !== undefined) start = int('start', m[2]);
      end = int('end', m[3]!);
      if (m[5] !== undefined) stride = int('stride', m[5]);
      if (m[7] !== undefined) format = m[7];
    } else {
      let args: Record<string, string>;
      try {
        args = parseKv(term).args;
      } catch (e) {
        throw lookupError(`unknown error parsing with_sequence arguments: ${JSON.stringify(term)}. Error was: ${(e as Error).message}`);
      }
      for (const k of ['start', 'end', 'count', 'stride'] as const) {
        const v = args[k];
        delete args[k];
        if (v === undefined) continue;
        const n = int(k, v);
        if (k === 'start') start = n;
        else if (k === 'end') end = n;
        else if (k === 'count') count = n;
        else stride = n;
      }
      if ('format' in args) {
        format = args['format']!;
        delete args['format'];
      }
      const rest = Object.keys(args);
      if (rest.length) throw lookupError(`unrecognized arguments to with_sequence: [${rest.map((k) => `'${k}'`).join(', ')}]`);
    }
    if (count === undefined && end === undefined) throw lookupError('must specify count or end in with_sequence');
    if (count !== undefined && end !== undefined) throw lookupError("can't specify both count and end in with_sequence");
    if (count !== undefined) {
      if (count !== 0) end = start + count * stride - 1;
      else [start, end, stride] = [0, 0, 0];
    }
    const last = end!;
    if (stride > 0 && last < start) throw lookupError('to count backwards make stride negative');
    if (stride < 0 && last > start) throw lookupError("to count forward don't make stride negative");
    if ((format.match(/%/g) ?? []).length !== 1) throw lookupError(`bad formatting string: ${format}`);
    if (stride === 0) continue;
    // range(start, end + adjust, stride)
    const stop = last + (stride > 0 ? 1 : -1);
    for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) {
      try {
        results.push(pyFormat(format, [i]));
      } catch {
        throw lookupError(`problem formatting ${i} with '${format}'`);
      }
      if (results.length > 1_000_000) throw lookupError('unknown error generating sequence: too many items');
    }
  }
  return results;
}

/** ansible.builtin.together: the lists transposed, the shorter ones padded with None. */
export function togetherLookup(terms: unknown[]): unknown[] {
  const lists = terms.map((x) => {
    const l = listify(x);
    return Array.isArray(l) ? l : Object.keys(l as Record<string, unknown>);
  });
  if (lists.length === 0) throw lookupError('with_together requires at least one element in each list');
  const n = Math.max(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => flatten(lists.map((l) => (i < l.length ? l[i] : null))));
}

/** ansible.builtin.indexed_items: [index, item] over the flattened list. */
export function indexedItemsLookup(terms: unknown): unknown[] {
  if (!Array.isArray(terms)) throw lookupError('with_indexed_items expects a list');
  return flatten(terms).map((x, i) => [i, x]);
}

/** ansible.builtin.subelements: [element, subitem] for each item of the (nested, dotted) subkey's list. */
export function subelementsLookup(terms: unknown): unknown[] {
  const termsError = (msg = '') => lookupError('subelements lookup expects a list of two or three items, ' + msg);
  if (!Array.isArray(terms) || terms.length < 2 || terms.length > 3) throw termsError();
  const first = listify(terms[0]);
  if (typeof terms[1] !== 'string') throw termsError('first a dict or a list, second a string pointing to the subkey');
  const subkeys = terms[1].split('.');
  let elements: unknown[];
  if (isMapping(first)) {
    if (first['skipped'] !== undefined && first['skipped'] !== false) return [];
    elements = Object.values(first);
  } else elements = first as unknown[];
  const flags = terms.length === 3 ? terms[2] : {};
  if (!isMapping(flags)) throw termsError('the optional third item must be a dict with flags skip_missing');
  const skipMissing = ['true', 'yes', 'on', '1', 'y', 't'].includes(pyStr(flags['skip_missing'] ?? false).toLowerCase());
  const out: unknown[] = [];
  for (const el of elements) {
    if (!isMapping(el)) throw lookupError(`subelements lookup expects a dictionary, got '${pyStr(el)}'`);
    if (el['skipped'] !== undefined && el['skipped'] !== false) continue;
    // the element as Ansible yields it: the last subkey popped (copied here, the variable stays as it is)
    const item0: Record<string, unknown> = { ...el };
    let parent = item0;
    let sublist: unknown[] = [];
    for (let i = 0; i < subkeys.length; i++) {
      const k = subkeys[i]!;
      const last = i === subkeys.length - 1;
      if (!(k in parent)) {
        if (skipMissing) break;
        throw lookupError(`could not find '${k}' key in iterated item '${pyStr(parent)}'`);
      }
      const v = parent[k];
      if (!last) {
        if (!isMapping(v)) {
          if (skipMissing) break;
          throw lookupError(`the key ${k} should point to a dictionary, got '${pyStr(v)}'`);
        }
        parent = parent[k] = { ...v };
      } else {
        if (!Array.isArray(v)) throw lookupError(`the key ${k} should point to a list, got '${pyStr(v)}'`);
        sublist = v;
        delete parent[k];
      }
    }
    for (const sub of sublist) out.push([item0, sub]);
  }
  return out;
}
