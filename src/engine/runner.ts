/**
 * The linear strategy: play by play, task by task; each task runs on all live hosts of the batch in
 * parallel (bounded by forks). Blocks run their rescue for the hosts that failed in them and their always
 * for every host that entered. Handlers run when flushed, in handler order, for hosts that notified them.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Inventory } from '../config/inventory/index.js';
import type { BlockIR, IncludeIR, MetaIR, PlayIR, Playbook, TaskIR, TaskNode, Vars } from '../config/playbook-types.js';
import { TsplayError, UnreachableError } from '../errors.js';
import { loadYamlFile, posOfKey } from '../config/yaml.js';
import { loadTaskFile, resolveTaskFile } from '../config/playbook.js';
import { evalCondition, renderValue, hasTemplate } from './templating/index.js';
import { HostState } from './host-state.js';
import { inherit, tagsSelected, type Inherited, type PlayRun, type RunContext } from './context.js';
import { runTaskOnHost, toBool, type Outcome } from './task-exec.js';
import { factVars, type PlayScope } from './vars.js';
import { loopItems } from './loops.js';
import { gatherFacts } from '../facts/gather.js';
import type { HostStats } from './events.js';

const ROOT: Inherited = { when: [], tags: [], layers: [], params: [], environment: [] };

export interface RunSummary {
  stats: Record<string, HostStats>;
  exitCode: number;
}

/** Bounded parallel map. */
async function pmap<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  });
  await Promise.all(workers);
}

export class Runner {
  constructor(
    private readonly rc: RunContext,
    private readonly inventory: Inventory,
    private readonly limit: string[] | undefined,
  ) {}

  private hostState(name: string): HostState {
    let h = this.rc.hosts.get(name);
    if (!h) {
      const known = this.inventory.hasHost(name) || this.inventory.isImplicitLocalhost(name);
      h = new HostState(name, known ? this.inventory.hostVars(name) : { ansible_connection: 'local' });
      if (known) Object.assign(h.magic, this.inventory.hostMagic(name));
      this.rc.hosts.set(name, h);
    }
    return h;
  }

  async run(pb: Playbook): Promise<RunSummary> {
    const started = Date.now();
    this.rc.renderer.emit({ type: 'playbook_start', file: pb.file, check: this.rc.opts.check });
    let fatal = false;
    for (const play of pb.plays) {
      const done = await this.runPlay(play);
      if (!done) {
        fatal = true;
        break;
      }
    }
    const stats: Record<string, HostStats> = {};
    for (const h of this.rc.hosts.values()) stats[h.name] = h.stats;
    this.rc.renderer.emit({ type: 'recap', stats, durationMs: Date.now() - started });
    const hs = [...this.rc.hosts.values()];
    const exitCode = hs.some((h) => h.unreachable) ? 4 : hs.some((h) => h.stats.failed > 0) || fatal ? 2 : 0;
    return { stats, exitCode };
  }

  /** Returns false when the whole run must stop (a play with no hosts left after failures). */
  private async runPlay(play: PlayIR): Promise<boolean> {
    const extra = this.rc.opts.extraVars;
    const patternRaw = renderValue(play.hosts, { ...extra }, { source: posOfKey(play.raw, 'hosts') });
    const patterns = Array.isArray(patternRaw) ? patternRaw.map(String) : [String(patternRaw)];
    const sel = this.inventory.select(patterns, { limit: this.limit });
    const names = sel.hosts;
    for (const u of sel.unmatched) this.rc.renderer.emit({ type: 'warning', message: `Could not match supplied host pattern, ignoring: ${u}` });
    const playName = play.name ?? patterns.join(',');
    this.rc.renderer.emit({ type: 'play_start', name: play.name ?? patterns.join(','), hosts: names, source: play.source });
    const all = names.map((n) => this.hostState(n)).filter((h) => !h.unreachable && !(h.failed && h.stats.failed > 0));
    if (!all.length) {
      this.rc.renderer.emit({ type: 'no_hosts', pattern: patterns.join(',') });
      return true;
    }
    for (const h of all) {
      h.failed = false;
      h.ended = false;
      h.notified.clear();
    }
    const scope = this.playScope(play, all.map((h) => h.name));
    const batches = this.batches(play, all, scope);
    for (const batch of batches) {
      const pr: PlayRun = {
        play,
        scope,
        batch,
        anyErrorsFatal: toBool(renderValue(play.anyErrorsFatal ?? false, scope.playVars)),
        maxFailPercentage: play.maxFailPercentage != null ? Number(play.maxFailPercentage) : undefined,
      };
      // vars_files (per host: their names may use host vars)
      for (const h of batch) scope.varsFiles.set(h.name, this.loadVarsFiles(play, h, scope));
      const inh = inherit(ROOT, { ...play, vars: undefined, when: undefined, source: play.source });
      await this.maybeGatherFacts(pr, batch);
      await this.runList(play.preTasks, pr, batch, inh);
      await this.flushHandlers(pr, batch);
      await this.runList(play.tasks, pr, batch, inh);
      await this.flushHandlers(pr, batch);
      await this.runList(play.postTasks, pr, batch, inh);
      await this.flushHandlers(pr, batch);
      if (batch.every((h) => h.failed || h.unreachable)) {
        if (batches.length > 1) return false; // Ansible stops a serial play when a whole batch failed
      }
    }
    void playName;
    return true;
  }

