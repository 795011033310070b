/**
 * ansible-inventory's output shapes (cli/inventory.py): --list as inventory-script JSON
 * (groups with hosts/children, `_meta.hostvars`), --list --yaml as a YAML inventory, --graph as a tree,
 * --host as the host's variables. JSON is written like Python's json.dumps(sort_keys=True, indent=4).
 */
import { Document, Scalar } from 'yaml';
import { EncryptedString, UnsafeString } from '../yaml.js';
import type { Inventory } from './inventory.js';

type Obj = Record<string, unknown>;

/** --list: { group: {hosts, children}, ..., _meta: {hostvars} }; `available` limits the hosts shown. */
export function listJson(inv: Inventory, available: string[]): Obj {
  const avail = new Set(available);
  const seen = new Set<string>();
  const results: Obj = {};
  const format = (name: string): void => {
    const m = inv.groupMembers(name);
    const entry: Obj = {};
    if (name !== 'all') {
      const hosts = m.hosts.filter((h) => avail.has(h));
      if (hosts.length) entry['hosts'] = hosts;
    }
    if (m.children.length) entry['children'] = m.children;
    if (Object.keys(entry).length) results[name] = entry;
    for (const c of m.children) {
      if (seen.has(c)) continue;
      seen.add(c);
      format(c);
    }
  };
  format('all');
  const hostvars: Obj = {};
  for (const h of available) {
    const v = inv.hostVars(h);
    if (Object.keys(v).length) hostvars[h] = v;
  }
  results['_meta'] = { hostvars };
  return results;
}

/**
 * --list --yaml: the inventory as a YAML inventory document (each host's vars written once).
 * Empty groups stay as `{}` (ansible-core 2.14); with a limit they are dropped, as the
 * ansible-core versions that accept --limit do.
 */
export function listYamlData(inv: Inventory, available: string[], limited = false): Obj {
  const avail = new Set(available);
  const seenHosts = new Set<string>();
  const seenGroups = new Set<string>();
  const format = (name: string): Obj => {
    const m = inv.groupMembers(name);
    const entry: Obj = {};
    const children: Obj = {};
    for (const c of m.children) {
      if (c === 'all') continue;
      if (seenGroups.has(c)) children[c] = {};
      else {
        Object.assign(children, format(c));
        seenGroups.add(c);
      }
    }
    if (Object.keys(children).length) entry['children'] = children;
    if (name !== 'all') {
      const hosts: Obj = {};
      for (const h of m.hosts) {
        if (!avail.has(h)) continue;
        hosts[h] = seenHosts.has(h) ? {} : inv.hostVars(h);
        seenHosts.add(h);
      }
      if (Object.keys(hosts).length) entry['hosts'] = hosts;
    }
    return Object.keys(entry).length || !limited ? { [name]: entry } : {};
  };
  return format('all');
}

/** --graph [group]: the group tree, hosts under their groups. */
export function graph(inv: Inventory, start = 'all'): string {
  const lines: string[] = [];
  const name = (n: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + n : n);
  // depth first, children before the group's own hosts; an explicit stack (group chains can be thousands deep)
  const stack: ({ group: string } | { line: string })[] = [{ group: start }];
  const depthOf = new Map<object, number>([[stack[0]!, 0]]);
  while (stack.length) {
    const item = stack.pop()!;
    const depth = depthOf.get(item)!;
    if ('line' in item) {
      lines.push(name(item.line, depth));
      continue;
    }
    const g = item.group;
    lines.push(name(`@${g}:`, depth));
    const m = inv.groupMembers(g);
    const next: ({ group: string } | { line: string })[] = [
      ...m.children.map((c) => ({ group: c })),
      ...(g !== 'all' ? m.hosts.map((h) => ({ line: h })) : []),
    ];
    for (let i = next.length - 1; i >= 0; i--) {
      depthOf.set(next[i]!, depth + 1);
      stack.push(next[i]!);
    }
  }
  return lines.join('\n');
}

/** Plain JSON-able copy with keys sorted at every level; vault values as Ansible writes them. */
export function sortedPlain(v: unknown): unknown {
  if (v instanceof EncryptedString) return { __ansible_vault: v.ciphertext };
  if (v instanceof UnsafeString) return v.value;
  if (Array.isArray(v)) return v.map(sortedPlain);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    // defineProperty: a variable named __proto__ is data to print, not the copy's prototype
    for (const k of Object.keys(v).sort())
      Object.defineProperty(out, k, { value: sortedPlain((v as Obj)[k]), writable: true, enumerable: true, configurable: true });
    return out;
  }
  return v === undefined ? null : v;
}

/** json.dumps(stuff, sort_keys=True, indent=4) */
export function dumpJson(v: unknown): string {
  return JSON.stringify(sortedPlain(v), null, 4);
}

/** yaml.dump(stuff, default_flow_style=False) as ansible-inventory writes it (vault values tagged !vault). */
export function dumpYaml(v: unknown): string {
  const tagVault = (x: unknown): unknown => {
    if (x instanceof EncryptedString) {
      const s = new Scalar(x.ciphertext);
      s.tag = '!vault';
      s.type = Scalar.BLOCK_LITERAL;
      return s;
    }
    if (x instanceof UnsafeString) return x.value;
    if (Array.isArray(x)) return x.map(tagVault);
    if (x !== null && typeof x === 'object') {
      const out: Obj = {};
      for (const k of Object.keys(x).sort()) out[k] = tagVault((x as Obj)[k]);
      return out;
    }
    return x;
  };
  const doc = new Document(tagVault(v), { aliasDuplicateObjects: false });
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}
