import type { AnyModule } from '../../src/contract/index.js';
import { command } from './command/command.js';
import { shell } from './shell/shell.js';
import { raw } from './raw/raw.js';
import { script } from './script/script.js';

export const commandsModules: AnyModule[] = [command, shell, raw, script];
