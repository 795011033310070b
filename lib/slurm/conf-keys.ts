/**
 * The slurm.conf keys tsplay writes (the cloud / power-saving part), with what Slurm accepts for each.
 * Facts from slurm.conf.5, src/common/read_config.c and parse_value.c (SchedMD/slurm), and measured on
 * Slurm 22.05.8 (lab): 22.05 takes `SuspendTime=abc` as 0, `PrivateData=bogus` as nothing and TreeWidth up
 * to 65535 without a word, so the bounds here are the documented ones, not what the parser lets through.
 */

export type KeyKind =
  /** an integer in [min, max] */
  | 'int'
  /** seconds, or NONE / INFINITE / -1 (power saving off) */
  | 'suspend-time'
  /** seconds (INFINITE from `infiniteSince`) */
  | 'timeout'
  /** an absolute path of a program on the controller */
  | 'program'
  /** a list of words from `values` (comma-separated in the file) */
  | 'flags'
  /** a list of words, `values` known, others warned about (key=value words allowed) */
  | 'params'
  /** a hostlist, each part optionally `:COUNT` (SuspendExcNodes) */
  | 'hostlist-counts'
  /** partition names */
  | 'partitions';

export interface KeyDef {
  name: string;
  kind: KeyKind;
  description: string;
  min?: number;
  max?: number;
  /** why the bound is what it is */
  boundReason?: string;
  values?: readonly string[];
  /** first release that has the key */
  since?: string;
  /** flags/params words: first release of each word, and releases that dropped one */
  valueSince?: Readonly<Record<string, string>>;
  valueUntil?: Readonly<Record<string, string>>;
  infiniteSince?: string;
}

const U32 = 4294967294;

export const SUSPEND_EXC_STATES = [
  'CLOUD',
  'DOWN',
  'DRAIN',
  'DYNAMIC_FUTURE',
  'DYNAMIC_NORM',
  'FAIL',
  'INVALID_REG',
  'MAINTENANCE',
  'NOT_RESPONDING',
  'PERFCTRS',
  'PLANNED',
  'RESERVED',
] as const;

export const PRIVATE_DATA = ['accounts', 'cloud', 'events', 'jobs', 'nodes', 'partitions', 'reservations', 'usage', 'users'] as const;

/** DebugFlags of 22.05 (src/common/slurm_protocol_defs.c debug_flags2str). */
export const DEBUG_FLAGS = [
  'Accrue',
  'Agent',
  'Backfill',
  'BackfillMap',
  'BurstBuffer',
  'Cgroup',
  'CPU_Bind',
  'CpuFrequency',
  'Data',
  'Dependency',
  'Elasticsearch',
  'Energy',
  'ExtSensors',
  'Federation',
  'FrontEnd',
  'Gang',
  'Gres',
  'Hetjob',
  'Interconnect',
  'JobAccountGather',
  'JobComp',
  'JobContainer',
  'License',
  'Network',
  'NetworkRaw',
  'NodeFeatures',
  'NO_CONF_HASH',
  'Power',
  'Priority',
  'Profile',
  'Protocol',
  'Reservation',
  'Route',
  'Script',
  'SelectType',
  'Steps',
  'Switch',
  'TimeCray',
  'TraceJobs',
  'Triggers',
  'WorkQueue',
] as const;

export const RECONFIG_FLAGS = ['KeepPartInfo', 'KeepPartState', 'KeepPowerSaveSettings'] as const;

/** SlurmctldParameters words that matter for cloud nodes (others are passed on with a warning). */
export const SLURMCTLD_PARAMETERS = [
  'cloud_dns',
  'cloud_reg_addrs',
  'enable_configless',
  'idle_on_node_suspend',
  'node_reg_mem_percent',
  'power_save_interval',
  'power_save_min_interval',
  'max_powered_nodes',
  'reboot_from_controller',
  'enable_stepmgr',
  'allow_user_triggers',
  'no_quick_restart',
  'preempt_send_user_signal',
  'preempt_strict_order',
  'user_resv_delete',
  'max_dbd_msg_action',
  'validate_nodeaddr_threads',
  'rl_enable',
  'disable_triggers',
] as const;

