import type { AnyModule } from '../../src/contract/index.js';
import { apt } from './apt/apt.js';
import { dnf } from './dnf/dnf.js';
import { group } from './group/group.js';
import { hostname } from './hostname/hostname.js';
import { packageModule } from './package/package.js';
import { service } from './service/service.js';
import { rpmKey } from './rpm_key/rpm-key.js';
import { sysctl } from './sysctl/sysctl.js';
import { yumRepository } from './yum_repository/yum-repository.js';
import { systemd } from './systemd/systemd.js';
import { user } from './user/user.js';
import { waitFor } from './wait_for/wait-for.js';
import { getent } from './getent/getent.js';
import { cron } from './cron/cron.js';

export const systemModules: AnyModule[] = [
  user,
  group,
  service,
  systemd,
  packageModule,
  apt,
  dnf,
  hostname,
  sysctl,
  waitFor,
  yumRepository,
  rpmKey,
  getent,
  cron,
];
