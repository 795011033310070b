import type { AnyModule } from '../../src/index.js';

export const mailModules: AnyModule[] = [];
