/**
 * INI inventories, parsed like Ansible's plugins/inventory/ini.py:
 *   host lines before any section go to `ungrouped`; `[g]` hosts, `[g:vars]` key=value, `[g:children]`;
 *   host lines are shlex-split (`host[:port] key=value ...`, `#` comments), values read as Python literals;
 *   `[g:vars]` needs g declared by `[g]` or `[g:children]` somewhere in the file, and every child named in
 *   `[p:children]` must be declared too.
 */
import { TsplayError } from '../../errors.js';
import { InventoryRuleError, type InventoryData } from './model.js';
import { parseIniValue } from './py-literal.js';
import { expandHostPattern, HostRangeError } from './ranges.js';
import { shlexSplit } from '../../../lib/shell/shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

export function parseIniInventory(text: string, file: string, inv: InventoryData): void {
  const err = (line: number, msg: string): TsplayError => new TsplayError('inventory', msg, { source: { file, line, col: 1 } });
  const wrap = (line: number, f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (e instanceof InventoryRuleError || e instanceof HostRangeError) throw err(line, e.message);
      throw e;
    }
  };

  const pending = new Map<string, Pending>();
  const addPendingChildren = (group: string): void => {
    const p = pending.get(group)!;
    for (const parent of p.parents) {
      inv.addChild(parent, group);
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  let group = 'ungrouped';
  let state = 'hosts';
  const lines = text.split(/\r\n|\n|\r/);
  for (let n = 1; n <= lines.length; n++) {
    const line = lines[n - 1]!.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;

    const m = SECTION.exec(line);
    if (m) {
      group = m[1]!;
      state = m[2] ?? 'hosts';
      if (state !== 'hosts' && state !== 'children' && state !== 'vars') {
        throw err(n, `Section [${m[1]}:${m[2]}] has unknown type: ${state}`);
      }
      const g = group;
      if (!inv.groups.has(g)) {
        if (state === 'vars' && !pending.has(g)) pending.set(g, { line: n, state: 'vars', parents: [] });
        wrap(n, () => inv.addGroup(g));
      }
      const p = pending.get(g);
      if (p && state !== 'vars') {
        if (p.state === 'children') wrap(n, () => addPendingChildren(g));
        else pending.delete(g);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw err(
        n,
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
      );
    }

    if (state === 'hosts') {
      parseHostLine(line, n, group);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw err(n, `Expected key=value, got: ${line}`);
      const key = line.slice(0, eq).trim();
      const value = parseIniValue(line.slice(eq + 1).trim());
      const g = group;
      wrap(n, () => inv.setGroupVar(g, key, value));
    } else {
      const cm = GROUP_NAME.exec(line);
      if (!cm) throw err(n, `Expected group name, got: ${line}`);
      const child = cm[1]!;
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: n, state: 'children', parents: [group] });
        else p.parents.push(group);
      } else {
        const g = group;
        wrap(n, () => inv.addChild(g, child));
      }
    }
  }

  for (const [name, p] of pending) {
    if (p.state === 'vars') throw err(p.line, `Section [${name}:vars] not valid for undefined group: ${name}`);
    throw err(p.line, `Section [${p.parents[p.parents.length - 1]}:children] includes undefined group: ${name}`);
  }

  function parseHostLine(line: string, n: number, group: string): void {
    let tokens: string[];
    try {
      tokens = shlexSplit(line, { comments: true });
    } catch (e) {
      throw err(n, `Error parsing host definition '${line}': ${(e as Error).message}`);
    }
    const entry = tokens[0] ?? '';
    let hosts: string[] = [];
    let port: number | undefined;
    wrap(n, () => ({ hosts, port } = expandHostPattern(entry)));
    if (entry.trim().endsWith(':') && port === undefined) {
      throw err(n, `Invalid host pattern '${entry}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`);
    }
    if (hosts.some((h) => h.trim() === '---')) {
      throw err(n, `Invalid host pattern '${entry}' supplied, '---' is normally a sign this is a YAML file.`);
    }
    const vars: [string, unknown][] = [];
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq < 0) throw err(n, `Expected key=value host variable assignment, got: ${t}`);
      vars.push([t.slice(0, eq), parseIniValue(t.slice(eq + 1))]);
    }
    wrap(n, () => {
      for (const h of hosts) {
        inv.addHost(h, group, port, file);
        for (const [k, v] of vars) inv.setHostVar(h, k, v);
      }
    });
  }
}
