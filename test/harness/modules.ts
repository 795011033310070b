/**
 * Run one module against any Connection (a FakeHost or a real ssh/local connection) through the engine's own
 * path: registry → validateArgs → executeModule (secret registration, check → apply, fact cache invalidation).
 * runModule returns the result with every command sent, the warnings and the facts asked; converge() runs a
 * module until it is idempotent (check mode changes nothing, first run changed, second run ok).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import type { Connection, RunOptions } from '../../src/connection/types.js';
import type { AnyModule, CheckResult, ModuleContext, ResultData } from '../../src/contract/define.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { executeModule, makeContext, type ExecEnv } from '../../src/engine/execute.js';
import { builtinModules } from '../../modules/index.js';
import { evalCondition, evalExpression, renderTemplateFile } from '../../src/engine/templating/index.js';
import { FakeFactCache, FakeHost, type RunCall } from './fake-host.js';

export const registry = new ModuleRegistry(builtinModules);

export interface RunModuleOpts {
  check?: boolean;
  diff?: boolean;
  become?: boolean;
  becomeUser?: string;
  /** the task's variables (inventory_hostname is the target's name unless given) */
  vars?: Record<string, unknown>;
  /** where relative controller paths (fetch's dest) resolve (default: baseDir) */
  controllerDir?: string;
  /** where `src` files and templates are looked up (default: test/fixtures) */
  baseDir?: string;
  /** the inventory hostname the module sees (default: the target's name) */
  host?: string;
  /** default: the real templating over `vars` */
  evaluate?: (expr: string) => unknown;
  condition?: (cond: unknown) => boolean;
  /** default: read from baseDir / render with the engine's template renderer */
  readControllerFile?: ModuleContext['readControllerFile'];
  renderTemplate?: ModuleContext['renderTemplate'];
  /** read every fact afresh (no cache between check() and apply()) */
  freshFacts?: boolean;
}

export interface ModuleRun {
  result: ResultData;
  /** every command sent to the connection, in order (fact reads included) */
  commands: RunCall[];
  warnings: string[];
  logs: string[];
  /** every fact asked (canned or read) */
  facts: { name: string; args: unknown }[];
}

type Recorded = Omit<ModuleRun, 'result'>;

/** A connection that records what goes through it (a FakeHost records itself). */
function recording(conn: Connection, rec: Recorded): Connection {
  if (conn instanceof FakeHost) {
    const start = conn.runs.length;
    Object.defineProperty(rec, 'commands', { get: () => conn.runs.slice(start), enumerable: true, configurable: true });
    return conn;
  }
  return {
    get target() {
      return conn.target;
    },
    connect: () => conn.connect(),
    close: () => conn.close(),
    run(script: string, opts: RunOptions = {}) {
      rec.commands.push({ script, opts, ...(opts.stdin === undefined ? {} : { stdin: Buffer.from(opts.stdin).toString('utf8') }) });
      return conn.run(script, opts);
    },
  };
}

/** The ExecEnv the engine would build for a task on `conn` (task-exec.ts), plus what it records. */
export function moduleEnv(conn: Connection, opts: RunModuleOpts = {}): { env: ExecEnv; rec: Recorded } {
  const rec: Recorded = { commands: [], warnings: [], logs: [], facts: [] };
  const c = recording(conn, rec);
  const baseDir = opts.baseDir ?? resolve(import.meta.dirname, '../fixtures');
  const vars = { inventory_hostname: conn.target.name, ...(opts.vars ?? {}) };
  const env: ExecEnv = {
    host: opts.host ?? conn.target.name,
    vars,
    checkMode: opts.check ?? false,
    diffMode: opts.diff ?? false,
    become: opts.become ?? false,
    becomeUser: opts.becomeUser ?? 'root',
    connection: async () => c,
    controllerDir: opts.controllerDir ?? baseDir,
    facts: new FakeFactCache((name, args) => void rec.facts.push({ name, args }), opts.freshFacts ?? false),
    readControllerFile:
      opts.readControllerFile ??
      (async (src) => {
        const path = resolve(baseDir, src);
        return { path, data: await readFile(path) };
      }),
    renderTemplate: opts.renderTemplate ?? ((src, extra) => renderTemplateFile(resolve(baseDir, src), { ...vars, ...(extra ?? {}) })),
    evaluate: opts.evaluate ?? ((expr) => evalExpression(expr, vars)),
    condition: opts.condition ?? ((cond) => evalCondition(cond, vars)),
    warn: (m) => {
      rec.warnings.push(m);
      if (conn instanceof FakeHost) conn.warnings.push(m);
    },
    log: (m) => void rec.logs.push(m),
  };
  return { env, rec };
}

