import type { AnyModule } from '../../src/index.js';
import { command } from './command.js';
import { shell } from './shell.js';

export const commandsModules: AnyModule[] = [command, shell];