export const PARAM_KEYS: readonly KeyDef[] = [
  {
    name: 'SuspendTime',
    kind: 'suspend-time',
    description: 'seconds a node stays idle before it is powered down (NONE/INFINITE/-1: never); per partition is better for hybrid clusters',
  },
  { name: 'SuspendTimeout', kind: 'timeout', min: 1, max: 65533, description: 'seconds SuspendProgram may take before the node can be resumed again' },
  {
    name: 'ResumeTimeout',
    kind: 'timeout',
    min: 1,
    max: 65533,
    infiniteSince: '25.05',
    description: 'seconds a resumed node has to register (slurmd up, new boot time) before it is set DOWN',
  },
  { name: 'ResumeRate', kind: 'int', min: 0, max: U32, description: 'nodes resumed per minute (0: no limit)' },
  { name: 'SuspendRate', kind: 'int', min: 0, max: U32, description: 'nodes suspended per minute (0: no limit)' },
  { name: 'ResumeProgram', kind: 'program', description: 'absolute path of the program that powers nodes up (one argument: a hostlist)' },
  { name: 'SuspendProgram', kind: 'program', description: 'absolute path of the program that powers nodes down' },
  { name: 'ResumeFailProgram', kind: 'program', description: 'absolute path of the program run for nodes that missed ResumeTimeout' },
  { name: 'SuspendExcNodes', kind: 'hostlist-counts', description: 'nodes never powered down (hostlist, `name[1-9]:N` keeps N of them up)' },
  { name: 'SuspendExcParts', kind: 'partitions', description: 'partitions whose nodes are never powered down' },
  {
    name: 'SuspendExcStates',
    kind: 'flags',
    values: SUSPEND_EXC_STATES,
    since: '23.02',
    description: 'node states never powered down, e.g. [DOWN, DRAIN, FAIL] (Slurm 23.02+)',
  },
  {
    name: 'SlurmctldParameters',
    kind: 'params',
    values: SLURMCTLD_PARAMETERS,
    valueSince: { max_powered_nodes: '24.05', enable_stepmgr: '24.05', node_reg_mem_percent: '23.02' },
    valueUntil: { cloud_reg_addrs: '23.11' },
    description: 'slurmctld options, e.g. [cloud_dns, enable_configless] (`idle_on_node_suspend` also un-drains nodes)',
  },
  {
    name: 'TreeWidth',
    kind: 'int',
    min: 1,
    max: 65533,
    boundReason: 'slurm.conf.5: it "may not exceed 65533"; Slurm 22.05 silently takes 65534-65535 and fails to parse more (the 65535/65536 of the DTU notes)',
    description: 'slurmd fan-out width (65533: the controller talks to every node itself, for nodes without DNS)',
  },
  {
    name: 'PrivateData',
    kind: 'flags',
    values: PRIVATE_DATA,
    description: 'data hidden from normal users; `cloud` shows powered-down cloud nodes before 23.02',
  },
  { name: 'DebugFlags', kind: 'flags', values: DEBUG_FLAGS, description: 'slurmctld debug flags, e.g. [Power]' },
  {
    name: 'ReconfigFlags',
    kind: 'flags',
    values: RECONFIG_FLAGS,
    valueSince: { KeepPowerSaveSettings: '23.02' },
    description: 'what `scontrol reconfigure` keeps (KeepPowerSaveSettings: 23.02+)',
  },
];

export const PARAM_KEY_BY_NAME: ReadonlyMap<string, KeyDef> = new Map(PARAM_KEYS.map((k) => [k.name, k]));

/** Node states a NodeName line may set (slurm.conf.5). */
export const NODE_STATES = ['CLOUD', 'DOWN', 'DRAIN', 'FAIL', 'FAILING', 'FUTURE', 'UNKNOWN'] as const;
export const PARTITION_STATES = ['UP', 'DOWN', 'DRAIN', 'INACTIVE'] as const;

export const U16_MAX = 65533;
export const U32_MAX = U32;
