/**
 * The linear strategy: play by play, batch by batch (serial), task by task; each task runs on all live hosts
 * of the batch in parallel (bounded by forks). Blocks run their rescue for the hosts that failed in them and
 * their always for every host that entered. A playbook stops when a play is aborted (any_errors_fatal,
 * max_fail_percentage) or when every host of a batch failed in it, as ansible-playbook does.
 */
import { relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Inventory } from '../config/inventory/index.js';
import type { BlockIR, PlayIR, Playbook, TaskNode, Vars } from '../config/playbook-types.js';
import { TsplayError, UnreachableError } from '../errors.js';
import { loadYamlFile, posOfKey } from '../config/yaml.js';
import { isObj } from '../config/load-context.js';
import { renderValue } from './templating/index.js';
import { LazyMapping } from './templating/py.js';
import { HostState } from './host-state.js';
import { inherit, ROOT, type Inherited, type PlayRun, type RunContext } from './context.js';
import { toBool } from './task-exec.js';
import { resolveConnectionKeywords, withConnectionSettings } from './keywords.js';
import { addFacts, factVars, type PlayScope } from './vars.js';
import { gatherFacts } from '../../lib/facts/gather.js';
import type { HostStats } from './events.js';
import { pmap, runTask } from './task-run.js';
import { runInclude } from './includes.js';
import { runMeta } from './meta.js';
import { flushHandlers } from './handlers.js';

export interface RunSummary {
  stats: Record<string, HostStats>;
  exitCode: number;
}

export class Runner {
  /** hosts that took part in a play (the recap lists them) */
  private readonly played = new Set<HostState>();
  private aborted = false;

  constructor(
    readonly runCtx: RunContext,
    private readonly inventory: Inventory,
    private readonly limit: string[] | undefined,
  ) {
    runCtx.inventoryChange = (host, result) => this.inventoryChange(host, result);
  }

  /** the play running now (group_by / add_host refresh its `groups`) */
  private current?: PlayRun;

  /** group_by's add_group / add_host's add_host result into the inventory, as ansible-core's strategy does. */
  private inventoryChange(host: string, r: Record<string, unknown>): boolean {
    let changed = false;
    const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    const add = r['add_host'];
    if (add && typeof add === 'object') {
      const a = add as Record<string, unknown>;
      const vars = a['host_vars'] && typeof a['host_vars'] === 'object' ? (a['host_vars'] as Record<string, unknown>) : {};
      changed = this.inventory.addDynamicHost(String(a['host_name']), strs(a['groups']), vars);
    } else if (typeof r['add_group'] === 'string') changed = this.inventory.addDynamicGroup(host, r['add_group'], strs(r['parent_groups']));
    if (changed) {
      for (const [name, h] of this.runCtx.hosts) {
        if (!this.inventory.hasHost(name)) continue;
        Object.assign(h.magic, this.inventory.hostMagic(name));
        h.invVars = this.inventory.hostVars(name);
      }
      if (this.current) this.current.scope.magic['groups'] = this.inventory.groupsMap();
    }
    return changed;
  }

  hostState(name: string): HostState {
    let h = this.runCtx.hosts.get(name);
    if (!h) {
      const known = this.inventory.hasHost(name) || this.inventory.isImplicitLocalhost(name);
      h = new HostState(name, known ? this.inventory.hostVars(name) : { ansible_connection: 'local' });
      if (known) Object.assign(h.magic, this.inventory.hostMagic(name));
      // facts an earlier run left in the fact cache (jsonfile), at facts precedence
      const cached = this.runCtx.factCache?.get(name);
      if (cached) addFacts(h.facts, cached);
      this.runCtx.hosts.set(name, h);
    }
    return h;
  }

  async run(pb: Playbook): Promise<RunSummary> {
    const started = Date.now();
    this.runCtx.events.emit({
      type: 'playbook_start',
      file: pb.file,
      check: this.runCtx.opts.check,
      plays: pb.plays.length,
      path: relative(process.cwd(), pb.file),
    });
    for (const play of pb.plays) {
      if (!(await this.runPlay(play))) break;
    }
    // as Ansible's recap: hosts something happened to (a host whose every task was filtered out is not listed)
    const stats: Record<string, HostStats> = {};
    for (const h of this.played) if (Object.values(h.stats).some((n) => n > 0)) stats[h.name] = h.stats;
    this.runCtx.events.emit({ type: 'recap', stats, durationMs: Date.now() - started });
    const hs = [...this.played];
    // as ansible-playbook: failed hosts are those still failed at the end (meta: clear_host_errors clears them)
    const exitCode = hs.some((h) => h.unreachable) ? 4 : hs.some((h) => h.failed) || this.aborted ? 2 : 0;
    return { stats, exitCode };
  }

