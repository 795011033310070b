/**
 * Run the cloud-node playbook against one node, in this process (the engine, set up as `tsplay run` does),
 * with every task result as a line of the power log instead of terminal output.
 */
import { dirname, resolve } from 'node:path';
import { ModuleRegistry } from '../contract/registry.js';
import { builtinModules } from '../../modules/index.js';
import { loadPlaybook } from '../config/playbook.js';
import type { Inventory } from '../config/inventory/index.js';
import { ConnectionPool, targetFromVars } from '../connection/index.js';
import type { Vars } from '../config/playbook-types.js';
import { Runner } from '../engine/runner.js';
import type { RunContext } from '../engine/context.js';
import type { EventSink, RunEvent } from '../engine/events.js';
import { renderValue } from '../engine/templating/index.js';
import { registerSecret } from '../output/mask.js';
import { CONN_KEYS } from '../cli/commands/run.js';
import type { PowerLog } from './log.js';

class LogSink implements EventSink {
  verbosity = 0;
  diff = false;
  /** the first failed task: the playbook step's error */
  failure?: string;
  constructor(
    private readonly log: PowerLog,
    private readonly node: string,
  ) {}
  emit(e: RunEvent): void {
    if (e.type !== 'host_result' || e.loopEnd) return;
    const bad = e.status === 'failed' || e.status === 'unreachable';
    const msg = typeof e.result.msg === 'string' ? e.result.msg : undefined;
    if (bad && !e.ignored && !this.failure)
      this.failure = `task '${e.task}'${e.status === 'unreachable' ? ' (unreachable)' : ''}: ${e.noLog ? 'output hidden (no_log)' : (msg ?? 'failed')}`;
    this.log.write({
      step: 'task',
      node: this.node,
      outcome: bad && !e.ignored ? 'fail' : e.status === 'skipped' ? 'skip' : 'ok',
      task: e.task,
      status: e.status,
      ...(e.item ? { item: e.item } : {}),
      ...(bad && !e.noLog && msg ? { error: msg.slice(0, 300) } : {}),
    });
  }
  async end(): Promise<void> {}
}

export interface PlaybookRunResult {
  exitCode: number;
  failure?: string;
}

export async function runNodePlaybook(o: { playbook: string; inventory: Inventory; node: string; extraVars: Vars; log: PowerLog }): Promise<PlaybookRunResult> {
  const registry = new ModuleRegistry(builtinModules);
  const playbookDir = dirname(resolve(o.playbook));
  const pb = loadPlaybook(o.playbook, { registry, playbookDir });
  const sink = new LogSink(o.log, o.node);
  const pool = new ConnectionPool();
  const localPool = new ConnectionPool();
  const inv = o.inventory;
  const runCtx: RunContext = {
    registry,
    events: sink,
    opts: { check: false, diff: false, forks: 1, verbosity: 0, tags: [], skipTags: [], forceHandlers: false, extraVars: o.extraVars },
    hosts: new Map(),
    hostVarsOf: (name: string): Vars =>
      inv.hasHost(name) || inv.isImplicitLocalhost(name) ? inv.hostVars(name) : { ansible_connection: 'local', inventory_hostname: name },
    load: { registry, playbookDir },
    connect: async (host, vars) => {
      const cv: Vars = {};
      for (const k of CONN_KEYS) if (vars[k] !== undefined) cv[k] = vars[k];
      const rendered = renderValue(cv, vars) as Vars;
      for (const k of ['ansible_password', 'ansible_become_password', 'ansible_ssh_pass', 'ansible_become_pass', 'ansible_sudo_pass'])
        registerSecret(rendered[k]);
      const target = targetFromVars(host, rendered, {});
      return (target.connection === 'local' ? localPool : pool).get(target);
    },
  };
  try {
    const summary = await new Runner(runCtx, inv, [o.node]).run(pb);
    return { exitCode: summary.exitCode, failure: summary.exitCode ? (sink.failure ?? `exit code ${summary.exitCode}`) : undefined };
  } finally {
    await Promise.all([pool.closeAll(), localPool.closeAll()]);
  }
}
