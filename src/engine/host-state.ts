/** Per-host state for one run: variables it accumulated, failure flags, handler notifications, stats. */
import { FactCache } from '../facts/cache.js';
import { emptyStats, type HostStats } from './events.js';
import type { HandlerIR, Vars } from '../config/playbook-types.js';

export class HostState {
  /** facts: gathered, and returned by modules (ansible_facts) */
  facts: Vars = {};
  /** registered results and set_fact values (one precedence level in Ansible) */
  registered: Vars = {};
  /** include_vars values */
  included: Vars = {};
  readonly factCache: FactCache;
  /** a task failed on this host (and was not rescued): it runs nothing more in this run */
  failed = false;
  unreachable = false;
  /** how many times meta: clear_host_errors cleared this host's errors (a block's always doesn't fail it again then) */
  errorsCleared = 0;
  /** marked failed by any_errors_fatal (ansible-core's failed_hosts): it may finish a rescue / always, the playbook stops after the play */
  fatal = false;
  /** failed inside a block whose rescue will run for it */
  pendingRescue = false;
  /** the host is done with the current play (meta: end_host / end_play, or the play was aborted) */
  ended = false;
  /** handlers notified in the current play */
  readonly notified = new Set<HandlerIR>();
  readonly stats: HostStats = emptyStats();
  factsGathered = false;
  /** inventory magic: inventory_hostname(_short), group_names, inventory_file, inventory_dir */
  readonly magic: Vars = {};

  constructor(
    readonly name: string,
    public invVars: Vars,
  ) {
    this.factCache = new FactCache(name);
  }

  alive(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