  /** Returns false when the playbook must stop. */
  private async runPlay(play: PlayIR): Promise<boolean> {
    const runCtx = this.runCtx;
    const extra = runCtx.opts.extraVars;
    const patternRaw = renderValue(play.hosts, { ...play.vars, ...extra }, { source: posOfKey(play.raw, 'hosts'), what: 'hosts' });
    const patterns = Array.isArray(patternRaw) ? patternRaw.map(String) : [String(patternRaw)];
    const sel = this.inventory.select(patterns, { limit: this.limit });
    for (const u of sel.unmatched) runCtx.events.emit({ type: 'warning', message: `Could not match supplied host pattern, ignoring: ${u}` });
    const playName = play.name ?? patterns.join(',');
    const all = order(sel.hosts, play, extra).map((n) => this.hostState(n));
    if (!all.length) {
      runCtx.events.emit({ type: 'play_start', name: playName, hosts: [], source: play.source });
      runCtx.events.emit({ type: 'no_hosts', pattern: patterns.join(',') });
      return true;
    }
    const strategy = play.raw['strategy'] !== undefined ? renderValue(play.raw['strategy'], { ...play.vars, ...extra }, { what: 'strategy' }) : undefined;
    if (strategy !== undefined && !['linear', 'ansible.builtin.linear'].includes(String(strategy))) {
      runCtx.events.emit({ type: 'warning', message: `strategy '${String(strategy)}' is not supported: the play runs with the linear strategy` });
    }
    const scope = this.playScope(play, all);
    await this.prompt(play, scope);
    const handlers = [...play.handlers];
    for (const batch of this.batches(play, all, scope)) {
      const live = batch.filter((h) => !h.failed && !h.unreachable);
      for (const h of batch) {
        this.played.add(h);
        h.ended = false;
        // ansible-core's failed_hosts start empty with every batch (hosts failed before stay failed)
        if (!h.failed) h.fatal = false;
        h.notified.clear();
      }
      runCtx.events.emit({ type: 'play_start', name: playName, hosts: live.map((h) => h.name), source: play.source });
      if (!live.length) continue;
      const pr: PlayRun = {
        play,
        scope,
        playHosts: all,
        batch,
        maxFailPercentage: play.maxFailPercentage != null ? Number(renderValue(play.maxFailPercentage, { ...play.vars, ...extra })) : undefined,
        handlers,
        aborted: false,
        endBatch: false,
        endPlay: false,
      };
      this.current = pr;
      this.updateBatchMagic(pr);
      for (const h of live) scope.varsFiles.set(h.name, this.loadVarsFiles(play, h, scope));
      const inh = inherit(ROOT, { ...play, vars: undefined, source: play.source });
      await this.maybeGatherFacts(pr, live, inh);
      for (const section of [play.preTasks, play.tasks, play.postTasks]) {
        await this.runList(section, pr, live, inh);
        await flushHandlers(this, pr, live);
      }
      if (pr.aborted || pr.breakPlay) {
        this.aborted = true;
        return false;
      }
      const newlyFailed = live.filter((h) => h.failed || h.unreachable).length;
      if (newlyFailed === batch.length) return false;
      if (pr.endPlay) break;
    }
    return true;
  }

  private playScope(play: PlayIR, all: HostState[]): PlayScope {
    const runCtx = this.runCtx;
    const known = (h: string) => this.inventory.hasHost(h) || runCtx.hosts.has(h);
    // hostvars itself is a plain mapping (iterable, `in`), but each host's variables are a lazy view: the
    // templating layer doesn't resolve all hosts' variables up front, and a value is rendered with its own
    // host's variables when read (as Ansible's HostVars)
    const hostvars = new Proxy({} as Record<string, Vars>, {
      get: (_t, prop) => (typeof prop === 'string' && known(prop) ? this.hostVarsView(prop) : undefined),
      has: (_t, prop) => typeof prop === 'string' && known(prop),
      ownKeys: () => this.inventory.hostNames(),
      getOwnPropertyDescriptor: (_t, prop) =>
        typeof prop === 'string' && this.inventory.hasHost(prop) ? { enumerable: true, configurable: true, value: this.hostVarsView(prop) } : undefined,
    });
    const names = all.map((h) => h.name);
    return {
      roleDefaults: { ...play.roleDefaults },
      playVars: play.vars ?? {},
      prompted: {},
      varsFiles: new Map(),
      roleVars: { ...play.roleVars },
      extraVars: runCtx.opts.extraVars,
      hostvars,
      magic: {
        groups: this.inventory.groupsMap(),
        ansible_play_hosts_all: names,
        ansible_play_name: play.name ?? '',
        ansible_check_mode: runCtx.opts.check,
        ansible_diff_mode: runCtx.opts.diff,
        ansible_verbosity: runCtx.opts.verbosity,
        ansible_run_tags: runCtx.opts.tags.length ? runCtx.opts.tags : ['all'],
        ansible_skip_tags: runCtx.opts.skipTags,
        playbook_dir: play.dir,
        ansible_playbook_python: process.execPath,
        ansible_version: { full: '2.14.0', major: 2, minor: 14, revision: 0, string: '2.14.0 (tsplay)' },
      },
      batchMagic: {},
    };
  }

