import type { AnyModule } from '../../src/index.js';
import { resolvConf } from './resolv-conf.js';
import { authorizedKey } from './authorized-key.js';

export const netModules: AnyModule[] = [resolvConf, authorizedKey];
