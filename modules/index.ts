import type { AnyModule } from '../src/contract/index.js';
import { filesModules } from './files/index.js';
import { systemModules } from './system/index.js';
import { commandsModules } from './commands/index.js';
import { netModules } from './net/index.js';
import { mailModules } from './mail/index.js';
import { storageModules } from './storage/index.js';
import { imageModules } from './image/index.js';
import { utilModules } from './util/index.js';

/** Every built-in module, by area. The registry (src/contract/registry.ts) indexes them by name and alias. */
export const builtinModules: readonly AnyModule[] = [
  ...utilModules,
  ...commandsModules,
  ...filesModules,
  ...systemModules,
  ...netModules,
  ...mailModules,
  ...storageModules,
  ...imageModules,
];
