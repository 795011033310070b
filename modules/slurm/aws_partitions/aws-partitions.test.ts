import { describe, expect, it } from 'vitest';
import { awsNodeDefinitions, checkAwsPartitions, EC2_MEMORY_MIB, slurmConfNodes, type AwsPartition } from '../../../lib/slurm/aws-nodes.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';

/** Seed 004's partitions.json, as written there. */
const seed = (): AwsPartition[] => [
  {
    PartitionName: 'cloud',
    NodeGroups: [
      {
        NodeGroupName: 'c5',
        MaxNodes: 20,
        Region: 'us-east-1',
        SlurmSpecifications: { CPUs: '4', RealMemory: '32000' },
        PurchasingOption: 'on-demand',
        OnDemandOptions: { AllocationStrategy: 'lowest-price' },
        LaunchTemplateSpecification: { LaunchTemplateName: 'slurm-bursting-compute', Version: '$Latest' },
        LaunchTemplateOverrides: [{ InstanceType: 'c5.xlarge' }],
        SubnetIds: ['subnet-012345abcdef'],
      },
    ],
    PartitionOptions: { MaxTime: '12:00:00', TRESBillingWeights: 'CPU=4.0,Mem=0.25G,Node=2.0', DefMemPerCPU: '8000' },
  },
];

describe('AWS plugin partitions: the checks', () => {
  it("refuses seed 004's RealMemory on a c5.xlarge and its duplicate MaxTime", () => {
    expect(EC2_MEMORY_MIB['c5.xlarge']).toBe(8192);
    const { errors } = checkAwsPartitions({ partitions: seed() });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/MaxTime duplicates the plugin's own MaxTime=/);
    expect(errors[1]).toBe(
      'partition cloud, node group c5: RealMemory 32000 MiB is more than c5.xlarge has (8192 MiB = 8 GiB): the nodes would fail registration; use about 7782 (95%)',
    );
  });
  it('names, subnets in one AZ, unknown instance types', () => {
    const p = seed();
    p[0]!.PartitionName = 'cloud-1';
    delete p[0]!.PartitionOptions;
    const g = p[0]!.NodeGroups[0]!;
    g.SlurmSpecifications = { CPUs: '4', RealMemory: '7600' };
    g.SubnetIds = ['subnet-a', 'subnet-b'];
    g.LaunchTemplateOverrides = [{ InstanceType: 'x9.huge' }, { InstanceType: 'c5.xlarge', SubnetId: 'subnet-a' }];
    const r = checkAwsPartitions({ partitions: p, subnetAzs: { 'subnet-a': 'us-east-1a', 'subnet-b': 'us-east-1a' } });
    expect(r.errors.join('\n')).toMatch(/PartitionName must match/);
    expect(r.errors.join('\n')).toMatch(/subnets subnet-a and subnet-b are both in us-east-1a/);
    expect(r.errors.join('\n')).toMatch(/must not hold SubnetId/);
    expect(r.warnings).toEqual([expect.stringMatching(/x9.huge is not in the memory table/)]);
    expect(checkAwsPartitions({ partitions: p, subnetAzs: {} }).errors.join('\n')).toMatch(/subnet subnet-a has no availability zone/);
    expect(checkAwsPartitions({ partitions: p, instanceMemory: { 'x9.huge': 4096 } }).errors.join('\n')).toMatch(/7600 MiB is more than x9.huge has/);
  });
  it('node definitions as generate_conf.py writes them', () => {
    expect(awsNodeDefinitions(seed())).toEqual([{ NodeName: 'cloud-c5-[0-19]', State: 'CLOUD', spec: { CPUs: '4', RealMemory: '32000' }, partition: 'cloud' }]);
    // the shape slurm_conf's `nodes` takes
    expect(slurmConfNodes(seed())).toEqual([{ name: 'cloud-c5-[0-19]', CPUs: '4', RealMemory: '32000', State: 'CLOUD' }]);
  });
});

describe('aws_partitions on the fake host', () => {
  it('fails with the reason, before reading the host', async () => {
    const h = new FakeHost({ files: { '/slurm/etc/aws': { type: 'dir' } } });
    const r = await runModule(h, 'aws_partitions', { path: '/slurm/etc/aws', partitions: seed() });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/RealMemory 32000 MiB is more than c5.xlarge has \(8192 MiB = 8 GiB\)/);
    expect(r.commands).toHaveLength(0);
  });
  it('config.json must hold what validate_config requires', async () => {
    const h = new FakeHost({ files: { '/p': { type: 'dir' } } });
    await expect(runModule(h, 'aws_partitions', { path: '/p', partitions: [], config: { SlurmConf: { ResumeRate: 100 } } })).rejects.toThrow(
      /lacks PrivateData, ResumeProgram/,
    );
  });
});