  private playScope(play: PlayIR, hostNames: string[]): PlayScope {
    const rc = this.rc;
    const hostvars = new Proxy({} as Record<string, Vars>, {
      get: (_t, prop) => {
        if (typeof prop !== 'string') return undefined;
        if (!this.inventory.hasHost(prop) && !rc.hosts.has(prop)) return undefined;
        return this.hostVarsFull(prop);
      },
      has: (_t, prop) => typeof prop === 'string' && (this.inventory.hasHost(prop) || rc.hosts.has(prop)),
      ownKeys: () => this.inventory.hostNames(),
      getOwnPropertyDescriptor: (_t, prop) =>
        typeof prop === 'string' && this.inventory.hasHost(prop) ? { enumerable: true, configurable: true, value: this.hostVarsFull(prop) } : undefined,
    });
    return {
      roleDefaults: play.roleDefaults,
      playVars: play.vars ?? {},
      varsFiles: new Map(),
      roleVars: play.roleVars,
      extraVars: this.rc.opts.extraVars,
      hostvars,
      magic: {
        groups: this.inventory.groupsMap(),
        play_hosts: hostNames,
        ansible_play_hosts: hostNames,
        ansible_play_hosts_all: hostNames,
        ansible_play_batch: hostNames,
        ansible_play_name: play.name ?? '',
        ansible_check_mode: this.rc.opts.check,
        ansible_diff_mode: this.rc.opts.diff,
        ansible_verbosity: this.rc.opts.verbosity,
        playbook_dir: play.dir,
        ansible_version: { full: '2.14.0', major: 2, minor: 14, revision: 0, string: '2.14.0 (tsplay)' },
      },
    };
  }

  private hostVarsFull(name: string): Vars {
    const h = this.rc.hosts.get(name);
    const known = this.inventory.hasHost(name) || this.inventory.isImplicitLocalhost(name);
    const inv = known ? this.inventory.hostVars(name) : {};
    const magic = known ? this.inventory.hostMagic(name) : { inventory_hostname: name, inventory_hostname_short: name.split('.')[0], group_names: [] };
    return { ...inv, ...(h ? factVars(h.facts) : {}), ...(h?.registered ?? {}), ...magic };
  }

  private batches(play: PlayIR, hosts: HostState[], scope: PlayScope): HostState[][] {
    if (play.serial == null) return [hosts];
    const raw = renderValue(play.serial, { ...scope.playVars, ...scope.extraVars });
    const specs = Array.isArray(raw) ? raw : [raw];
    const sizes = specs.map((s) => {
      const str = String(s).trim();
      const n = str.endsWith('%') ? Math.max(1, Math.floor((hosts.length * parseFloat(str)) / 100)) : parseInt(str, 10);
      if (!(n > 0)) return hosts.length;
      return n;
    });
    const out: HostState[][] = [];
    let i = 0;
    let k = 0;
    while (i < hosts.length) {
      const size = sizes[Math.min(k, sizes.length - 1)]!;
      out.push(hosts.slice(i, i + size));
      i += size;
      k++;
    }
    return out;
  }

  private loadVarsFiles(play: PlayIR, h: HostState, scope: PlayScope): Vars {
    const out: Vars = {};
    for (const entry of play.varsFiles) {
      const base = { ...h.invVars, ...scope.playVars, ...scope.extraVars, inventory_hostname: h.name };
      // a list entry means: the first file that exists
      const candidates = (Array.isArray(entry) ? entry : [entry]).map((e) => String(renderValue(e, base)));
      const path = candidates.map((c) => resolve(play.dir, c)).find((p) => existsSync(p));
      if (!path) throw new TsplayError('playbook', `vars_files: cannot find ${candidates.join(' or ')}`, { source: posOfKey(play.raw, 'vars_files') });
      const v = loadYamlFile(path);
      if (v != null && (typeof v !== 'object' || Array.isArray(v))) throw new TsplayError('playbook', `${path}: a vars file must be a mapping`);
      Object.assign(out, v);
    }
    return out;
  }

