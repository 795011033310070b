/**
 * System, command and utility modules on a scripted FakeHost: `respond` sees each script (fact reads included)
 * and returns canned output. Tasks run as root with diffs, as the system modules usually do.
 */
import { FakeHost, res, type Responder } from './fake-host.js';
import { registry, runModule, type ModuleRun, type RunModuleOpts } from './modules.js';

export { res, type Responder };
export const sysRegistry = registry;
export type FakeRun = ModuleRun;

export function runFake(name: string, rawArgs: Record<string, unknown>, respond: Responder, opts: RunModuleOpts = {}): Promise<ModuleRun> {
  return runModule(new FakeHost({ respond }), name, rawArgs, { become: true, diff: true, ...opts });
}
