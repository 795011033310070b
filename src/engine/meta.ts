/** meta: actions that steer the run (flush_handlers, end_play, end_batch, end_host, clear_host_errors, ...). */
import type { MetaIR } from '../config/playbook-types.js';
import { evalCondition } from './templating/index.js';
import { renderTags, tagsSelected, type Inherited, type PlayRun } from './context.js';
import type { HostState } from './host-state.js';
import { flushHandlers } from './handlers.js';
import { scopeFor } from './vars.js';
import type { Runner } from './runner.js';

export async function runMeta(r: Runner, m: MetaIR, pr: PlayRun, hosts: HostState[], inh: Inherited, handler = false): Promise<void> {
  const first = hosts.find((h) => h.alive());
  const tags = first ? renderTags([...inh.tags, ...m.tags], () => scopeFor(pr.scope, first, inh)) : [...inh.tags, ...m.tags];
  if (!handler && !tagsSelected(tags, r.runCtx.opts.tags, r.runCtx.opts.skipTags)) return;
  if (!handler && r.runCtx.waitingForStart !== undefined) return;
  const conds = [...inh.when, ...(m.when !== undefined ? [{ cond: m.when, source: m.source }] : [])];
  const holds = (h: HostState) => conds.every((c) => evalCondition(c.cond, scopeFor(pr.scope, h, inh), { source: c.source, what: 'when' }));
  const live = hosts.filter((h) => h.alive());
  const name = m.name ?? 'meta';
  const ev = r.runCtx.events;
  // as ansible-core's _execute_meta: the task's banner, and at -vv what it did (`META: ...`)
  if (live.length)
    ev.emit({ type: 'task_start', name, action: 'meta', hosts: live.map((h) => h.name), handler, source: m.source, path: `${m.source.file}:${m.source.line}` });
  const did = (msg: string) => ev.emit({ type: 'meta', msg });
  const skip = (h: HostState, reason: string) =>
    ev.emit({ type: 'host_result', host: h.name, task: name, status: 'skipped', result: { changed: false, skipped: true, skip_reason: reason } });
  const cond = `${m.action} conditional evaluated to False`;
  /** the actions run once, for all hosts: evaluated for the first host */
  const once = (msg: string, reason: string, act: () => void) => {
    if (!live[0]) return;
    if (!holds(live[0])) return skip(live[0], `${cond}, ${reason}`);
    act();
    did(msg);
  };
  switch (m.action) {
    case 'noop':
      for (const _h of live) did('noop');
      return;
    case 'flush_handlers': {
      const go = live.filter((h) => {
        if (holds(h)) return true;
        skip(h, `${cond}, not running handlers for ${h.name}`);
        return false;
      });
      for (const h of go) did(`triggered running handlers for ${h.name}`);
      await flushHandlers(
        r,
        pr,
        pr.batch.filter((h) => !h.unreachable && (go.includes(h) || !live.includes(h))),
        inh,
      );
      return;
    }
    case 'end_play':
    case 'end_batch':
      // as Ansible's linear strategy: evaluated once, for the first host
      once(m.action === 'end_play' ? 'ending play' : 'ending batch', m.action === 'end_play' ? 'continuing play' : 'continuing current batch', () => {
        if (m.action === 'end_play') pr.endPlay = true;
        pr.endBatch = true;
        for (const h of pr.batch) h.ended = true;
      });
      return;
    case 'end_host':
      for (const h of live) {
        if (holds(h)) {
          h.ended = true;
          did(`ending play for ${h.name}`);
        }
        // shown, not counted (as Ansible's meta results)
        else skip(h, `${cond}, continuing execution for ${h.name}`);
      }
      return;
    case 'clear_host_errors':
      once('cleared host errors', `not clearing host error state for ${live[0]?.name}`, () => {
        for (const h of pr.batch) {
          if (h.unreachable) continue;
          h.failed = false;
          h.fatal = false;
          h.errorsCleared++;
        }
      });
      return;
    case 'clear_facts':
      once('facts cleared', `not clearing facts and fact cache for ${live[0]?.name}`, () => {
        for (const h of live) {
          h.facts = {};
          h.factsGathered = false;
          h.factCache.invalidate();
        }
      });
      return;
    case 'refresh_inventory':
      did('inventory successfully refreshed');
      return;
    case 'reset_connection':
      for (const _h of live) did('reset connection');
      return;
    default:
      // role_complete: nothing to do here
      return;
  }
}
