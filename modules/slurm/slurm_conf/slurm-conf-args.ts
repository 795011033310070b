/** slurm_conf's arguments: the TypeBox schema (types loose where the lint gives the better message). */
import { Type, type Static, type TSchema } from '../../../src/contract/index.js';
import { PARAM_KEYS, type KeyDef } from '../../../lib/slurm/conf-keys.js';

/** an integer, or a string the lint judges (so that `abc` gets Slurm's reason, not "must be integer") */
const Num = (description: string) => Type.Union([Type.Integer(), Type.String()], { description });
const List = (description: string) => Type.Union([Type.Array(Type.String()), Type.String()], { description });

function paramSchema(k: KeyDef): TSchema {
  switch (k.kind) {
    case 'int':
    case 'timeout':
    case 'suspend-time':
      return Type.Optional(Num(k.description));
    case 'flags':
    case 'params':
    case 'partitions':
      return Type.Optional(List(k.description));
    default:
      return Type.Optional(Type.String({ description: k.description }));
  }
}

export const Params = Type.Object(Object.fromEntries(PARAM_KEYS.map((k) => [k.name, paramSchema(k)])), {
  additionalProperties: false,
  default: {},
  description: 'global power-saving keys of slurm.conf (names as in slurm.conf.5; lists as YAML lists or comma-separated)',
});

export const Node = Type.Object(
  {
    name: Type.String({ description: 'NodeName: the nodes, a Slurm hostlist (cloud[001-016])' }),
    NodeAddr: Type.Optional(
      Type.String({ description: 'addresses, a hostlist with one per node (omit with cloud_dns or when resumed nodes get theirs by `scontrol update`)' }),
    ),
    NodeHostname: Type.Optional(Type.String({ description: 'host names, a hostlist with one per node' })),
    State: Type.String({ default: 'CLOUD', description: 'CLOUD (powered down until needed), FUTURE, UNKNOWN, DOWN, DRAIN, FAIL or FAILING' }),
    Feature: Type.Optional(List('node features, e.g. [cloud, azure]')),
    Gres: Type.Optional(List('generic resources, e.g. [gpu:1]')),
    Weight: Type.Optional(Num('scheduling weight: lower is allocated first (cloud nodes higher than on-prem)')),
    CPUs: Type.Optional(Num('logical CPUs')),
    Boards: Type.Optional(Num('baseboards')),
    SocketsPerBoard: Type.Optional(Num('sockets per board')),
    Sockets: Type.Optional(Num('sockets (instead of Boards/SocketsPerBoard)')),
    CoresPerSocket: Type.Optional(Num('cores per socket')),
    ThreadsPerCore: Type.Optional(Num('threads per core')),
    RealMemory: Type.Optional(Num('memory in MB; above what the VM reports, the node never registers (keep ~5% below the VM size)')),
    TmpDisk: Type.Optional(Num('MB of TmpFS')),
    Port: Type.Optional(Num('slurmd port')),
    vm_memory_mb: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "the VM size's memory in MB (overrides the task's vm_memory_mb): RealMemory is checked against it; not written",
      }),
    ),
  },
  { additionalProperties: false },
);

export const Partition = Type.Object(
  {
    name: Type.String({ description: 'PartitionName' }),
    nodes: Type.String({ description: 'Nodes: a hostlist (or ALL); every node must be defined by a NodeName line here or in the main slurm.conf' }),
    Default: Type.Optional(Type.Boolean({ description: 'the default partition (one in the whole configuration)' })),
    MaxTime: Type.Optional(Num('INFINITE, minutes, or [days-]hours:minutes:seconds')),
    State: Type.Optional(Type.String({ description: 'UP, DOWN, DRAIN or INACTIVE' })),
    SuspendTime: Type.Optional(Num("idle seconds before this partition's nodes are powered down (NONE/INFINITE: never)")),
    SuspendTimeout: Type.Optional(Num("SuspendTimeout for this partition's nodes")),
    ResumeTimeout: Type.Optional(Num("ResumeTimeout for this partition's nodes")),
    PowerDownOnIdle: Type.Optional(Type.Boolean({ description: 'power nodes down as soon as they are idle (Slurm 23.02+)' })),
    PriorityTier: Type.Optional(Num('scheduling tier (higher first)')),
    MaxNodes: Type.Optional(Num('most nodes a job may use')),
    DefMemPerCPU: Type.Optional(Num('default MB per CPU')),
    OverSubscribe: Type.Optional(Type.String({ description: 'NO, EXCLUSIVE, YES or FORCE (optionally :N)' })),
    AllowGroups: Type.Optional(List('groups allowed (ALL)')),
    Hidden: Type.Optional(Type.Boolean({ description: 'hidden from users by default' })),
    ExclusiveUser: Type.Optional(Type.Boolean({ description: 'nodes are given to one user at a time' })),
  },
  { additionalProperties: false },
);

export const Args = Type.Object(
  {
    path: Type.String({ default: '/etc/slurm/cloud.conf', description: 'the file tsplay owns (an Include of the main slurm.conf)' }),
    params: Params,
    nodes: Type.Array(Node, { default: [], description: 'NodeName lines (the cloud nodes)' }),
    partitions: Type.Array(Partition, { default: [], description: 'PartitionName lines' }),
    include_in: Type.Optional(
      Type.String({
        description:
          'the main slurm.conf: ensure one `Include PATH` line there (atomically). Without it /etc/slurm/slurm.conf is only read (nodes, includes, validation)',
      }),
    ),
    vm_memory_mb: Type.Optional(
      Type.Integer({ minimum: 1, description: "the VM size's memory in MB: RealMemory above it is refused, above 95% of it warned about" }),
    ),
    validate: Type.Boolean({
      default: true,
      description: "check the candidate with Slurm's own parser (staged with the main slurm.conf in a temp dir on the host) before it is written",
    }),
    reconfigure: Type.Boolean({
      default: true,
      description:
        'after a change: `scontrol reconfigure` (a slurmctld restart when NodeName lines changed, before Slurm 23.11: 22.05 dies otherwise), then verify slurmctld shows the new values, else restore the old files',
    }),
    backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of each replaced file' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the file rendered from the arguments; absent: the file and its Include line removed',
    }),
    verify_timeout: Type.Integer({ default: 15, minimum: 1, description: 'seconds to wait for slurmctld to answer after reconfigure/restart' }),
  },
  { additionalProperties: false },
);
export type SlurmConfArgs = Static<typeof Args>;
export type NodeArgs = Static<typeof Node>;
export type PartitionArgs = Static<typeof Partition>;