  /** ansible_play_hosts (the play's hosts still active), ansible_play_batch / play_hosts (the batch's). */
  updateBatchMagic(pr: PlayRun): void {
    const ok = (h: HostState) => !h.failed && !h.unreachable;
    const batch = pr.batch.filter(ok).map((h) => h.name);
    pr.scope.batchMagic = { ansible_play_hosts: pr.playHosts.filter(ok).map((h) => h.name), ansible_play_batch: batch, play_hosts: batch };
  }

  /** hostvars[host]: reads render the host's own values in the host's own context. */
  private hostVarsView(name: string): Vars {
    const full = this.hostVarsFull(name);
    const cache = new Map<string, unknown>();
    const read = (k: string) => {
      // as Ansible's HostVarsVars (fail_on_undefined=False): a value naming a variable the host lacks stays as written
      if (!cache.has(k)) cache.set(k, renderOrRaw(full[k], full));
      return cache.get(k);
    };
    return new Proxy(new HostVarsView() as unknown as Vars, {
      get: (_t, k) => (typeof k === 'string' && k in full ? read(k) : undefined),
      has: (_t, k) => typeof k === 'string' && k in full,
      ownKeys: () => Object.keys(full),
      getOwnPropertyDescriptor: (_t, k) => (typeof k === 'string' && k in full ? { enumerable: true, configurable: true, value: read(k) } : undefined),
    });
  }

  /** Everything known about a host, as hostvars[host] shows it (no play or task variables). */
  private hostVarsFull(name: string): Vars {
    const h = this.runCtx.hosts.get(name);
    const known = this.inventory.hasHost(name) || this.inventory.isImplicitLocalhost(name);
    const inv = known ? this.inventory.hostVars(name) : {};
    const magic = known ? this.inventory.hostMagic(name) : { inventory_hostname: name, inventory_hostname_short: name.split('.')[0], group_names: [] };
    return { ...inv, ...(h ? factVars(h.facts) : {}), ...(h?.included ?? {}), ...(h?.registered ?? {}), ...this.runCtx.opts.extraVars, ...magic };
  }

  private batches(play: PlayIR, hosts: HostState[], scope: PlayScope): HostState[][] {
    if (play.serial == null) return [hosts];
    const raw = renderValue(play.serial, { ...scope.playVars, ...scope.extraVars }, { source: posOfKey(play.raw, 'serial'), what: 'serial' });
    const specs = Array.isArray(raw) ? raw : [raw];
    if (!specs.length) return [hosts];
    const sizes = specs.map((s) => {
      const str = String(s).trim();
      // pct_to_int: a percentage of the play's hosts, at least 1
      const n = str.endsWith('%') ? Math.floor((hosts.length * parseFloat(str)) / 100) || 1 : parseInt(str, 10);
      if (Number.isNaN(n)) throw new TsplayError('playbook', `serial: '${str}' is not a number or a percentage`, { source: posOfKey(play.raw, 'serial') });
      return n;
    });
    const out: HostState[][] = [];
    const rest = [...hosts];
    for (let k = 0; rest.length; k++) {
      const size = sizes[Math.min(k, sizes.length - 1)]!;
      out.push(size <= 0 ? rest.splice(0) : rest.splice(0, size));
    }
    return out;
  }

