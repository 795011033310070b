/**
 * The AWS plugin for Slurm (aws-plugin-for-slurm v2) node groups as typed data: the node definitions its
 * generate_conf.py derives from partitions.json (`<partition>-<group>-[0-<MaxNodes-1>]`, State=CLOUD, the
 * SlurmSpecifications), so slurm.conf can be written from the same data, and the checks the plugin does not do
 * (memory against the instance type, keys it would duplicate, subnets sharing an AZ).
 */

export interface AwsNodeGroup {
  NodeGroupName: string;
  MaxNodes: number;
  Region: string;
  SlurmSpecifications?: Record<string, string | number>;
  PurchasingOption?: string;
  LaunchTemplateOverrides?: Record<string, unknown>[];
  SubnetIds?: string[];
  [key: string]: unknown;
}

export interface AwsPartition {
  PartitionName: string;
  NodeGroups: AwsNodeGroup[];
  PartitionOptions?: Record<string, string | number>;
}

/** Memory (MiB) of common EC2 instance types (AWS's published sizes). */
export const EC2_MEMORY_MIB: Readonly<Record<string, number>> = (() => {
  const t: Record<string, number> = {};
  const fam = (prefix: string, perVcpuGiB: number, sizes: [string, number][]) => {
    for (const [s, vcpu] of sizes) t[`${prefix}.${s}`] = Math.round(vcpu * perVcpuGiB * 1024);
  };
  const std: [string, number][] = [
    ['large', 2],
    ['xlarge', 4],
    ['2xlarge', 8],
    ['4xlarge', 16],
    ['8xlarge', 32],
    ['12xlarge', 48],
    ['16xlarge', 64],
    ['24xlarge', 96],
  ];
  for (const f of ['c5', 'c5a', 'c5n', 'c6i', 'c6a', 'c7i', 'c6g', 'c7g']) fam(f, 2, std);
  for (const f of ['m5', 'm5a', 'm6i', 'm6a', 'm7i', 'm6g', 'm7g']) fam(f, 4, std);
  for (const f of ['r5', 'r5a', 'r6i', 'r6a', 'r7i', 'r6g', 'r7g']) fam(f, 8, std);
  // exceptions to the ratio
  Object.assign(t, {
    'c5n.large': 5.25 * 1024,
    'c5n.xlarge': 10.5 * 1024,
    'c5n.2xlarge': 21 * 1024,
    'c5n.4xlarge': 42 * 1024,
    'c5n.9xlarge': 96 * 1024,
    'c5n.18xlarge': 192 * 1024,
    'c5.9xlarge': 72 * 1024,
    'c5.18xlarge': 144 * 1024,
    'c5.metal': 192 * 1024,
    't3.micro': 1024,
    't3.small': 2048,
    't3.medium': 4096,
    't3.large': 8192,
    't3.xlarge': 16384,
    't3.2xlarge': 32768,
    'hpc6a.48xlarge': 384 * 1024,
    'hpc7g.16xlarge': 128 * 1024,
    'p3.2xlarge': 61 * 1024,
    'g4dn.xlarge': 16384,
    'g5.xlarge': 16384,
  });
  delete t['c5n.8xlarge'];
  delete t['c5n.12xlarge'];
  delete t['c5n.16xlarge'];
  delete t['c5n.24xlarge'];
  return t;
})();

/** Keys generate_conf.py writes itself on the PartitionName line (a PartitionOptions copy would be a duplicate). */
export const PLUGIN_PARTITION_KEYS = ['PartitionName', 'Nodes', 'MaxTime', 'State'];

/** config.json SlurmConf keys the plugin's validate_config requires. */
export const REQUIRED_SLURM_CONF = ['PrivateData', 'ResumeProgram', 'SuspendProgram', 'ResumeRate', 'SuspendRate', 'ResumeTimeout', 'SuspendTime', 'TreeWidth'];

const NAME = /^[a-zA-Z0-9]+$/;

export interface NodeDefinition {
  /** `<partition>-<group>-[0-N]` as generate_conf.py writes it */
  NodeName: string;
  State: 'CLOUD';
  /** the SlurmSpecifications, in their order */
  spec: Record<string, string>;
  partition: string;
}

/** The NodeName lines' data of every node group (what slurm.conf.aws holds; slurm_conf can take the same). */
export function awsNodeDefinitions(parts: AwsPartition[]): NodeDefinition[] {
  return parts.flatMap((p) =>
    p.NodeGroups.map((g) => ({
      NodeName: `${p.PartitionName}-${g.NodeGroupName}-${g.MaxNodes > 1 ? `[0-${g.MaxNodes - 1}]` : '0'}`,
      State: 'CLOUD' as const,
      spec: Object.fromEntries(Object.entries(g.SlurmSpecifications ?? {}).map(([k, v]) => [k, String(v)])),
      partition: p.PartitionName,
    })),
  );
}

