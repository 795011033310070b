/** meta: actions that steer the run (flush_handlers, end_play, end_batch, end_host, clear_host_errors, ...). */
import type { MetaIR } from '../config/playbook-types.js';
import { evalCondition } from './templating/index.js';
import { renderTags, tagsSelected, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { flushHandlers } from './handlers.js';
import { scopeFor } from './vars.js';
import type { Runner } from './runner.js';

export async function runMeta(r: Runner, m: MetaIR, pr: PlayRun, hosts: HostState[], inh: Inherited): Promise<void> {
  const first = hosts.find((h) => h.alive());
  const tags = first ? renderTags([...inh.tags, ...m.tags], () => scopeFor(pr.scope, first, inh)) : [...inh.tags, ...m.tags];
  if (!tagsSelected(tags, r.runCtx.opts.tags, r.runCtx.opts.skipTags)) return;
  if (r.runCtx.waitingForStart !== undefined) return;
  const conds = [...inh.when, ...(m.when !== undefined ? [{ cond: m.when, source: m.source }] : [])];
  const holds = (h: HostState) => conds.every((c) => evalCondition(c.cond, scopeFor(pr.scope, h, inh), { source: c.source, what: 'when' }));
  const live = hosts.filter((h) => h.alive());
  if (m.name && live.length)
    r.runCtx.events.emit({ type: 'task_start', name: m.name, action: 'meta', hosts: live.map((h) => h.name), handler: false, source: m.source });
  switch (m.action) {
    case 'flush_handlers':
      await flushHandlers(
        r,
        pr,
        pr.batch.filter((h) => !h.unreachable),
      );
      return;
    case 'end_play':
    case 'end_batch':
      // as Ansible's linear strategy: evaluated once, for the first host
      if (live[0] && holds(live[0])) {
        if (m.action === 'end_play') pr.endPlay = true;
        pr.endBatch = true;
        for (const h of pr.batch) h.ended = true;
      }
      return;
    case 'end_host':
      for (const h of live) {
        if (holds(h)) h.ended = true;
        // shown, not counted (as Ansible's meta results)
        else
          r.runCtx.events.emit({
            type: 'host_result',
            host: h.name,
            task: m.name ?? 'meta',
            status: 'skipped',
            result: { changed: false, skipped: true, skip_reason: 'end_host conditional evaluated to False, continuing execution' },
          });
      }
      return;
    case 'clear_host_errors':
      for (const h of pr.batch) {
        if (h.failed && !h.unreachable) h.failed = false;
      }
      return;
    case 'clear_facts':
      for (const h of live) {
        h.facts = {};
        h.factsGathered = false;
        h.factCache.invalidate();
      }
      return;
    default:
      // noop, refresh_inventory, reset_connection, role_complete: nothing to do here
      return;
  }
}
