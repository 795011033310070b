import type { AnyModule } from '../../src/contract/index.js';
import { slurmConf } from './slurm_conf/slurm-conf.js';

export const slurmModules: AnyModule[] = [slurmConf];
