/**
 * The AWS side of a node: `aws ec2 describe-instances` for the state, `ec2 start-instances` to resume and
 * `ec2 stop-instances` to suspend. Stop is EC2's deallocate: the instance keeps its id, EBS volumes and
 * private IP, compute billing ends. tsplay power never terminates (terminate-instances destroys the instance
 * the inventory names: the next resume would have nothing to start). The wait is tsplay's own polling of
 * describe-instances (cloud.ts), bounded by the node's deadline, not `aws ec2 wait instance-running` (40
 * polls of 15 s regardless of ResumeTimeout). RequestLimitExceeded / Throttling are retried with back-off.
 */
import type { PowerState } from '../../lib/cloud/azure-state.js';
import { ModuleError } from '../errors.js';
import { CloudBase } from './cloud.js';
import type { PowerLog } from './log.js';
import type { AwsVmRef } from './nodemap.js';
import type { RetryPolicy } from './retry.js';

/** EC2 instance state name → the power state the worker reasons in (stopped = deallocated). */
export function ec2PowerState(name: string | undefined): PowerState | 'terminated' {
  switch (name) {
    case 'pending':
      return 'starting';
    case 'running':
      return 'running';
    case 'stopping':
      return 'deallocating';
    case 'stopped':
      return 'deallocated';
    case 'shutting-down':
    case 'terminated':
      return 'terminated';
    default:
      return 'unknown';
  }
}

interface DescribeInstances {
  Reservations?: { Instances?: { InstanceId?: string; State?: { Code?: number; Name?: string } }[] }[];
}

export interface AwsDefaults {
  region?: string;
  profile?: string;
}

export class AwsInstances extends CloudBase<AwsVmRef> {
  constructor(
    log: PowerLog,
    retry: RetryPolicy,
    pollS: number,
    private readonly defaults: AwsDefaults = {},
  ) {
    super(log, retry, pollS, 'aws');
  }

  protected globalArgs(vm: AwsVmRef): string[] {
    const region = vm.region ?? this.defaults.region;
    const profile = vm.profile ?? this.defaults.profile;
    return [...(region ? ['--region', region] : []), ...(profile ? ['--profile', profile] : [])];
  }

  private what(vm: AwsVmRef): string {
    return `EC2 instance '${vm.instance_id}'`;
  }

  async state(vm: AwsVmRef): Promise<{ power: PowerState; ec2: string }> {
    const r = await this.retried(vm, 'describe-instances', () =>
      this.cli(vm).run<DescribeInstances>({ argv: ['ec2', 'describe-instances', '--instance-ids', vm.instance_id], what: this.what(vm) }),
    );
    const inst = (r?.Reservations ?? []).flatMap((x) => x.Instances ?? []).find((i) => i.InstanceId === vm.instance_id);
    if (!inst) throw new ModuleError(`aws ec2 describe-instances: ${this.what(vm)} is not in the answer`);
    const ec2 = inst.State?.Name ?? '?';
    const power = ec2PowerState(ec2);
    if (power === 'terminated')
      throw new ModuleError(`${this.what(vm)} is ${ec2}: it can never be started again; give node ${vm.node} a new aws_instance_id in the inventory`);
    return { power, ec2 };
  }

  async action(vm: AwsVmRef, action: 'start' | 'deallocate'): Promise<void> {
    const sub = action === 'start' ? 'start-instances' : 'stop-instances';
    await this.retried(vm, `ec2 ${sub}`, () => this.cli(vm).run({ argv: ['ec2', sub, '--instance-ids', vm.instance_id], what: this.what(vm) }));
  }
}