  /** vars_prompt: asked once per play, unless given with -e. */
  private async prompt(play: PlayIR, scope: PlayScope): Promise<void> {
    for (const p of play.varsPrompt) {
      if (p.name in this.runCtx.opts.extraVars) continue;
      if (!this.runCtx.prompt) {
        if (p.default === undefined)
          throw new TsplayError('playbook', `vars_prompt: no terminal to ask for '${p.name}' and no default (give it with -e ${p.name}=...)`, {
            source: posOfKey(play.raw, 'vars_prompt'),
          });
        scope.prompted[p.name] = p.default;
        continue;
      }
      const text = `${p.prompt}${p.default !== undefined ? ` [${String(p.default)}]` : ''}: `;
      let answer = await this.runCtx.prompt(text, p.private);
      if (p.confirm) {
        const again = await this.runCtx.prompt(`confirm ${text}`, p.private);
        if (again !== answer) throw new TsplayError('playbook', `vars_prompt: the values entered for '${p.name}' do not match`);
      }
      if (answer === '' && p.default !== undefined) answer = String(p.default);
      scope.prompted[p.name] = answer;
    }
  }

  private loadVarsFiles(play: PlayIR, h: HostState, scope: PlayScope): Vars {
    const out: Vars = {};
    for (const entry of play.varsFiles) {
      const base = { ...h.invVars, ...scope.playVars, ...scope.prompted, ...scope.extraVars, ...h.magic, inventory_hostname: h.name };
      const src = posOfKey(play.raw, 'vars_files');
      // a list entry means: the first file that exists
      const candidates = (Array.isArray(entry) ? entry : [entry]).map((e) => String(renderValue(e, base, { source: src, what: 'vars_files' })));
      const path = candidates.map((c) => resolve(play.dir, c)).find((p) => existsSync(p));
      if (!path) throw new TsplayError('playbook', `vars_files: cannot find ${candidates.join(' or ')}`, { source: src });
      const v = loadYamlFile(path);
      if (v != null && !isObj(v)) throw new TsplayError('playbook', 'a vars file must be a mapping', { source: { file: path, line: 1, col: 1 } });
      Object.assign(out, v);
    }
    return out;
  }

  /**
   * Facts on demand: gathered when gather_facts is true, or (unset) unless the play surely does without them
   * (Ansible always gathers: when in doubt, tsplay does too; it costs one command per host).
   */
  private async maybeGatherFacts(pr: PlayRun, live: HostState[], inh: Inherited): Promise<void> {
    const g = pr.play.gatherFacts;
    // a persistent fact cache keeps what is gathered for later runs: gather as ansible-core does, needed here or not
    const want =
      g === undefined || g === null
        ? !!this.runCtx.factCache?.persistent || mayNeedFacts(pr.play, pr.scope)
        : toBool(renderValue(g, { ...pr.scope.playVars, ...pr.scope.extraVars }));
    if (!want) return;
    const need = live.filter((h) => !h.factsGathered);
    if (!need.length) return;
    this.runCtx.events.emit({ type: 'task_start', name: 'Gathering Facts', action: 'gather_facts', hosts: need.map((h) => h.name), handler: false });
    await pmap(need, this.runCtx.opts.forks, async (h) => {
      try {
        const vars = this.hostVarsFull(h.name);
        const conn = await this.runCtx.connect(h.name, withConnectionSettings(vars, resolveConnectionKeywords(pr.play, inh, vars)));
        const gathered = await gatherFacts(conn);
        Object.assign(h.facts, gathered);
        h.factsGathered = true;
        // into the fact cache as setup returns them: ansible_-prefixed, with module_setup
        this.runCtx.factCache?.update(h.name, { ...Object.fromEntries(Object.entries(gathered).map(([k, v]) => [`ansible_${k}`, v])), module_setup: true });
        h.stats.ok++;
        this.runCtx.events.emit({ type: 'host_result', host: h.name, task: 'Gathering Facts', status: 'ok', result: { changed: false } });
      } catch (e) {
        if (e instanceof UnreachableError) {
          h.unreachable = true;
          h.stats.unreachable++;
          this.runCtx.events.emit({
            type: 'host_result',
            host: h.name,
            task: 'Gathering Facts',
            status: 'unreachable',
            result: { changed: false, unreachable: true, msg: e.message },
          });
          return;
        }
        if (!(e instanceof TsplayError)) throw e;
        h.failed = true;
        h.stats.failed++;
        this.runCtx.events.emit({
          type: 'host_result',
          host: h.name,
          task: 'Gathering Facts',
          status: 'failed',
          result: { changed: false, failed: true, msg: e.format() },
        });
      }
    });
    this.updateBatchMagic(pr);
  }

  async runList(nodes: TaskNode[], pr: PlayRun, hosts: HostState[], inh: Inherited): Promise<void> {
    for (const node of nodes) {
      if (pr.aborted || pr.endBatch) return;
      const live = hosts.filter((h) => h.alive());
      if (!live.length) return;
      if (node.kind === 'block') await this.runBlock(node, pr, live, inh);
      else if (node.kind === 'task') await runTask(this, { task: node, pr, hosts: live, parent: inh });
      else if (node.kind === 'include') await runInclude(this, node, pr, live, inh);
      else await runMeta(this, node, pr, live, inh);
      this.updateBatchMagic(pr);
    }
  }

