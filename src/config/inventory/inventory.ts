/**
 * The loaded inventory: hosts, groups, merged variables and host selection.
 *
 * Variable precedence is Ansible's (VariableManager.get_vars with the default VARIABLE_PRECEDENCE),
 * lowest first; "groups" means the host's groups except `all`, sorted by (depth, ansible_group_priority, name):
 *   1. `all` vars from the inventory files          5. inventory-side group_vars/<group>, per source
 *   2. group vars from the inventory files          6. playbook-side group_vars/<group>
 *   3. inventory-side group_vars/all, per source    7. host vars from the inventory files
 *   4. playbook-side group_vars/all                 8. inventory-side host_vars/<host>, 9. playbook-side host_vars/<host>
 * Merging replaces whole top-level keys (hash_behaviour=replace).
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TsplayError } from '../../errors.js';
import { isIpAddress } from './address.js';
import { parseLimit } from './limit.js';
import { dumpYaml, graph, listJson, listYamlData, sortedPlain } from './output.js';
import { InventoryData, type Group, type Host } from './model.js';
import { LOCALHOST_NAMES, PatternMatcher, splitHostPattern, type SelectResult } from './patterns.js';
import { isHostList, parseSource } from './sources.js';
import { realDir, VarsDir, type DecryptFile, type Vars } from './vars-dir.js';

export interface LoadInventoryOptions {
  /** Directory of the playbook: its group_vars/ and host_vars/ apply too (see also addPlaybookDir). */
  playbookDir?: string;
  /** Decrypts whole-file vaults found in group_vars/host_vars (single `!vault` values are kept as EncryptedString). */
  decryptFile?: DecryptFile;
}

export interface SelectOptions {
  /** `--limit`: patterns (or `@file`) the selection is restricted to. */
  limit?: string | string[];
  /** Directory `@file` limits are relative to (default: the current directory). */
  cwd?: string;
}

export interface HostMagic {
  inventory_hostname: string;
  inventory_hostname_short: string;
  group_names: string[];
  inventory_file: string | null;
  inventory_dir: string | null;
}

export class Inventory {
  private readonly varsCache = new Map<string, Vars>();
  private readonly dirCache = new Map<string, VarsDir>();
  private readonly inventoryDirs: VarsDir[] = [];
  private readonly playbookDirs: VarsDir[] = [];
  private depth?: Map<Group, number>;

  private constructor(
    private readonly data: InventoryData,
    readonly sources: string[],
    private readonly opts: LoadInventoryOptions,
  ) {}

  /** Parse all sources (later sources add to earlier ones) and load their group_vars/host_vars. */
  static async load(sources: string[], opts: LoadInventoryOptions = {}): Promise<Inventory> {
    const data = new InventoryData();
    for (const s of sources) if (s) parseSource(s, data);
    data.reconcile();
    const inv = new Inventory(data, [...sources], opts);
    for (const s of sources) {
      if (!s || isHostList(s)) continue;
      inv.inventoryDirs.push(await inv.varsDir(isDirectory(s) ? s : dirname(s)));
    }
    if (opts.playbookDir !== undefined) await inv.addPlaybookDir(opts.playbookDir);
    return inv;
  }

  /** Warnings met while loading (Ansible prints them as [WARNING]). */
  get warnings(): readonly string[] {
    return this.data.warnings;
  }

  /** Add the group_vars/ and host_vars/ beside a playbook (they override the inventory's). */
  async addPlaybookDir(dir: string): Promise<void> {
    const d = await this.varsDir(dir);
    if (!this.playbookDirs.includes(d)) this.playbookDirs.push(d);
    this.varsCache.clear();
  }

  /**
   * group_by at run time (InventoryManager.add_dynamic_group): the host into `group`, created if new, under
   * `parents` (created too). True when the inventory changed.
   */
  addDynamicGroup(host: string, group: string, parents: string[]): boolean {
    const d = this.data;
    let changed = false;
    if (!d.groups.has(group)) d.addGroup(group);
    for (const p of parents) {
      if (!d.groups.has(p)) {
        d.addGroup(p);
        changed = true;
      }
    }
    const g = d.groups.get(group)!;
    for (const p of parents) {
      if (p === group || d.groups.get(p)!.children.includes(g)) continue;
      d.addChild(p, group);
      changed = true;
    }
    const h = d.hosts.get(host);
    if (!h || !g.hostSet.has(h)) {
      d.addHost(host, group);
      changed = true;
    }
    if (changed) this.dynamicChange();
    return changed;
  }

