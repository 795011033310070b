/**
 * The load-time side: a module name tsplay has no native module for is resolved as Ansible resolves it (the
 * role's and playbook's library/, ANSIBLE_LIBRARY / ansible.cfg `library`, collections by FQCN or the play's
 * `collections:`, ansible.builtin modules from ansible-core) by the controller's ansible-core. Found, without an
 * action plugin, a Python module: a tsplay module that runs it (module.ts). Otherwise undefined, with a hint
 * saying what was searched for the unknown-module error.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnyModule } from '../../contract/define.js';
import { resolveModules } from './bridge.js';
import { ansibleModule } from './module.js';

export { ansibleModule } from './module.js';
export { parseModuleOutput, normalizeResult } from './result.js';

export interface FallbackLookup {
  module?: AnyModule;
  /** why there is none (for the unknown-module error's hint) */
  hint?: string;
}

const modules = new Map<string, AnyModule>();

/** Names that are never modules (typos of keywords are reported as such by the caller). */
const plausible = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$/.test(name);

export function lookupAnsibleModule(name: string, o: { roleDir?: string; playbookDir: string; collections?: string[] }): FallbackLookup {
  if (process.env['TSPLAY_ANSIBLE_MODULES'] === '0' || !plausible(name)) return {};
  const library = [...(o.roleDir ? [resolve(o.roleDir, 'library')] : []), resolve(o.playbookDir, 'library')];
  const ans = resolveModules([name], library, o.collections ?? [], o.playbookDir);
  if (!ans.ok) return { hint: `${ans.error ?? 'ansible-core is not available'}: library/ modules and collections cannot be looked up` };
  const r = ans.modules?.[name];
  const searched = ans.searched
    ? [...library, ...ans.searched.library.filter((p) => !library.includes(p)), ...ans.searched.collections.map((c) => `${c}/ansible_collections`)]
    : library;
  if (!r?.found && r?.action) return { hint: `${name} is an Ansible action plugin (Python run on the controller: ${r.action}), which tsplay does not run` };
  if (!r?.found || !r.fqcn || !r.path) return { hint: `not found by ansible-core ${ans.version ?? ''} either (searched ${searched.join(', ')})` };
  if (r.action)
    return {
      hint: `${r.fqcn} is an Ansible module with an action plugin (${r.action}, Python run on the controller), which tsplay does not run`,
    };
  if (!r.python) return { hint: `${r.fqcn} (${r.path}) is not a Python module; tsplay runs only Python Ansible modules` };
  const moduleUtils = [...(o.roleDir ? [resolve(o.roleDir, 'module_utils')] : []), resolve(o.playbookDir, 'module_utils')].filter((d) => existsSync(d));
  const key = [name, r.path, ...moduleUtils].join('\0');
  let mod = modules.get(key);
  if (!mod) modules.set(key, (mod = ansibleModule({ name, fqcn: r.fqcn, path: r.path, moduleUtils, version: ans.version })));
  return { module: mod };
}
