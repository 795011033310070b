/** Loop items for loop: and the with_* forms, as Ansible computes them. */
import { TsplayError, type SourcePos } from '../errors.js';
import type { LoopKind } from '../config/playbook-types.js';
import { pyStr } from './templating/index.js';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `lookup` runs a lookup plugin (with_first_found, with_fileglob, with_lines go through one). */
export function loopItems(kind: LoopKind, value: unknown, source?: SourcePos, lookup?: (name: string, terms: unknown) => unknown[]): unknown[] {
  const bad = (msg: string) => new TsplayError('playbook', msg, { source });
  switch (kind) {
    case 'first_found':
    case 'fileglob':
    case 'lines':
      if (!lookup) throw bad(`with_${kind} needs the lookup plugin`);
      return lookup(kind, value);
    case 'loop':
      if (value == null) return [];
      if (!Array.isArray(value))
        throw bad(`Invalid data passed to 'loop', it requires a list, got this instead: ${JSON.stringify(value)}. Hint: use dict2items for a dict`);
      return value;
    case 'list':
      return value == null ? [] : Array.isArray(value) ? value : [value];
    case 'items':
    case 'flattened': {
      const arr = value == null ? [] : Array.isArray(value) ? value : [value];
      const out: unknown[] = [];
      const flat = (a: unknown[], depth: number) => {
        for (const x of a)
          if (Array.isArray(x) && depth > 0) flat(x, kind === 'flattened' ? Infinity : depth - 1);
          else out.push(x);
      };
      flat(arr, 1);
      return out;
    }
    case 'dict':
      if (!isObj(value)) throw bad(`with_dict expects a dict, got ${JSON.stringify(value)}`);
      return Object.entries(value).map(([key, v]) => ({ key, value: v }));
    case 'indexed_items':
      return (Array.isArray(value) ? value.flat(1) : [value]).map((x, i) => [i, x]);
    case 'together': {
      const lists = (Array.isArray(value) ? value : [value]).map((l) => (Array.isArray(l) ? l : [l]));
      const n = Math.max(0, ...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
    }
    case 'nested': {
      const lists = (Array.isArray(value) ? value : [value]).map((l) => (Array.isArray(l) ? l : [l]));
      return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
    }
    case 'sequence':
      return sequence(String(value), bad);
    case 'subelements': {
      if (!Array.isArray(value) || value.length < 2) throw bad('with_subelements expects [list, "subkey"]');
      const [list, key] = value as [unknown[], string];
      // each item is [the element without the subkey, one value of the subkey] (as Ansible's subelements lookup)
      return (list ?? []).flatMap((el) => {
        if (!isObj(el)) return [];
        const { [key]: subs, ...rest } = el;
        if (subs == null) return [];
        if (!Array.isArray(subs)) throw bad(`the key '${key}' should point to a list, got ${JSON.stringify(subs)}`);
        return subs.map((sub) => [rest, sub]);
      });
    }
  }
}

function sequence(spec: string, bad: (m: string) => Error): string[] {
  const kv: Record<string, string> = {};
  let m: RegExpMatchArray | null;
  // the shortcut form [start-]end[/stride][:format]
  if ((m = /^\s*(?:(-?\d+)-)?(-?\d+)(?:\/(\d+))?(?::(.+))?\s*$/.exec(spec))) {
    if (m[1] !== undefined) kv['start'] = m[1];
    kv['end'] = m[2]!;
    if (m[3]) kv['stride'] = m[3];
    if (m[4]) kv['format'] = m[4];
  } else
    for (const tok of spec.split(/\s+/).filter(Boolean)) {
      const [k, ...v] = tok.split('=');
      kv[k!] = v.join('=');
    }
  const start = parseInt(kv['start'] ?? '1', 10);
  const stride = parseInt(kv['stride'] ?? '1', 10) || 1;
  const end = kv['end'] !== undefined ? parseInt(kv['end'], 10) : kv['count'] !== undefined ? start + (parseInt(kv['count'], 10) - 1) * stride : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) throw bad(`with_sequence: bad spec '${spec}'`);
  const fmt = kv['format'] ?? '%d';
  const out: string[] = [];
  for (let i = start; stride > 0 ? i <= end : i >= end; i += stride) {
    out.push(
      fmt.replace(/%(0?)(\d*)([dxXo])/, (_, z: string, w: string, t: string) => {
        const s = t === 'd' ? String(i) : t === 'o' ? i.toString(8) : t === 'x' ? i.toString(16) : i.toString(16).toUpperCase();
        return w ? s.padStart(parseInt(w, 10), z ? '0' : ' ') : s;
      }),
    );
    if (out.length > 100000) throw bad('with_sequence: too many items');
  }
  return out;
}

/** An item's label as Ansible prints it: Python's str() of the item (loop_control.label overrides). */
export function itemLabel(item: unknown): string {
  if (typeof item === 'string') return item;
  return pyStr(item);
}
