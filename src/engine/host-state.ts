/** Per-host state for one run: variables it accumulated, failure flags, handler notifications, stats. */
import { FactCache } from '../facts/cache.js';
import { emptyStats, type HostStats } from './events.js';
import type { Vars } from '../config/playbook-types.js';

export class HostState {
  /** gathered facts (ansible_facts) */
  facts: Vars = {};
  /** registered results and set_fact values */
  registered: Vars = {};
  /** include_vars values */
  included: Vars = {};
  readonly factCache = new FactCache();
  failed = false;
  unreachable = false;
  /** play ended for this host (meta: end_host, any_errors_fatal) */
  ended = false;
  /** handler names/topics notified in the current play */
  readonly notified = new Set<string>();
  readonly stats: HostStats = emptyStats();
  factsGathered = false;
  /** inventory magic: inventory_hostname(_short), group_names, inventory_file, inventory_dir */
  readonly magic: Vars = {};

  constructor(readonly name: string, public invVars: Vars) {}

  alive(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
