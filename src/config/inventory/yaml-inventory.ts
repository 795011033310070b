/**
 * YAML inventories, parsed like Ansible's plugins/inventory/yaml.py: top-level keys are groups
 * (usually `all`), each with optional `hosts`, `vars` and `children` mappings, nested to any depth.
 * A string where a mapping is expected is a one-key mapping (`hosts: web1`); null means empty.
 */
import { TsplayError, type SourcePos } from '../../errors.js';
import { posOf, posOfKey } from '../yaml.js';
import { InventoryRuleError, type InventoryData } from './model.js';
import { expandHostPattern, HostRangeError } from './ranges.js';

type Obj = Record<string, unknown>;

const isMapping = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'boolean' ? 'bool' : 'str';
}

/** Does this parsed YAML document look like a YAML inventory (or plugin config): a non-empty mapping? */
export function isYamlInventory(data: unknown): boolean {
  return isMapping(data) && Object.keys(data).length > 0;
}

export function parseYamlInventory(data: unknown, file: string, inv: InventoryData): void {
  const at = (obj: object | undefined, key?: string, keyPos = false): SourcePos => {
    const p = obj ? (keyPos && key !== undefined ? posOfKey(obj, key) : posOf(obj, key)) : undefined;
    return p ?? { file, line: 1, col: 1 };
  };
  const err = (msg: string, pos: SourcePos): TsplayError => new TsplayError('inventory', msg, { source: pos });
  const rule = <T>(pos: SourcePos, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InventoryRuleError || e instanceof HostRangeError) throw err(e.message, pos);
      throw e;
    }
  };

  if (data === null || data === undefined || (isMapping(data) && Object.keys(data).length === 0)) {
    throw err('Parsed empty YAML file', at(undefined));
  }
  if (!isMapping(data)) {
    throw err(`YAML inventory has invalid structure, it should be a dictionary, got: ${typeName(data)}`, at(data as object));
  }
  if (data['plugin']) {
    throw err(
      `inventory plugin configuration (plugin: ${String(data['plugin'])}) is not supported; only static YAML/INI inventories are`,
      at(data, 'plugin', true),
    );
  }

  const parseGroup = (name: string, groupData: unknown, namePos: SourcePos): string => {
    if (!(groupData === null || isMapping(groupData))) {
      inv.warn(`${fmt(namePos)}: Skipping '${name}' as this is not a valid group definition`);
      return name;
    }
    rule(namePos, () => inv.addGroup(name));
    if (groupData === null) return name;

    const section = (key: 'vars' | 'children' | 'hosts'): Obj | null | undefined => {
      if (!(key in groupData)) return undefined;
      const v = groupData[key];
      if (typeof v === 'string') return { [v]: null };
      if (v === null || isMapping(v)) return v;
      throw err(`Invalid "${key}" entry for "${name}" group, requires a dictionary, found "${typeName(v)}" instead.`, at(groupData, key));
    };
    const sections = { vars: section('vars'), children: section('children'), hosts: section('hosts') };

    for (const key of Object.keys(groupData)) {
      if (key !== 'vars' && key !== 'children' && key !== 'hosts') {
        inv.warn(`${fmt(at(groupData, key, true))}: Skipping unexpected key (${key}) in group (${name}), only "vars", "children" and "hosts" are valid`);
        continue;
      }
      const body = sections[key];
      if (!body) continue;
      const raw = groupData[key];
      const src = (k: string, keyPos = false): SourcePos => (typeof raw === 'string' ? at(groupData, key) : at(raw as Obj, k, keyPos));
      if (key === 'vars') {
        for (const [k, v] of Object.entries(body)) rule(src(k), () => inv.setGroupVar(name, k, v));
      } else if (key === 'children') {
        for (const [child, childData] of Object.entries(body)) {
          const c = parseGroup(child, childData, src(child, true));
          rule(src(child, true), () => inv.addChild(name, c));
        }
      } else {
        for (const [pattern, hostVars] of Object.entries(body)) {
          const pos = src(pattern, true);
          const { hosts, port } = rule(pos, () => expandHostPattern(pattern));
          const vars = hostVars ?? {};
          if (!isMapping(vars)) {
            throw err(`Invalid data from file, expected dictionary and got: ${typeName(vars)} (host ${pattern})`, src(pattern));
          }
          rule(pos, () => {
            for (const h of hosts) {
              inv.addHost(h, name, port, file);
              for (const [k, v] of Object.entries(vars)) inv.setHostVar(h, k, v);
            }
          });
        }
      }
    }
    return name;
  };

  for (const [name, groupData] of Object.entries(data)) parseGroup(name, groupData, at(data, name, true));
}

function fmt(p: SourcePos): string {
  return `${p.file}:${p.line}:${p.col}`;
}
