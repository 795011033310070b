/**
 * Run one module against a real Connection, exactly as the engine does (registry → validation → check/apply),
 * for module-level lab tests: first run changed, second run ok, check mode changes nothing.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import ejs from 'ejs';
import type { Connection } from '../../src/connection/types.js';
import type { ResultData } from '../../src/contract/define.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { executeModule } from '../../src/engine/execute.js';
import { FactCache } from '../../src/facts/cache.js';
import { builtinModules } from '../../modules/index.js';
import { evalCondition, evalExpression } from '../../src/engine/templating/index.js';

export const registry = new ModuleRegistry(builtinModules);

export interface RunModuleOpts {
  check?: boolean;
  diff?: boolean;
  become?: boolean;
  becomeUser?: string;
  vars?: Record<string, unknown>;
  /** where `src` files and templates are looked up (default: test/fixtures) */
  baseDir?: string;
}

export async function runModule(conn: Connection, name: string, rawArgs: Record<string, unknown>, opts: RunModuleOpts = {}): Promise<ResultData> {
  const mod = registry.get(name);
  if (!mod) throw new Error(`unknown module ${name}`);
  const args = validateArgs(mod, rawArgs);
  const baseDir = opts.baseDir ?? resolve(import.meta.dirname, '../fixtures');
  const vars = { inventory_hostname: conn.target.name, ...(opts.vars ?? {}) };
  return executeModule(mod, args, {
    host: conn.target.name,
    vars,
    checkMode: opts.check ?? false,
    diffMode: opts.diff ?? false,
    become: opts.become ?? false,
    becomeUser: opts.becomeUser ?? 'root',
    connection: async () => conn,
    facts: new FactCache(),
    async readControllerFile(src) {
      const path = resolve(baseDir, src);
      return { path, data: await readFile(path) };
    },
    async renderTemplate(src, extra) {
      const path = resolve(baseDir, src);
      return ejs.render(await readFile(path, 'utf8'), { ...vars, ...(extra ?? {}) }, { filename: path });
    },
    evaluate: (expr) => evalExpression(expr, vars),
    condition: (cond) => evalCondition(cond, vars),
    warn: () => {},
    log: () => {},
  });
}
