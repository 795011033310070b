/**
 * Hosts and groups as Ansible keeps them (inventory/data.py, group.py, host.py): insertion-ordered
 * maps, groups with ordered children, hosts with their groups (ancestors included), `all` and
 * `ungrouped` always present. Parsers fill it; reconcile() applies Ansible's rules afterwards.
 */

export class Group {
  readonly hosts: Host[] = [];
  /** Same members as hosts, for O(1) membership tests. */
  readonly hostSet = new Set<Host>();
  readonly children: Group[] = [];
  readonly parents: Group[] = [];
  vars: Record<string, unknown> = {};
  priority = 1;
  constructor(readonly name: string) {}

  /** This group and its descendants, parents before children, breadth first (Ansible's preserve_ordering walk). */
  descendants(includeSelf = true): Group[] {
    const out: Group[] = includeSelf ? [this] : [];
    const seen = new Set<Group>(out);
    let level: Group[] = [this];
    while (level.length) {
      const next: Group[] = [];
      for (const g of level) {
        for (const c of g.children) {
          if (seen.has(c)) continue;
          seen.add(c);
          out.push(c);
          next.push(c);
        }
      }
      level = next;
    }
    return out;
  }

  ancestors(): Set<Group> {
    const seen = new Set<Group>();
    const stack = [...this.parents];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...g.parents);
    }
    return seen;
  }

  /** Hosts of this group and of all its descendants, without duplicates (Group.get_hosts). */
  allHosts(): Host[] {
    const out: Host[] = [];
    const seen = new Set<Host>();
    for (const g of this.descendants()) {
      for (const h of g.hosts) {
        if (seen.has(h)) continue;
        seen.add(h);
        out.push(h);
      }
    }
    return out;
  }
}

export class Host {
  vars: Record<string, unknown> = {};
  /** Groups this host is in, ancestors included (the `all` group too). */
  readonly groups: Group[] = [];
  constructor(
    readonly name: string,
    /** The inventory file where the host was first seen (inventory_file), undefined for host lists. */
    readonly source?: string,
  ) {}
}

/** Thrown by the model for an inventory rule violation; parsers add the source position. */
export class InventoryRuleError extends Error {}

export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();
  readonly warnings: string[] = [];
  /** the same warnings, for the duplicate test (an includes() per warning was quadratic: 20,000 took 6 s) */
  private readonly warned = new Set<string>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string): Group {
    if (!name) throw new InventoryRuleError(`Invalid empty group name`);
    let g = this.groups.get(name);
    if (!g) {
      g = new Group(name);
      this.groups.set(name, g);
      if (/^[^\p{L}_]|[^\p{L}\p{N}_]/u.test(name)) {
        this.warn(`Invalid characters were found in group name '${name}' (Ansible keeps it but warns)`);
      }
    }
    return g;
  }

  /** Add a host (once; the first port given wins, as in Ansible) and put it in `group`. */
  addHost(name: string, group?: string, port?: number, source?: string): Host {
    if (!name) throw new InventoryRuleError('Invalid empty host name');
    let h = this.hosts.get(name);
    if (!h) {
      h = new Host(name, source);
      if (port !== undefined) h.vars['ansible_port'] = port;
      this.hosts.set(name, h);
    }
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw new InventoryRuleError(`Could not find group ${group} in inventory`);
      addHostToGroup(g, h);
    }
    return h;
  }

  /** Add a host or group as child of a group. */
  addChild(parent: string, child: string): void {
    const p = this.groups.get(parent);
    if (!p) throw new InventoryRuleError(`${parent} is not a known group`);
    const g = this.groups.get(child);
    if (g) {
      addChildGroup(p, g);
      return;
    }
    const h = this.hosts.get(child);
    if (!h) throw new InventoryRuleError(`${child} is not a known host nor group`);
    addHostToGroup(p, h);
  }

  setGroupVar(group: string, key: string, value: unknown): void {
    const g = this.groups.get(group)!;
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) throw new InventoryRuleError(`ansible_group_priority must be an integer, got ${JSON.stringify(value)}`);
      g.priority = n;
      return;
    }
    g.vars[key] = value;
  }

  setHostVar(host: string, key: string, value: unknown): void {
    this.hosts.get(host)!.vars[key] = value;
  }

  /** Ansible's reconcile_inventory: every group under `all`, `ungrouped` holds exactly the group-less hosts. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    for (const g of this.groups.values()) {
      if (g !== all && g.parents.length === 0) addChildGroup(all, g);
    }
    for (const h of this.hosts.values()) {
      if (h.groups.includes(ungrouped)) {
        if (h.groups.some((g) => g !== all && g !== ungrouped)) removeHostFromGroup(ungrouped, h);
      } else if (h.groups.every((g) => g === all)) {
        addHostToGroup(ungrouped, h);
      }
    }
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) this.warn(`Found both group and host with same name: ${name}`);
    }
  }

  /** Longest path from a root group (Ansible's Group.depth once the inventory is reconciled). Iterative: an INI
   *  file can chain thousands of groups, which a recursive walk would take past the stack. */
  depths(): Map<Group, number> {
    const depth = new Map<Group, number>();
    for (const g0 of this.groups.values()) {
      const stack: Group[] = [g0];
      while (stack.length) {
        const g = stack[stack.length - 1]!;
        if (depth.has(g)) {
          stack.pop();
          continue;
        }
        const pending = g.parents.filter((p) => !depth.has(p));
        if (pending.length) {
          stack.push(...pending); // parents first (the graph has no cycles: addChildGroup refuses them)
          continue;
        }
        depth.set(
          g,
          g.parents.reduce((d, p) => Math.max(d, depth.get(p)! + 1), 0),
        );
        stack.pop();
      }
    }
    return depth;
  }

  warn(msg: string): void {
    if (this.warned.has(msg)) return;
    this.warned.add(msg);
    this.warnings.push(msg);
  }
}

function addHostToGroup(g: Group, h: Host): void {
  if (g.hostSet.has(h)) return;
  g.hosts.push(h);
  g.hostSet.add(h);
  for (const a of g.ancestors()) if (!h.groups.includes(a)) h.groups.push(a);
  if (!h.groups.includes(g)) h.groups.push(g);
}

function removeHostFromGroup(g: Group, h: Host): void {
  const i = g.hosts.indexOf(h);
  if (i >= 0) g.hosts.splice(i, 1);
  g.hostSet.delete(h);
  const j = h.groups.indexOf(g);
  if (j >= 0) h.groups.splice(j, 1);
}

function addChildGroup(parent: Group, child: Group): void {
  if (parent === child) throw new InventoryRuleError(`can't add group ${child.name} to itself`);
  if (parent.children.includes(child)) return;
  if (parent.ancestors().has(child)) {
    throw new InventoryRuleError(`Adding group '${child.name}' as child to '${parent.name}' creates a recursive dependency loop.`);
  }
  parent.children.push(child);
  if (!child.parents.includes(parent)) child.parents.push(parent);
  const newAncestors = [parent, ...parent.ancestors()];
  for (const h of child.allHosts()) {
    for (const a of newAncestors) if (!h.groups.includes(a)) h.groups.push(a);
  }
}
