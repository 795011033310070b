/**
 * A scripted host for the system-module unit tests: modules run through the real argument validation and
 * executeModule(), but every shell command goes to `respond`, which sees the script text and returns
 * canned output. Records the commands so tests can assert what apply() would run.
 */
import type { Connection, RunOptions, RunResult } from '../../src/connection/types.js';
import type { ResultData } from '../../src/contract/define.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { executeModule } from '../../src/engine/execute.js';
import { FactCache } from '../../src/facts/cache.js';
import { systemModules } from '../../modules/system/index.js';
import { commandsModules } from '../../modules/commands/index.js';
import { utilModules } from '../../modules/util/index.js';

export const sysRegistry = new ModuleRegistry([...systemModules, ...commandsModules, ...utilModules]);

export type Responder = (script: string, opts: RunOptions) => Partial<RunResult> | undefined;

export interface FakeRun {
  result: ResultData;
  /** every script run, in order */
  commands: { script: string; opts: RunOptions }[];
  warnings: string[];
}

export function res(stdout = '', rc = 0, stderr = ''): Partial<RunResult> {
  return { stdout, rc, stderr };
}

export async function runFake(
  name: string,
  rawArgs: Record<string, unknown>,
  respond: Responder,
  opts: { check?: boolean; become?: boolean; vars?: Record<string, unknown>; evaluate?: (e: string) => unknown; condition?: (c: unknown) => boolean } = {},
): Promise<FakeRun> {
  const mod = sysRegistry.get(name);
  if (!mod) throw new Error(`unknown module ${name}`);
  const args = validateArgs(mod, rawArgs);
  const commands: FakeRun['commands'] = [];
  const warnings: string[] = [];
  const conn: Connection = {
    target: { name: 'h1', host: '10.0.0.1', port: 22, knownHostsFiles: [], globalKnownHostsFiles: [], hostKeyChecking: 'no', connectTimeoutMs: 1000, keepaliveIntervalMs: 0, becomeMethod: 'sudo', connection: 'ssh' },
    async connect() {},
    async close() {},
    async run(script: string, o: RunOptions = {}) {
      commands.push({ script, opts: o });
      const r = respond(script, o) ?? {};
      const stdout = r.stdout ?? '';
      return { rc: r.rc ?? 0, stdout, stderr: r.stderr ?? '', stdoutBuf: Buffer.from(stdout) };
    },
  };
  const result = await executeModule(mod, args, {
    host: 'h1',
    vars: opts.vars ?? {},
    checkMode: opts.check ?? false,
    diffMode: true,
    become: opts.become ?? true,
    becomeUser: 'root',
    connection: async () => conn,
    facts: new FactCache(),
    readControllerFile: async () => {
      throw new Error('not in unit tests');
    },
    renderTemplate: async () => '',
    evaluate: opts.evaluate ?? (() => undefined),
    condition: opts.condition ?? (() => true),
    warn: (m) => warnings.push(m),
    log: () => {},
  });
  return { result, commands, warnings };
}
