import type { AnyModule } from '../../src/index.js';
import { autofsMap } from './autofs-map.js';
import { mountModule } from './mount.js';

export const storageModules: AnyModule[] = [autofsMap, mountModule];