/** The ModuleContext a module's check()/apply() would get (for tests that call them directly). */
export function moduleContext(conn: Connection, opts: RunModuleOpts = {}): Recorded & { ctx: ModuleContext } {
  const { env, rec } = moduleEnv(conn, opts);
  return Object.assign(rec, { ctx: makeContext(env) });
}

function moduleOf(mod: string | AnyModule): AnyModule {
  if (typeof mod !== 'string') return mod;
  const m = registry.get(mod);
  if (!m) throw new Error(`unknown module ${mod}`);
  return m;
}

/** Validate like the engine, then executeModule(): the result, and what went to the host. */
export async function runModule(conn: Connection, mod: string | AnyModule, rawArgs: Record<string, unknown>, opts: RunModuleOpts = {}): Promise<ModuleRun> {
  const m = moduleOf(mod);
  const args = validateArgs(m, rawArgs);
  const { env, rec } = moduleEnv(conn, opts);
  const result = await executeModule(m, args, env);
  // a FakeHost's commands are a live view: freeze them at the end of the run
  Object.defineProperty(rec, 'commands', { value: [...rec.commands], writable: true, enumerable: true, configurable: true });
  return Object.assign(rec, { result });
}

/** Validate like the engine, then only check() (read-only: facts in, plan out). */
export async function checkModule<P = unknown>(
  conn: Connection,
  mod: string | AnyModule,
  rawArgs: Record<string, unknown>,
  opts: RunModuleOpts = {},
): Promise<CheckResult<P>> {
  const m = moduleOf(mod);
  const args = validateArgs(m, rawArgs);
  return (await m.check(moduleContext(conn, opts).ctx, args)) as CheckResult<P>;
}

export interface ConvergeOpts extends RunModuleOpts {
  /** run in check mode first (default true): it must report changed and change nothing */
  checkFirst?: boolean;
  /** what the host looks like (a snapshot, or assertions): taken before and after check mode, must be equal */
  unchanged?: () => unknown;
  /** the second (no-op) run costs exactly this many commands */
  noopCommands?: number;
}

export interface Converged {
  checked?: ModuleRun;
  first: ModuleRun;
  second: ModuleRun;
}

/** check mode → changed, host unchanged; first run → changed; second run → ok. None failed. */
export async function converge(conn: Connection, mod: string | AnyModule, args: Record<string, unknown>, opts: ConvergeOpts = {}): Promise<Converged> {
  const { checkFirst = true, unchanged, noopCommands, ...o } = opts;
  const ok = (r: ModuleRun, changed: boolean, what: string) => {
    expect(r.result.failed, `${what}: ${JSON.stringify(r.result)}`).toBeFalsy();
    expect(r.result.changed, `${what}: ${JSON.stringify(r.result)}`).toBe(changed);
  };
  let checked: ModuleRun | undefined;
  if (checkFirst) {
    const before = await unchanged?.();
    checked = await runModule(conn, mod, args, { ...o, check: true });
    ok(checked, true, 'check mode');
    if (unchanged) expect(await unchanged()).toEqual(before);
  }
  const first = await runModule(conn, mod, args, o);
  ok(first, true, 'first run');
  const second = await runModule(conn, mod, args, o);
  ok(second, false, 'second run');
  if (noopCommands !== undefined) expect(second.commands).toHaveLength(noopCommands);
  return { checked, first, second };
}
