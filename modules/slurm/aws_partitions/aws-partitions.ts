/** aws_partitions: the AWS plugin for Slurm's partitions.json and config.json, rendered from typed data and checked first. */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type FileDiff } from '../../../src/contract/index.js';
import { fileAttrArgs } from '../../../lib/files/args.js';
import { checkModeSpec, fileStateFact, newFileAttrs, planAttrs, attrsCommand, runSteps, type CurrentAttrs, type FileStep } from '../../../lib/files/index.js';
import { awsNodeDefinitions, checkAwsPartitions, REQUIRED_SLURM_CONF, type AwsPartition } from '../../../lib/slurm/aws-nodes.js';

const Spec = (description: string) => Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description });
const NodeGroup = Type.Object(
  {
    NodeGroupName: Type.String({ description: 'node group name, ^[a-zA-Z0-9]+$' }),
    MaxNodes: Type.Integer({ description: 'nodes <partition>-<group>-0 .. MaxNodes-1' }),
    Region: Type.String({ description: 'AWS region' }),
    ProfileName: Type.Optional(Type.String({ description: 'AWS CLI profile' })),
    SlurmSpecifications: Type.Optional(Spec('NodeName parameters (CPUs, RealMemory in MiB, Features...); RealMemory is checked against the instance type')),
    PurchasingOption: Type.Optional(Type.String({ description: 'spot or on-demand' })),
    OnDemandOptions: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "CreateFleet's OnDemandOptions" })),
    SpotOptions: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "CreateFleet's SpotOptions" })),
    LaunchTemplateSpecification: Type.Record(Type.String(), Type.Unknown(), { description: 'LaunchTemplateName or LaunchTemplateId, and Version' }),
    LaunchTemplateOverrides: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'CreateFleet overrides (InstanceType...), no SubnetId' }),
    SubnetIds: Type.Array(Type.String(), { description: 'subnets, each in a different availability zone' }),
    Tags: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Key/Value tags; {ip_address}, {node_name}, {hostname} are substituted' }),
    ),
  },
  { additionalProperties: false },
);
const Partition = Type.Object(
  {
    PartitionName: Type.String({ description: 'partition name, ^[a-zA-Z0-9]+$' }),
    NodeGroups: Type.Array(NodeGroup, { description: "the partition's node groups" }),
    PartitionOptions: Type.Optional(Spec('more PartitionName parameters (not MaxTime, Nodes, State: the plugin writes those)')),
  },
  { additionalProperties: false },
);

const Args = Type.Object(
  {
    path: Type.String({ description: "the plugin's directory: partitions.json and config.json are written there" }),
    partitions: Type.Array(Partition, { description: 'partitions.json\'s "Partitions" (the plugin README\'s schema)' }),
    config: Type.Optional(
      Type.Object(
        {
          LogLevel: Type.Optional(Type.String({ description: 'DEBUG, INFO...' })),
          LogFileName: Type.Optional(Type.String({ description: "the plugin's log file" })),
          SlurmBinPath: Type.Optional(Type.String({ description: 'directory of scontrol etc.' })),
          SlurmConf: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'slurm.conf keys the plugin writes' }),
        },
        { additionalProperties: false, description: 'config.json (not written when omitted); SlurmConf must hold ' + REQUIRED_SLURM_CONF.join(', ') },
      ),
    ),
    subnet_azs: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'subnet id → availability zone: needed where a node group has several SubnetIds (they must be in distinct AZs)',
      }),
    ),
    instance_memory: Type.Optional(
      Type.Record(Type.String(), Type.Integer(), { description: 'instance type → memory in MiB, for types the built-in table lacks' }),
    ),
    ...fileAttrArgs,
  },
  { additionalProperties: false },
);

interface Plan {
  steps: FileStep[];
}

export const render = (v: unknown): string => JSON.stringify(v, null, 3) + '\n';

