/**
 * Gateway (net) modules on a FakeHost with files (directories implied by the paths, plus `dirs`), canned facts
 * by name and canned answers for the commands apply() runs; tasks run as root with diffs.
 */
import { validateArgs } from '../../src/contract/validate.js';
import { FakeHost, type FakeHostOptions } from './fake-host.js';
import { registry, runModule, type ModuleRun, type RunModuleOpts } from './modules.js';

export const gwRegistry = registry;

export type GwHost = Pick<FakeHostOptions, 'files' | 'dirs' | 'facts' | 'respond'>;
export type GwRun = ModuleRun;

export function runGw(name: string, raw: Record<string, unknown>, host: GwHost = {}, opts: RunModuleOpts = {}): Promise<ModuleRun> {
  return runModule(new FakeHost({ files: {}, ...host }), name, raw, { become: true, diff: true, ...opts });
}

/** Arguments → the ArgsError message (or undefined when they are accepted). */
export function argsError(name: string, raw: Record<string, unknown>): { message: string; path: string } | undefined {
  try {
    validateArgs(registry.get(name)!, raw);
    return undefined;
  } catch (e) {
    const x = e as Error & { path?: string; hint?: string };
    return { message: x.message + (x.hint ? ` (hint: ${x.hint})` : ''), path: x.path ?? '' };
  }
}