  /** Cheap facts on demand: gathered when gather_facts is true, or (unset) when the play refers to facts. */
  private async maybeGatherFacts(pr: PlayRun, batch: HostState[]): Promise<void> {
    const g = pr.play.gatherFacts;
    const want = g === undefined || g === null ? mentionsFacts(pr.play) : toBool(renderValue(g, pr.scope.playVars));
    if (!want) return;
    const need = batch.filter((h) => h.alive() && !h.factsGathered);
    if (!need.length) return;
    this.rc.renderer.emit({ type: 'task_start', name: 'Gathering Facts', action: 'gather_facts', hosts: need.map((h) => h.name), handler: false });
    await pmap(need, this.rc.opts.forks, async (h) => {
      try {
        const conn = await this.rc.connect(h.name, this.hostVarsFull(h.name));
        h.facts = await gatherFacts(conn);
        h.factsGathered = true;
        h.stats.ok++;
        this.rc.renderer.emit({ type: 'host_result', host: h.name, task: 'Gathering Facts', status: 'ok', result: { changed: false } });
      } catch (e) {
        this.failHost(h, e, 'Gathering Facts');
      }
    });
  }

  private failHost(h: HostState, e: unknown, task: string): void {
    if (e instanceof UnreachableError) {
      h.unreachable = true;
      h.stats.unreachable++;
      this.rc.renderer.emit({ type: 'host_result', host: h.name, task, status: 'unreachable', result: { changed: false, unreachable: true, msg: e.message } });
      return;
    }
    h.failed = true;
    h.stats.failed++;
    const msg = e instanceof TsplayError ? e.format() : String(e);
    this.rc.renderer.emit({ type: 'host_result', host: h.name, task, status: 'failed', result: { changed: false, failed: true, msg } });
  }

  async runList(nodes: TaskNode[], pr: PlayRun, hosts: HostState[], inh: Inherited): Promise<void> {
    for (const node of nodes) {
      const live = hosts.filter((h) => h.alive());
      if (!live.length) return;
      if (node.kind === 'block') await this.runBlock(node, pr, live, inh);
      else if (node.kind === 'task') await this.runTask(node, pr, live, inh);
      else if (node.kind === 'include') await this.runInclude(node, pr, live, inh);
      else await this.runMeta(node, pr, live, inh);
      this.checkFailurePolicies(pr, hosts, inh);
    }
  }

  private checkFailurePolicies(pr: PlayRun, hosts: HostState[], inh: Inherited): void {
    const failed = pr.batch.filter((h) => h.failed || h.unreachable);
    if (!failed.length) return;
    if (pr.anyErrorsFatal || toBool(inh.anyErrorsFatal ?? false)) {
      for (const h of pr.batch) h.ended = true;
    } else if (pr.maxFailPercentage !== undefined) {
      if ((failed.length / pr.batch.length) * 100 > pr.maxFailPercentage) for (const h of pr.batch) h.ended = true;
    }
    void hosts;
  }

  private async runBlock(b: BlockIR, pr: PlayRun, hosts: HostState[], parent: Inherited): Promise<void> {
    const inh = inherit(parent, b);
    await this.runList(b.block, pr, hosts, inh);
    const failedHere = hosts.filter((h) => h.failed && !h.unreachable);
    if (b.rescue.length && failedHere.length) {
      for (const h of failedHere) h.failed = false;
      await this.runList(b.rescue, pr, failedHere, inh);
      for (const h of failedHere) {
        if (!h.failed) {
          h.stats.rescued++;
          h.stats.failed = Math.max(0, h.stats.failed - 1);
        }
      }
    }
    if (b.always.length) {
      const stillFailed = hosts.filter((h) => h.failed && !h.unreachable);
      for (const h of stillFailed) h.failed = false;
      await this.runList(b.always, pr, hosts.filter((h) => !h.unreachable && !h.ended), inh);
      for (const h of stillFailed) h.failed = true;
    }
  }

  private selected(task: TaskIR, inh: Inherited): boolean {
    if (!tagsSelected([...inh.tags, ...task.tags], this.rc.opts.tags, this.rc.opts.skipTags)) return false;
    if (this.rc.waitingForStart !== undefined) {
      const name = task.name ?? task.action;
      if (name !== this.rc.waitingForStart) return false;
      this.rc.waitingForStart = undefined;
    }
    return true;
  }

