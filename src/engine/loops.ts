/** Loop items for loop: and the with_* forms, as Ansible computes them. */
import { TsplayError, type SourcePos } from '../errors.js';
import type { LoopKind } from '../config/playbook-types.js';
import { pyStr, unwrapUnsafe } from './templating/index.js';
import { indexedItemsLookup, listify, lookupError, sequenceLookup, subelementsLookup, togetherLookup } from './templating/lookups-loops.js';

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
      if (isObj(value)) throw lookupError('with_list expects a list');
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
      // a dict, or a list of them (ansible-core's dict lookup)
      return (Array.isArray(value) ? value : [value]).flatMap((d) => {
        if (!isObj(d)) throw lookupError('with_dict expects a dict');
        return Object.entries(d).map(([key, v]) => ({ key, value: v }));
      });
    case 'indexed_items':
      return indexedItemsLookup(listify(value));
    case 'together':
      return togetherLookup(listify(value) as unknown[]);
    case 'nested': {
      const lists = (Array.isArray(value) ? value : [value]).map((l) => (Array.isArray(l) ? l : [l]));
      return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
    }
    case 'sequence':
      return sequenceLookup(listify(value) as unknown[]);
    case 'subelements':
      return subelementsLookup(value);
  }
}

/** An item's label as Ansible prints it: Python's str() of the item (loop_control.label overrides). */
export function itemLabel(item: unknown): string {
  item = unwrapUnsafe(item);
  if (typeof item === 'string') return item;
  return pyStr(item);
}