export interface CheckInput {
  partitions: AwsPartition[];
  /** subnet id → availability zone (needed as soon as a group has more than one subnet) */
  subnetAzs?: Record<string, string>;
  /** instance type → MiB, for types the table lacks (or to override it) */
  instanceMemory?: Record<string, number>;
}

/** Errors (refuse) and warnings; empty errors: the data is good. */
export function checkAwsPartitions(i: CheckInput): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const seenParts = new Set<string>();
  for (const p of i.partitions) {
    const where = `partition ${p.PartitionName}`;
    if (!NAME.test(p.PartitionName)) errors.push(`${where}: PartitionName must match ^[a-zA-Z0-9]+$`);
    if (seenParts.has(p.PartitionName)) errors.push(`${where}: defined twice`);
    seenParts.add(p.PartitionName);
    if (!p.NodeGroups.length) errors.push(`${where}: no NodeGroups`);
    for (const k of Object.keys(p.PartitionOptions ?? {}))
      if (PLUGIN_PARTITION_KEYS.some((x) => x.toLowerCase() === k.toLowerCase()))
        errors.push(
          `${where}: PartitionOptions ${k} duplicates the plugin's own ${k}= on the PartitionName line (generate_conf.py writes MaxTime=INFINITE State=UP Nodes=...); the last value wins and slurmctld logs an error`,
        );
    const seenGroups = new Set<string>();
    for (const g of p.NodeGroups) {
      const gw = `${where}, node group ${g.NodeGroupName}`;
      if (!NAME.test(g.NodeGroupName)) errors.push(`${gw}: NodeGroupName must match ^[a-zA-Z0-9]+$`);
      if (seenGroups.has(g.NodeGroupName)) errors.push(`${gw}: defined twice`);
      seenGroups.add(g.NodeGroupName);
      if (!Number.isInteger(g.MaxNodes) || g.MaxNodes < 1) errors.push(`${gw}: MaxNodes must be a positive integer`);
      if (g.PurchasingOption !== undefined && !['spot', 'on-demand'].includes(g.PurchasingOption))
        errors.push(`${gw}: PurchasingOption must be spot or on-demand`);
      const overrides = g.LaunchTemplateOverrides ?? [];
      if (!overrides.length) errors.push(`${gw}: LaunchTemplateOverrides needs at least one InstanceType`);
      for (const o of overrides) if ('SubnetId' in o) errors.push(`${gw}: LaunchTemplateOverrides must not hold SubnetId (the plugin adds SubnetIds itself)`);
      const memRaw = g.SlurmSpecifications?.RealMemory ?? g.SlurmSpecifications?.realmemory;
      const mem = memRaw === undefined ? undefined : Number(memRaw);
      if (memRaw !== undefined && (!Number.isInteger(mem) || mem! < 1)) errors.push(`${gw}: RealMemory '${String(memRaw)}' is not a positive number of MiB`);
      for (const o of overrides) {
        const type = typeof o.InstanceType === 'string' ? o.InstanceType : undefined;
        if (!type) continue;
        const have = i.instanceMemory?.[type] ?? EC2_MEMORY_MIB[type];
        if (have === undefined) {
          warnings.push(`${gw}: instance type ${type} is not in the memory table: RealMemory is not checked (give instance_memory)`);
        } else if (mem !== undefined && Number.isInteger(mem) && mem > have) {
          errors.push(
            `${gw}: RealMemory ${mem} MiB is more than ${type} has (${have} MiB = ${+(have / 1024).toFixed(2)} GiB): the nodes would fail registration; use about ${Math.floor(have * 0.95)} (95%)`,
          );
        }
      }
      const subnets = g.SubnetIds ?? [];
      if (!subnets.length) errors.push(`${gw}: SubnetIds needs at least one subnet`);
      if (new Set(subnets).size !== subnets.length) errors.push(`${gw}: SubnetIds lists a subnet twice`);
      if (subnets.length > 1) {
        const byAz = new Map<string, string>();
        for (const s of subnets) {
          const az = i.subnetAzs?.[s];
          if (az === undefined) {
            errors.push(`${gw}: subnet ${s} has no availability zone in subnet_azs (several SubnetIds must be in different AZs)`);
            continue;
          }
          const other = byAz.get(az);
          if (other) errors.push(`${gw}: subnets ${other} and ${s} are both in ${az}: CreateFleet refuses duplicate instance pools; one subnet per AZ`);
          byAz.set(az, s);
        }
      }
    }
  }
  return { errors, warnings };
}

/** The same node groups as slurm_conf's `nodes` entries (name, State=CLOUD, the SlurmSpecifications as parameters). */
export function slurmConfNodes(parts: AwsPartition[]): Record<string, string>[] {
  return awsNodeDefinitions(parts).map((d) => ({ name: d.NodeName, ...d.spec, State: d.State }));
}
