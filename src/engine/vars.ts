/**
 * Variable scope for one task on one host, in ansible-core's documented precedence (low → high):
 *   role defaults (all the play's roles, then the task's own role chain)
 *   < inventory (group_vars all → parent → child, host vars) < facts
 *   < play vars < vars_prompt < vars_files < role vars (the play's roles, then the task's own)
 *   < block vars (outer → inner) < task vars < include_vars < set_fact / registered
 *   < role params < include params < extra vars.
 * Magic variables are added last (they cannot be overridden, as in Ansible).
 */
import type { RoleIR, Vars } from '../config/playbook-types.js';
import type { HostState } from './host-state.js';

export interface PlayScope {
  roleDefaults: Vars;
  playVars: Vars;
  /** vars_prompt answers */
  prompted: Vars;
  /** vars_files, per host (their names may use host vars) */
  varsFiles: Map<string, Vars>;
  roleVars: Vars;
  extraVars: Vars;
  /** play-level magic (groups, playbook_dir, ansible_check_mode...); play_hosts etc. are in `batchMagic` */
  magic: Vars;
  /** ansible_play_hosts, ansible_play_batch, play_hosts: recomputed when hosts fail */
  batchMagic: Vars;
  hostvars: Record<string, Vars>;
}

/** What a task inherits that matters for its variables. */
export interface VarContext {
  /** block vars, outermost first (the task's own vars last) */
  layers: Vars[];
  /** include params (include_tasks vars, loop items of includes), outermost first */
  params: Vars[];
  /** the innermost role */
  role?: RoleIR;
}

/** The role and its parents (the roles it is a dependency of), outermost first. */
export function roleChain(role: RoleIR | undefined): RoleIR[] {
  const out: RoleIR[] = [];
  for (let r = role; r; r = r.parent) out.unshift(r);
  return out;
}

/** The flat variable map for a task on a host. */
export function scopeFor(play: PlayScope, host: HostState, ctx: VarContext = { layers: [], params: [] }): Vars {
  const chain = roleChain(ctx.role);
  const v: Vars = Object.assign({}, play.roleDefaults);
  for (const r of chain) Object.assign(v, r.defaults);
  Object.assign(v, host.invVars, factVars(host.facts), play.playVars, play.prompted, play.varsFiles.get(host.name), play.roleVars);
  for (const r of chain) Object.assign(v, r.vars);
  for (const l of ctx.layers) Object.assign(v, l);
  Object.assign(v, host.included, host.registered);
  for (const r of chain) Object.assign(v, r.params);
  for (const p of ctx.params) Object.assign(v, p);
  Object.assign(v, play.extraVars, play.magic, play.batchMagic, host.magic);
  v['inventory_hostname'] = host.name;
  v['inventory_hostname_short'] ??= host.name.split('.')[0];
  v['group_names'] ??= [];
  v['hostvars'] = play.hostvars;
  // where relative files are searched (Task.get_search_path): the roles, innermost first, then the playbook's directory
  const pd = v['playbook_dir'];
  v['ansible_search_path'] = [...new Set([...chain.map((r) => r.dir).reverse(), ...(typeof pd === 'string' ? [pd] : [])])];
  if (ctx.role) {
    v['role_name'] = ctx.role.name;
    v['role_path'] = ctx.role.dir;
    v['ansible_role_name'] = ctx.role.name;
    v['ansible_parent_role_names'] = chain
      .slice(0, -1)
      .reverse()
      .map((r) => r.name);
  }
  return v;
}

/** Per host facts object: the module facts returned without the ansible_ prefix (getent_passwd), by name. */
const unprefixed = new WeakMap<Vars, Set<string>>();

/**
 * Facts are visible as ansible_facts.x and as top-level variables (INJECT_FACTS_AS_VARS) under the name they
 * were returned with: gathered ones as ansible_x, a module's unprefixed ones (getent's getent_passwd) as is.
 */
export function factVars(facts: Vars): Vars {
  const out: Vars = { ansible_facts: facts };
  const raw = unprefixed.get(facts);
  for (const [k, v] of Object.entries(facts)) out[k.startsWith('ansible_') || raw?.has(k) ? k : `ansible_${k}`] = v;
  return out;
}

/** Module-returned facts go into the ansible_facts namespace without their ansible_ prefix (namespace_facts). */
export function addFacts(facts: Vars, add: Vars): void {
  const raw = unprefixed.get(facts) ?? unprefixed.set(facts, new Set()).get(facts)!;
  for (const [k, v] of Object.entries(add)) {
    const name = k.startsWith('ansible_') ? k.slice(8) : k;
    if (name === k) raw.add(name);
    else raw.delete(name);
    facts[name] = v;
  }
}
