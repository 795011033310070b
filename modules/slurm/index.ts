import type { AnyModule } from '../../src/contract/index.js';
import { awsPartitions } from './aws_partitions/aws-partitions.js';
import { slurmConf } from './slurm_conf/slurm-conf.js';

export const slurmModules: AnyModule[] = [slurmConf, awsPartitions];
