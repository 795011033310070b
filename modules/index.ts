import type { AnyModule } from '../src/contract/index.js';
import { filesModules } from './files/index.js';
import { systemModules } from './system/index.js';
import { commandsModules } from './commands/index.js';
import { netModules } from './net/index.js';
import { mailModules } from './mail/index.js';
import { storageModules } from './storage/index.js';
import { imageModules } from './image/index.js';
import { utilModules } from './util/index.js';
import { slurmModules } from './slurm/index.js';

/** A family of modules: one folder under modules/, one table in the README (`tsplay doc --md`). */
export interface ModuleFamily {
  /** the folder under modules/ */
  readonly family: string;
  readonly title: string;
  readonly modules: readonly AnyModule[];
}

export const moduleFamilies: readonly ModuleFamily[] = [
  { family: 'util', title: 'Playbook utilities', modules: utilModules },
  { family: 'commands', title: 'Commands', modules: commandsModules },
  { family: 'files', title: 'Files', modules: filesModules },
  { family: 'system', title: 'System', modules: systemModules },
  { family: 'net', title: 'Network and site-to-site VPN', modules: netModules },
  { family: 'mail', title: 'Mail', modules: mailModules },
  { family: 'storage', title: 'Storage', modules: storageModules },
  { family: 'image', title: 'Golden image and cloud VMs', modules: imageModules },
  { family: 'slurm', title: 'Slurm', modules: slurmModules },
];

/** Every built-in module, by family. The registry (src/contract/registry.ts) indexes them by name and alias. */
export const builtinModules: readonly AnyModule[] = moduleFamilies.flatMap((f) => f.modules);
