import type { AnyModule } from '../../src/index.js';
import { apt } from './apt.js';
import { dnf } from './dnf.js';
import { group } from './group.js';
import { hostname } from './hostname.js';
import { packageModule } from './package.js';
import { service } from './service.js';
import { sysctl } from './sysctl.js';
import { systemd } from './systemd.js';
import { user } from './user.js';
import { waitFor } from './wait-for.js';

export const systemModules: AnyModule[] = [user, group, service, systemd, packageModule, apt, dnf, hostname, sysctl, waitFor];
