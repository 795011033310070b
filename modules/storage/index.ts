import type { AnyModule } from '../../src/contract/index.js';
import { autofsMap } from './autofs_map/autofs-map.js';
import { mountModule } from './mount/mount.js';
import { nfsExport } from './nfs_export/nfs-export.js';

export const storageModules: AnyModule[] = [autofsMap, mountModule, nfsExport];