  /**
   * add_host at run time (InventoryManager.add_dynamic_host): the host (added if new), its variables merged
   * over its own, into each group (created if new). True when the inventory changed.
   */
  addDynamicHost(name: string, groups: string[], vars: Record<string, unknown>): boolean {
    const d = this.data;
    let changed = false;
    if (!d.hosts.has(name)) {
      d.addHost(name);
      changed = true;
    }
    const h = d.hosts.get(name)!;
    const merged = { ...h.vars, ...vars };
    if (JSON.stringify(merged) !== JSON.stringify(h.vars)) {
      h.vars = merged;
      changed = true;
    }
    for (const gn of groups) {
      if (!d.groups.has(gn)) {
        d.addGroup(gn);
        changed = true;
      }
      if (!d.groups.get(gn)!.hostSet.has(h)) {
        d.addHost(name, gn);
        changed = true;
      }
    }
    if (changed) this.dynamicChange();
    return changed;
  }

  private dynamicChange(): void {
    this.data.reconcile();
    this.varsCache.clear();
    this.depth = undefined;
  }

  /** All hosts, in inventory order (Ansible's order for the pattern `all`). */
  hostNames(): string[] {
    return this.group('all')
      .allHosts()
      .map((h) => h.name);
  }

  hasHost(name: string): boolean {
    return this.data.hosts.has(name);
  }

  /** Group names, sorted (all and ungrouped included). */
  groupNames(): string[] {
    return [...this.data.groups.keys()].sort(cmp);
  }

  hasGroup(name: string): boolean {
    return this.data.groups.has(name);
  }

  /** Is this name the implicit localhost (a localhost name that the inventory does not define)? */
  isImplicitLocalhost(name: string): boolean {
    return !this.data.hosts.has(name) && LOCALHOST_NAMES.includes(name);
  }

  /**
   * A host's variables, merged as Ansible does (see the file comment), including group_vars and
   * host_vars; without magic variables (see hostMagic). Top-level object is a copy; do not mutate nested values.
   */
  hostVars(name: string): Record<string, unknown> {
    let v = this.varsCache.get(name);
    if (!v) {
      v = this.computeHostVars(name);
      this.varsCache.set(name, v);
    }
    return { ...v };
  }

  /** Ansible's group_names: the host's groups, sorted, without `all` (`ungrouped` included when it is in it). */
  groupsOf(name: string): string[] {
    const h = this.data.hosts.get(name);
    if (!h) {
      if (this.isImplicitLocalhost(name)) return [];
      throw unknownHost(name);
    }
    return h.groups
      .filter((g) => g.name !== 'all')
      .map((g) => g.name)
      .sort(cmp);
  }

