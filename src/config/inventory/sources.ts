/**
 * Inventory sources (the `-i` arguments), dispatched like Ansible's InventoryManager.parse_source:
 *   - `h1,h2,` (a comma and no such path): a host list, hosts go to `ungrouped`, no range expansion;
 *   - a directory: every entry, sorted, recursively, skipping hidden files, group_vars/, host_vars/,
 *     vars_plugins/ and Ansible's ignored extensions (*.retry, *~, *.orig, *.ini, *.cfg, *.md, ...);
 *   - *.yml / *.yaml / *.json: YAML inventory; no extension: YAML when it reads as a YAML inventory
 *     mapping, INI otherwise; any other extension: INI.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { TsplayError } from '../../errors.js';
import { parseYaml } from '../yaml.js';
import { parseAddress } from './address.js';
import { parseIniInventory } from './ini.js';
import type { InventoryData } from './model.js';
import { asInventoryError, realDir } from './vars-dir.js';
import { readSourceFile } from '../source-file.js';
import { isYamlInventory, parseYamlInventory } from './yaml-inventory.js';

const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

export function isHostList(source: string): boolean {
  return source.includes(',') && !existsSync(source);
}

/** Parse one `-i` source into inv. */
export function parseSource(source: string, inv: InventoryData, seen = new Set<string>()): void {
  if (isHostList(source)) {
    parseHostList(source, inv);
    return;
  }
  let st;
  try {
    st = statSync(source);
  } catch {
    const looksLikeHost = !source.includes('/') && !/\.(?:ini|ya?ml|json|cfg|toml|txt)$/.test(source);
    throw new TsplayError('inventory', `Unable to parse ${source} as an inventory source: no such file or directory`, {
      hint: looksLikeHost ? `a single host needs a trailing comma: -i ${source},` : undefined,
    });
  }
  if (st.isDirectory()) parseDirectory(source, inv, seen);
  else parseFile(source, inv);
}

function parseHostList(list: string, inv: InventoryData): void {
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    let host = h;
    let port: number | undefined;
    try {
      ({ host, port } = parseAddress(h, false));
    } catch {
      // left unchanged, as Ansible does
    }
    if (!inv.hosts.has(host)) inv.addHost(host, 'ungrouped', port);
  }
}

function parseDirectory(dir: string, inv: InventoryData, seen: Set<string>): void {
  // a symlink back to an ancestor directory would recurse without end
  const real = realDir(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = readdirSync(dir).sort();
  for (const e of entries) {
    if (IGNORED.test(e)) {
      if (e.endsWith('.ini')) inv.warn(`Skipping ${join(dir, e)}: Ansible ignores *.ini files in an inventory directory`);
      continue;
    }
    parseSource(join(dir, e), inv, seen);
  }
}

function parseFile(file: string, inv: InventoryData): void {
  const text = readSourceFile(file, { code: 'inventory' });
  if (text.startsWith('$ANSIBLE_VAULT;')) {
    throw new TsplayError('inventory', `${file}: vault-encrypted inventory files are not supported (encrypt single values with !vault)`, {
      source: { file, line: 1, col: 1 },
    });
  }
  const ext = extname(file);
  if (ext === '.toml') {
    throw new TsplayError('inventory', `${file}: TOML inventories are not supported (use YAML or INI)`);
  }
  if (YAML_EXTENSIONS.includes(ext)) {
    parseYamlInventory(loadYaml(text, file), file, inv);
    return;
  }
  if (!ext) {
    let data: unknown;
    try {
      data = parseYaml(text, file);
    } catch {
      data = undefined; // not YAML: INI below
    }
    if (isYamlInventory(data)) {
      parseYamlInventory(data, file, inv);
      return;
    }
  }
  parseIniInventory(text, file, inv);
}

function loadYaml(text: string, file: string): unknown {
  try {
    return parseYaml(text, file);
  } catch (e) {
    throw asInventoryError(e);
  }
}
