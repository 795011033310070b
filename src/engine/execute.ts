/**
 * Run one module on one host: check(), then apply() unless in check mode. The engine's only contact with
 * modules. Module failures become failed results; unreachable hosts propagate as UnreachableError.
 */
import type { Connection, RunOptions, RunResult } from '../connection/types.js';
import type { AnyModule, CheckContext, ModuleContext, ResultData } from '../contract/define.js';
import { FactCache } from '../facts/cache.js';
import { BecomeError, ModuleError, TsplayError, UnreachableError } from '../errors.js';
import { registerSecret } from '../output/mask.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';

export interface ExecEnv {
  host: string;
  vars: Record<string, unknown>;
  checkMode: boolean;
  diffMode: boolean;
  become: boolean;
  becomeUser: string;
  noLog?: boolean;
  verbosity?: number;
  /** task `environment:` (added to every command's environment) */
  environment?: Record<string, string>;
  /** the task's `timeout:` (seconds): each command of the task is killed after it */
  timeoutSec?: number;
  /** the host's connection (opened on first use); null for controller-only modules */
  connection: () => Promise<Connection>;
  facts: FactCache;
  readControllerFile: ModuleContext['readControllerFile'];
  /** the directory relative controller paths are resolved against (the playbook's) */
  controllerDir: string;
  renderTemplate: ModuleContext['renderTemplate'];
  evaluate: ModuleContext['evaluate'];
  condition: ModuleContext['condition'];
  warn(message: string): void;
  log(message: string): void;
}

export function makeContext(env: ExecEnv): ModuleContext {
  const run = async (command: string, opts: RunOptions = {}): Promise<RunResult> => {
    const conn = await env.connection();
    const become = opts.become ?? env.become;
    const vars = env.environment && Object.keys(env.environment).length ? { ...env.environment, ...opts.env } : opts.env;
    const timeoutMs = opts.timeoutMs ?? (env.timeoutSec ? env.timeoutSec * 1000 : undefined);
    return conn.run(command, { ...opts, env: vars, become, becomeUser: opts.becomeUser ?? env.becomeUser, timeoutMs });
  };
  return {
    host: env.host,
    vars: env.vars,
    checkMode: env.checkMode,
    diffMode: env.diffMode,
    become: env.become,
    becomeUser: env.becomeUser,
    noLog: env.noLog,
    verbosity: env.verbosity,
    run,
    probe: run,
    async runOk(command, opts) {
      const r = await run(command, opts);
      if (r.rc !== 0) {
        const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
        throw new ModuleError(`command failed (rc=${r.rc})${detail ? ': ' + detail : ''}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
      }
      return r;
    },
    async fact(fact, args) {
      return env.facts.get(await env.connection(), fact, args, env.become, env.becomeUser);
    },
    readControllerFile: env.readControllerFile,
    controllerPath: (p) => resolvePath(env.controllerDir, p),
    async readControllerPath(p) {
      try {
        return await readFile(resolvePath(env.controllerDir, p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new ModuleError(`cannot read ${p} on the controller: ${(e as Error).message}`);
      }
    },
    async writeControllerPath(p, data) {
      const abs = resolvePath(env.controllerDir, p);
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, data);
    },
    renderTemplate: env.renderTemplate,
    evaluate: env.evaluate,
    condition: env.condition,
    secret: registerSecret,
    warn: env.warn,
    log: env.log,
  };
}

/** The check() view of a context: the same object without run()/runOk(), so check() cannot change the host. */
function checkContext(ctx: ModuleContext): CheckContext {
  const { run: _run, runOk: _runOk, writeControllerPath: _write, ...view } = ctx;
  return view;
}

/** (prepare →) check → (apply) → Ansible-shaped result. `args` must already be validated. */
export async function executeModule(mod: AnyModule, args: Record<string, unknown>, env: ExecEnv): Promise<ResultData> {
  for (const k of mod.secretArgs ?? []) registerSecret(args[k]);
  const ctx = makeContext(env);
  try {
    if (mod.prepare && !env.checkMode) {
      await mod.prepare(ctx, args);
      env.facts.invalidate();
    }
    const c = await mod.check(checkContext(ctx), args);
    if (!c.changed) return { ...c.result, changed: false };
    if (env.checkMode) {
      if (mod.checkModeSkips) return { ...c.result, changed: false, skipped: true, msg: `skipped in check mode: ${c.summary}` };
      return { ...c.result, changed: true, diff: c.diff ?? c.result?.diff, msg: c.result?.msg ?? c.summary };
    }
    if (!mod.apply) throw new TsplayError('internal', `module ${mod.name} planned a change but has no apply()`);
    const applied = await mod.apply(ctx, args, c.plan);
    env.facts.invalidate();
    return { ...c.result, ...(applied ?? {}), changed: applied?.changed ?? true, diff: c.diff ?? applied?.diff };
  } catch (e) {
    if (e instanceof UnreachableError) throw e;
    env.facts.invalidate();
    if (e instanceof ModuleError) {
      return { ...e.result, failed: true, changed: false, msg: e.message, rc: e.rc, stdout: e.stdout, stderr: e.stderr };
    }
    if (e instanceof BecomeError) return { failed: true, changed: false, msg: e.message };
    if (e instanceof TsplayError) return { failed: true, changed: false, msg: e.format() };
    throw e;
  }
}