  private async runTask(task: TaskIR, pr: PlayRun, hosts: HostState[], parent: Inherited, handler = false): Promise<void> {
    const inh = inherit(parent, { ...task, when: undefined, vars: undefined });
    if (!handler && !this.selected(task, inh)) return;
    const name = this.taskName(task, pr);
    this.rc.renderer.emit({ type: 'task_start', name, action: task.action, hosts: hosts.map((h) => h.name), handler, source: task.source, path: `${task.source.file}:${task.source.line}` });
    const runOnce = toBool(renderValue(task.runOnce ?? inh.runOnce ?? false, pr.scope.playVars));
    const targets = runOnce ? hosts.slice(0, 1) : hosts;
    const outcomes = new Map<HostState, Outcome>();
    await pmap(targets, this.rc.opts.forks, async (h) => {
      const o = await runTaskOnHost(this.rc, pr, task, h, inh);
      outcomes.set(h, o);
    });
    if (runOnce && targets[0]) {
      const o = outcomes.get(targets[0])!;
      for (const h of hosts.slice(1)) {
        if (task.register) h.registered[task.register] = o.result;
        outcomes.set(h, o);
      }
    }
    for (const [h, o] of outcomes) this.account(h, o, task, pr);
  }

  private account(h: HostState, o: Outcome, task: TaskIR, pr: PlayRun): void {
    switch (o.status) {
      case 'ok':
        h.stats.ok++;
        break;
      case 'changed':
        h.stats.ok++;
        h.stats.changed++;
        break;
      case 'skipped':
        h.stats.skipped++;
        break;
      case 'failed':
        if (o.ignored) {
          h.stats.ok++;
          h.stats.ignored++;
          if (o.result.changed) h.stats.changed++;
        } else {
          h.stats.failed++;
          h.failed = true;
        }
        break;
      case 'unreachable': {
        const ignore = toBool(renderValue(task.ignoreUnreachable ?? false, pr.scope.playVars));
        if (ignore) h.stats.skipped++;
        else {
          h.stats.unreachable++;
          h.unreachable = true;
        }
        break;
      }
    }
    if (o.status === 'changed' || (o.status === 'failed' && o.ignored && o.result.changed)) {
      for (const n of task.notify) h.notified.add(String(renderValue(n, pr.scope.playVars)));
    }
  }

  private taskName(task: TaskIR, pr: PlayRun): string {
    if (!task.name) return task.action;
    if (!hasTemplate(task.name)) return task.name;
    try {
      return String(renderValue(task.name, { ...pr.scope.playVars, ...pr.scope.extraVars, ...pr.scope.magic }));
    } catch {
      return task.name;
    }
  }

