/**
 * A whole playbook in process: the real loader, inventory, Runner and plain renderer, set up as
 * src/cli/commands/run.ts sets them up, over one FakeHost per host (no process, no ssh). Returns the output
 * text, the PLAY RECAP (parsed from the output, and the Runner's own stats), the events and the fake hosts.
 *
 *   const r = await runPlaybook(yaml, { inventory: { h1: { x: 1 } }, hosts: { h1: { respond } }, check: true });
 *   expect(r.host('h1').scripts).toEqual([]);  expect(r.recap.h1).toMatchObject({ changed: 1 });
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadInventory } from '../../src/config/inventory/index.js';
import { loadPlaybook } from '../../src/config/playbook.js';
import type { Vars } from '../../src/config/playbook-types.js';
import type { RunContext } from '../../src/engine/context.js';
import type { HostStats, RunEvent } from '../../src/engine/events.js';
import { HostState } from '../../src/engine/host-state.js';
import { Runner } from '../../src/engine/runner.js';
import { NOCOLOR, PlainRenderer } from '../../src/output/plain.js';
import { parse as parseYaml } from 'yaml';
import { recap } from './cli.js';
import { FakeFactCache, FakeHost, type FakeHostOptions } from './fake-host.js';
import { registry } from './modules.js';

export interface PlaybookOpts {
  /** host → host variables (an `all:` YAML inventory), or inventory text (YAML or INI). Default: h1, h2 */
  inventory?: Record<string, Record<string, unknown>> | string;
  /** the fake host of each inventory host (hosts not listed get an empty FakeHost: rc 0, no output) */
  hosts?: Record<string, FakeHostOptions | FakeHost>;
  /** more files beside the playbook (roles/…, vars files, templates): relative path → text */
  files?: Record<string, string>;
  check?: boolean;
  diff?: boolean;
  /** -b */
  become?: boolean;
  extraVars?: Vars;
  tags?: string[];
  skipTags?: string[];
  limit?: string[];
  forks?: number;
  verbosity?: number;
  forceHandlers?: boolean;
  /** 'none': a connection attempt throws (playbooks of controller-side modules only) */
  connections?: 'fake' | 'none';
}

export interface PlaybookRun {
  exitCode: number;
  /** everything the plain renderer printed */
  output: string;
  /** PLAY RECAP parsed from the output */
  recap: Record<string, Record<string, number>>;
  /** the Runner's stats (what the recap prints) */
  stats: Record<string, HostStats>;
  events: RunEvent[];
  /** host_result events of a task, by host */
  results(task: string): Record<string, Extract<RunEvent, { type: 'host_result' }>[]>;
  /** the fake host of an inventory host (created on first connection, or given in opts.hosts) */
  host(name: string): FakeHost;
  hosts: Map<string, FakeHost>;
  /** the playbook file */
  file: string;
}

/** Run `playbook` (YAML text, or the path of a playbook file) to its end. */
export async function runPlaybook(playbook: string, opts: PlaybookOpts = {}): Promise<PlaybookRun> {
  let file: string;
  const isText = playbook.includes('\n') || !playbook.endsWith('.yml');
  if (isText) {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-inproc-'));
    file = join(dir, 'play.yml');
    writeFileSync(file, playbook);
  } else file = resolve(playbook);
  const dir = dirname(file);
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const inv = opts.inventory ?? { h1: {}, h2: {} };
  const invFile = join(mkdtempSync(join(tmpdir(), 'tsplay-inproc-inv-')), typeof inv === 'string' && !isYamlMapping(inv) ? 'hosts.ini' : 'hosts.yml');
  writeFileSync(invFile, typeof inv === 'string' ? inv : JSON.stringify({ all: { hosts: inv } }));
  const inventory = await loadInventory([invFile], { playbookDir: dir });

  const hosts = new Map<string, FakeHost>();
  for (const [name, h] of Object.entries(opts.hosts ?? {})) hosts.set(name, h instanceof FakeHost ? h : new FakeHost({ ...h, target: { name, ...h.target } }));
  const hostOf = (name: string) => {
    let h = hosts.get(name);
    if (!h) hosts.set(name, (h = new FakeHost({ target: { name } })));
    return h;
  };

  const lines: string[] = [];
  const events: RunEvent[] = [];
  const plain = new PlainRenderer(opts.verbosity ?? 0, !!opts.diff, (l) => lines.push(l), NOCOLOR);
  const extraVars = opts.extraVars ?? {};
  const runCtx: RunContext = {
    registry,
    events: {
      verbosity: plain.verbosity,
      diff: plain.diff,
      emit: (e) => {
        events.push(e);
        plain.emit(e);
      },
      end: () => plain.end(),
    },
    opts: {
      check: !!opts.check,
      diff: !!opts.diff,
      forks: opts.forks ?? 5,
      verbosity: opts.verbosity ?? 0,
      tags: opts.tags ?? [],
      skipTags: opts.skipTags ?? [],
      forceHandlers: !!opts.forceHandlers,
      extraVars: opts.become ? { ansible_become: true, ...extraVars } : extraVars,
    },
    hosts: new Map(),
    hostVarsOf: (name) =>
      inventory.hasHost(name) || inventory.isImplicitLocalhost(name) ? inventory.hostVars(name) : { ansible_connection: 'local', inventory_hostname: name },
    load: { registry, playbookDir: dir },
    connect: async (host) => {
      if (opts.connections === 'none') throw new Error(`test: no connection to ${host} expected`);
      const h = hostOf(host);
      await h.connect();
      return h;
    },
  };
  // the hosts' state as Runner.hostState() creates it, with a fact cache that asks the fake hosts first
  for (const name of inventory.hostNames()) {
    const h = new FakeHostState(name, inventory.hostVars(name));
    Object.assign(h.magic, inventory.hostMagic(name));
    runCtx.hosts.set(name, h);
  }
  const summary = await new Runner(runCtx, inventory, opts.limit).run(loadPlaybook(file, { registry, playbookDir: dir }));
  await runCtx.events.end();
  const output = lines.join('\n') + '\n';
  return {
    exitCode: summary.exitCode,
    output,
    recap: recap(output),
    stats: summary.stats,
    events,
    hosts,
    file,
    host: hostOf,
    results(task) {
      const out: ReturnType<PlaybookRun['results']> = {};
      for (const e of events) if (e.type === 'host_result' && e.task === task) (out[e.host] ??= []).push(e);
      return out;
    },
  };
}

function isYamlMapping(text: string): boolean {
  try {
    const v: unknown = parseYaml(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

class FakeHostState extends HostState {
  override readonly factCache = new FakeFactCache();
}
