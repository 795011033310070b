import type { AnyModule } from '../../src/index.js';
import { copyModule } from './copy.js';
import { templateModule } from './template.js';
import { fileModule } from './file.js';
import { lineinfileModule } from './lineinfile.js';
import { blockinfileModule } from './blockinfile.js';
import { statModule } from './stat.js';

export const filesModules: AnyModule[] = [copyModule, templateModule, fileModule, lineinfileModule, blockinfileModule, statModule];