  private async runInclude(inc: IncludeIR, pr: PlayRun, hosts: HostState[], parent: Inherited): Promise<void> {
    const inh = inherit(parent, { ...inc, when: undefined, vars: undefined });
    if (!tagsSelected([...inh.tags], this.rc.opts.tags, this.rc.opts.skipTags) && !inc.tags.length) {
      // includes are selected by their own tags; untagged includes are always processed (their tasks are filtered)
    }
    // evaluate per host (and per item), group hosts that include the same file with the same item
    type Unit = { file: string; hosts: HostState[]; extra: Vars };
    const units = new Map<string, Unit>();
    for (const h of hosts) {
      const { scopeFor } = await import('./vars.js');
      const base = scopeFor(pr.scope, h, [...inh.layers, ...(inc.vars ? [inc.vars] : [])], inh.params);
      const conds = [...parent.when, ...(inc.when !== undefined ? [{ cond: inc.when, source: inc.source }] : [])];
      const items = inc.loop !== undefined ? loopItems(inc.loopKind!, renderValue(inc.loop, base, { source: inc.source }), inc.source) : [undefined];
      const loopVar = String((inc.loopControl as Vars | undefined)?.['loop_var'] ?? 'item');
      for (const item of items) {
        const v = inc.loop !== undefined ? { ...base, [loopVar]: item } : base;
        if (!conds.every((c) => evalCondition(c.cond, v, { source: c.source }))) {
          h.stats.skipped++;
          this.rc.renderer.emit({ type: 'host_result', host: h.name, task: `${inc.directive}`, status: 'skipped', result: { changed: false, skipped: true } });
          continue;
        }
        const target = String(renderValue(inc.target, v, { source: inc.source }));
        const params = renderValue(inc.args['vars'] ?? {}, v) as Vars;
        const extra: Vars = { ...(inc.loop !== undefined ? { [loopVar]: item } : {}), ...params };
        const key = `${target}\0${JSON.stringify(extra)}`;
        let u = units.get(key);
        if (!u) units.set(key, (u = { file: target, hosts: [], extra }));
        u.hosts.push(h);
      }
    }
    for (const u of units.values()) {
      let tasks: TaskNode[];
      let label: string;
      if (inc.directive === 'include_tasks') {
        const path = resolveTaskFile(u.file, inc.roleDir ? resolve(inc.roleDir, 'tasks') : inc.baseDir, this.rc.load);
        if (!path) {
          for (const h of u.hosts) this.failHost(h, new TsplayError('playbook', `include_tasks: cannot find '${u.file}'`, { source: inc.source }), 'include_tasks');
          continue;
        }
        tasks = loadTaskFile(path, this.rc.load);
        label = path;
      } else {
        const { loadRoleIntoPlay } = await import('../config/roles.js');
        const fake = { roleDefaults: {}, roleVars: {}, dir: pr.play.dir, file: pr.play.file } as unknown as PlayIR;
        const loaded = loadRoleIntoPlay({ role: u.file, ...inc.args }, [inc.raw], 0, fake, this.rc.load);
        tasks = loaded.tasks;
        label = u.file;
        u.extra = { ...fake.roleDefaults, ...fake.roleVars, ...u.extra };
        // a dynamically included role's handlers join the play's
        for (const hd of loaded.handlers) if (hd.kind === 'task') pr.play.handlers.push({ ...hd, handlerIndex: pr.play.handlers.length });
      }
      for (const h of u.hosts) this.rc.renderer.emit({ type: 'include', host: h.name, file: label });
      await this.runList(tasks, pr, u.hosts, { ...inh, params: [...inh.params, u.extra] });
    }
  }

  private async runMeta(m: MetaIR, pr: PlayRun, hosts: HostState[], inh: Inherited): Promise<void> {
    switch (m.action) {
      case 'flush_handlers':
        await this.flushHandlers(pr, hosts);
        return;
      case 'end_play':
        for (const h of pr.batch) h.ended = true;
        return;
      case 'end_host':
        for (const h of hosts) {
          const { scopeFor } = await import('./vars.js');
          const v = scopeFor(pr.scope, h, inh.layers, inh.params);
          if (m.when === undefined || evalCondition(m.when, v, { source: m.source })) h.ended = true;
        }
        return;
      case 'noop':
      case 'clear_facts':
      case 'refresh_inventory':
        return;
      case 'clear_host_errors':
        for (const h of pr.batch) h.failed = false;
        return;
      case 'reset_connection':
        return;
      default:
        throw new TsplayError('playbook', `meta: unknown action '${m.action}'`, { source: m.source });
    }
  }

  async flushHandlers(pr: PlayRun, hosts: HostState[]): Promise<void> {
    const force = this.rc.opts.forceHandlers || toBool(renderValue(pr.play.forceHandlers ?? false, pr.scope.playVars));
    for (const hd of pr.play.handlers) {
      const names = new Set([hd.name ?? '', ...hd.listen]);
      const targets = hosts.filter((h) => (h.alive() || (force && !h.unreachable)) && [...h.notified].some((n) => names.has(n)));
      if (!targets.length) continue;
      for (const h of targets) for (const n of names) h.notified.delete(n);
      const wasFailed = targets.filter((h) => h.failed);
      for (const h of wasFailed) h.failed = false;
      await this.runTask(hd, pr, targets, inherit(ROOT, { ...pr.play, vars: undefined, when: undefined, source: pr.play.source }), true);
      for (const h of wasFailed) h.failed = true;
    }
    for (const h of hosts) h.notified.clear();
  }
}

/** Does the play refer to gathered facts anywhere (ansible_facts, or ansible_<fact>)? */
function mentionsFacts(play: PlayIR): boolean {
  const text = JSON.stringify([play.vars, play.preTasks.map((t) => t.raw), play.tasks.map((t) => t.raw), play.postTasks.map((t) => t.raw), play.handlers.map((t) => t.raw)]);
  const connVars = /ansible_(host|port|user|password|become\w*|connection|ssh\w*|python_interpreter|check_mode|diff_mode|play_\w+|loop\w*|version|verbosity|facts_?)\b/;
  const m = text.match(/ansible_[a-z0-9_]+/g) ?? [];
  return text.includes('ansible_facts') || m.some((x) => !connVars.test(x)) || /\b(hostvars)\b/.test(text);
}
