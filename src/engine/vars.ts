/**
 * Variable scope for one task on one host, in ansible-core's documented precedence (low → high):
 * role defaults < inventory (group_vars all → parent → child, host vars) < facts < play vars < vars_files <
 * role vars < block vars < task vars < include_vars < set_fact / registered < include params < extra vars.
 * Magic variables are added last (they cannot be overridden, as in Ansible).
 */
import type { Vars } from '../config/playbook-types.js';
import type { HostState } from './host-state.js';

export interface PlayScope {
  roleDefaults: Vars;
  playVars: Vars;
  varsFiles: Map<string, Vars>; // per host (vars_files may depend on host vars)
  roleVars: Vars;
  extraVars: Vars;
  magic: Vars; // play-level magic (play_hosts, groups, playbook_dir, ansible_check_mode...)
  hostvars: Record<string, Vars>;
}

/** Build the flat variable map for a host. `layers` are block/task vars, outermost first. */
export function scopeFor(play: PlayScope, host: HostState, layers: Vars[] = [], params: Vars[] = []): Vars {
  const v: Vars = Object.assign(
    {},
    play.roleDefaults,
    host.invVars,
    factVars(host.facts),
    play.playVars,
    play.varsFiles.get(host.name),
    play.roleVars,
  );
  for (const l of layers) Object.assign(v, l);
  Object.assign(v, host.included, host.registered);
  for (const p of params) Object.assign(v, p);
  Object.assign(v, play.extraVars, play.magic, host.magic);
  v['inventory_hostname'] = host.name;
  v['inventory_hostname_short'] ??= host.name.split('.')[0];
  v['group_names'] ??= [];
  v['hostvars'] = play.hostvars;
  return v;
}

/** Gathered facts are visible as ansible_facts.x and as top-level ansible_x (INJECT_FACTS_AS_VARS). */
export function factVars(facts: Vars): Vars {
  const out: Vars = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[k.startsWith('ansible_') ? k : `ansible_${k}`] = v;
  return out;
}