export const awsPartitions = defineModule<typeof Args, Plan>({
  name: 'aws_partitions',
  description: "Write the AWS plugin for Slurm's partitions.json (+ config.json) from typed data, refusing what would break the nodes",
  examples: `- name: the AWS cloud partition (seed 004, with a memory the c5.xlarge has)
  aws_partitions:
    path: /slurm/etc/aws
    partitions:
      - PartitionName: cloud
        NodeGroups:
          - NodeGroupName: c5
            MaxNodes: 20
            Region: us-east-1
            SlurmSpecifications: { CPUs: "4", RealMemory: "7600" }
            PurchasingOption: on-demand
            OnDemandOptions: { AllocationStrategy: lowest-price }
            LaunchTemplateSpecification: { LaunchTemplateName: slurm-bursting-compute, Version: $Latest }
            LaunchTemplateOverrides: [{ InstanceType: c5.xlarge }]
            SubnetIds: [subnet-012345abcdef, subnet-0fedcba98765]
        PartitionOptions: { TRESBillingWeights: "CPU=4.0,Mem=0.25G,Node=2.0", DefMemPerCPU: "1900" }
    subnet_azs: { subnet-012345abcdef: us-east-1a, subnet-0fedcba98765: us-east-1b }
`,
  returns: { nodes: 'the node definitions (NodeName, State, spec, partition) slurm.conf gets from the same data', files: 'the files written or checked' },
  args: Args,
  validate(a) {
    const cfg = a.config?.SlurmConf;
    if (cfg) {
      const missing = REQUIRED_SLURM_CONF.filter((k) => !(k in cfg));
      if (missing.length)
        throw new ArgsError(`aws_partitions: config.SlurmConf lacks ${missing.join(', ')} (the plugin's validate_config requires them)`, '/config/SlurmConf');
    }
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    const parts = a.partitions as AwsPartition[];
    const { errors, warnings } = checkAwsPartitions({ partitions: parts, subnetAzs: a.subnet_azs, instanceMemory: a.instance_memory });
    for (const w of warnings) ctx.warn(`aws_partitions: ${w}`);
    if (errors.length) throw new ModuleError(`aws_partitions: ${errors.join('; ')}`);
    const dir = a.path.replace(/\/+$/, '') || '/';
    const files: [string, string][] = [[`${dir}/partitions.json`, render({ Partitions: parts })]];
    if (a.config) files.push([`${dir}/config.json`, render(a.config)]);
    const dirFacts = await ctx.fact(fileStateFact, { items: [{ path: dir, follow: true }] });
    const d = dirFacts.files[0]!;
    if ((d.stat?.type === 'link' ? d.target?.type : d.stat?.type) !== 'directory') {
      // in check mode the directory may be what an earlier task of the same run would create
      if (!ctx.checkMode || d.stat) throw new ModuleError(`aws_partitions: directory ${dir} does not exist`);
      ctx.warn(`aws_partitions: directory ${dir} does not exist yet (a real run needs it created first)`);
    }
    const steps: FileStep[] = [];
    const diff: FileDiff[] = [];
    for (const [p, text] of files) {
      const facts = await ctx.fact(fileStateFact, { items: [{ path: p, content: 'all' }] });
      const f = facts.files[0]!;
      const st = f.stat;
      if (st && st.type !== 'file') throw new ModuleError(`aws_partitions: ${p} is not a regular file`);
      const base: CurrentAttrs = st ? { mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, isDir: false } : newFileAttrs(facts);
      const attrs = planAttrs(base, { owner: a.owner, group: a.group, mode: a.mode ?? (st ? undefined : '0644') }, facts.umask);
      const old = st ? (f.content ?? Buffer.alloc(0)).toString('utf8') : null;
      if (old !== text) {
        steps.push({
          kind: 'write',
          data: Buffer.from(text),
          spec: { dest: p, keepAttrs: !!st, mode: attrs?.mode ?? base.mode, owner: a.owner, group: a.group, backup: false, mkdirs: [], unsafeWrites: false },
        });
        diff.push({ before: old ?? '', after: text, beforeHeader: p, afterHeader: p });
      } else if (attrs) steps.push({ kind: 'run', what: `setting attributes of ${p}`, command: attrsCommand(p, attrs).join(' && ') });
    }
    const result = { nodes: awsNodeDefinitions(parts), files: files.map(([p]) => p) };
    if (!steps.length) return ok(result);
    return change(`write ${files.map(([p]) => p).join(', ')}`, { steps }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    await runSteps(ctx, plan.steps);
  },
});