  private async runBlock(b: BlockIR, pr: PlayRun, hosts: HostState[], parent: Inherited): Promise<void> {
    const inh = { ...inherit(parent, b), ...(b.notify.length ? { notify: b.notify } : {}) };
    const at = (part: 'block' | 'rescue' | 'always'): Inherited => ({
      ...inh,
      sections: [...parent.sections, { part, hasRescue: b.rescue.length > 0, hasAlways: b.always.length > 0 }],
    });
    await this.runList(b.block, pr, hosts, b.rescue.length ? { ...at('block'), rescuable: true } : at('block'));
    if (pr.aborted) return;
    if (b.rescue.length) {
      const toRescue = hosts.filter((h) => h.failed && h.pendingRescue && !h.unreachable);
      for (const h of toRescue) {
        h.failed = false;
        h.pendingRescue = false;
      }
      this.updateBatchMagic(pr);
      await this.runList(b.rescue, pr, toRescue, at('rescue'));
      if (pr.aborted) return;
    }
    if (b.always.length) {
      const entered = hosts.filter((h) => !h.unreachable && !h.ended);
      const failed = entered.filter((h) => h.failed);
      // the always runs for them, then they are failed again, unless meta: clear_host_errors ran meanwhile
      const cleared = new Map(failed.map((h) => [h, h.errorsCleared]));
      for (const h of failed) h.failed = false;
      await this.runList(b.always, pr, entered, at('always'));
      for (const h of failed) if (h.errorsCleared === cleared.get(h)) h.failed = true;
    }
  }
}

function renderOrRaw(v: unknown, vars: Vars): unknown {
  try {
    return renderValue(v, vars);
  } catch (e) {
    if (e instanceof TsplayError && e.code === 'undefined-var') return v;
    throw e;
  }
}

/** The class of hostvars[host] views (not a plain object: the templating layer reads it lazily). */
class HostVarsView extends LazyMapping {}

/** Host order (`order:` keyword): inventory (default), reverse_inventory, sorted, reverse_sorted, shuffle. */
function order(names: string[], play: PlayIR, extra: Vars): string[] {
  const o = play.order === undefined ? 'inventory' : String(renderValue(play.order, { ...play.vars, ...extra }));
  switch (o) {
    case 'reverse_inventory':
      return [...names].reverse();
    case 'sorted':
      return [...names].sort();
    case 'reverse_sorted':
      return [...names].sort().reverse();
    case 'shuffle':
      return [...names]
        .map((n) => [Math.random(), n] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, n]) => n);
    case 'inventory':
      return names;
    default:
      throw new TsplayError('playbook', `order: '${o}' is not one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle`, {
        source: posOfKey(play.raw, 'order'),
      });
  }
}

/**
 * Can the play need gathered facts? Yes when its text (tasks, blocks, static imports, play and role vars and
 * defaults, vars_files) names one (ansible_facts, ansible_<fact>, hostvars), and whenever part of it is read
 * only at run time: a dynamic include, a template file, include_vars.
 */
function mayNeedFacts(play: PlayIR, scope: PlayScope): boolean {
  const raws: unknown[] = [play.vars, play.roleDefaults, play.roleVars, [...scope.varsFiles.values()]];
  let unseen = false;
  const walk = (ns: TaskNode[]) => {
    for (const n of ns) {
      raws.push(n.raw);
      if (n.kind === 'include') unseen = true;
      if (n.kind === 'task' && /(^|\.)(template|include_vars)$/.test(n.action)) unseen = true;
      if (n.kind === 'block') [n.block, n.rescue, n.always].forEach(walk);
    }
  };
  [play.preTasks, play.tasks, play.postTasks, play.handlers].forEach(walk);
  const text = JSON.stringify(raws);
  const connVars =
    /ansible_(host|port|user|password|become\w*|connection|ssh\w*|python_interpreter|check_mode|diff_mode|play_\w+|loop\w*|version|verbosity|facts_?|failed_\w+|index_var|run_tags|skip_tags|role_name|parent_role_names)\b/;
  const m = text.match(/ansible_[a-z0-9_]+/g) ?? [];
  return unseen || text.includes('ansible_facts') || m.some((x) => !connVars.test(x)) || /\b(hostvars)\b/.test(text);
}