  /** Ansible's `groups` magic variable: every group (all and ungrouped included) → its hosts, inventory order. */
  groupsMap(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const g of this.data.groups.values()) out[g.name] = g.allHosts().map((h) => h.name);
    return out;
  }

  /** Direct member hosts and child groups of a group (for output). */
  groupMembers(name: string): { hosts: string[]; children: string[] } {
    const g = this.group(name);
    return { hosts: g.hosts.map((h) => h.name), children: g.children.map((c) => c.name) };
  }

  /** inventory_hostname, inventory_hostname_short, group_names, inventory_file, inventory_dir. */
  hostMagic(name: string): HostMagic {
    const h = this.data.hosts.get(name);
    if (!h && !this.isImplicitLocalhost(name)) throw unknownHost(name);
    const file = h?.source ? resolve(h.source) : null;
    return {
      inventory_hostname: name,
      inventory_hostname_short: isIpAddress(name) ? name : name.split('.')[0]!,
      group_names: this.groupsOf(name),
      inventory_file: file,
      inventory_dir: file ? dirname(file) : null,
    };
  }

  /**
   * Hosts matching a pattern (a play's `hosts:`), optionally restricted by a `--limit`.
   * `unmatched` lists the patterns that matched nothing, for the caller to warn about as Ansible does.
   */
  select(pattern: string | string[], opts: SelectOptions = {}): SelectResult {
    const matcher = new PatternMatcher(this.data, (m) => this.data.warn(m));
    const patterns = splitHostPattern(pattern);
    let hosts = patterns.length ? matcher.evaluate(patterns) : [];
    if (opts.limit !== undefined) {
      const subset = parseLimit(opts.limit, opts.cwd);
      const allowed = new Set(matcher.evaluate(subset));
      hosts = hosts.filter((h) => allowed.has(h));
    }
    return { hosts, unmatched: [...matcher.unmatched] };
  }

  /** ansible-inventory --list (JSON shape, `_meta.hostvars` included); a limit restricts the hosts. */
  toList(opts: SelectOptions = {}): Record<string, unknown> {
    return listJson(this, this.available(opts));
  }

  /** ansible-inventory --list --yaml (text). */
  toYaml(opts: SelectOptions = {}): string {
    return dumpYaml(listYamlData(this, this.available(opts), opts.limit !== undefined));
  }

  /** ansible-inventory --graph [group]. */
  toGraph(group = 'all'): string {
    if (!this.data.groups.has(group)) {
      throw new TsplayError('options', 'Pattern must be valid group name when using --graph');
    }
    return graph(this, group);
  }

  /** ansible-inventory --host NAME: the host's variables, keys sorted, vault values as {__ansible_vault}. */
  hostJson(name: string): Record<string, unknown> {
    return sortedPlain(this.hostVars(name)) as Record<string, unknown>;
  }

  private available(opts: SelectOptions): string[] {
    return opts.limit === undefined ? this.hostNames() : this.select('all', opts).hosts;
  }

  private group(name: string): Group {
    const g = this.data.groups.get(name);
    if (!g) throw new TsplayError('inventory', `unknown group: ${name}`);
    return g;
  }

  private sortGroups(groups: Group[]): Group[] {
    this.depth ??= this.data.depths();
    const d = this.depth;
    return [...groups].sort((a, b) => d.get(a)! - d.get(b)! || a.priority - b.priority || cmp(a.name, b.name));
  }

  private computeHostVars(name: string): Vars {
    const h: Host | undefined = this.data.hosts.get(name);
    if (!h && !this.isImplicitLocalhost(name)) throw unknownHost(name);
    const all = this.group('all');
    const groups = h ? this.sortGroups(h.groups.filter((g) => g !== all)) : [];
    const v: Vars = {};
    Object.assign(v, all.vars);
    for (const g of groups) Object.assign(v, g.vars);
    for (const d of this.inventoryDirs) Object.assign(v, d.group('all'));
    for (const d of this.playbookDirs) Object.assign(v, d.group('all'));
    for (const dirs of [this.inventoryDirs, this.playbookDirs]) {
      for (const d of dirs) for (const g of groups) Object.assign(v, d.group(g.name));
    }
    // Ansible's implicit localhost connects locally
    Object.assign(v, h ? h.vars : { ansible_connection: 'local' });
    for (const d of this.inventoryDirs) Object.assign(v, d.host(name));
    for (const d of this.playbookDirs) Object.assign(v, d.host(name));
    return v;
  }

  private async varsDir(dir: string): Promise<VarsDir> {
    const key = realDir(dir);
    let d = this.dirCache.get(key);
    if (!d) {
      d = await VarsDir.load(
        dir,
        { groups: this.data.groups.keys(), hosts: [...this.data.hosts.keys(), ...LOCALHOST_NAMES] },
        { decryptFile: this.opts.decryptFile, warn: (m) => this.data.warn(m) },
      );
      this.dirCache.set(key, d);
    }
    return d;
  }
}

export async function loadInventory(sources: string[], opts?: LoadInventoryOptions): Promise<Inventory> {
  return Inventory.load(sources, opts);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function unknownHost(name: string): TsplayError {
  return new TsplayError('inventory', `unknown host: ${name}`);
}

/** Python's string ordering (code points). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
