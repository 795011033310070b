/**
 * ec2_source_dest_check: an EC2 instance's source/destination check, off for a gateway (a WireGuard or other
 * VPN instance forwarding the other site's traffic: with the check on, EC2 drops every packet whose source or
 * destination is not the instance's own address). Run on the controller (delegate_to: localhost), through
 * lib/cloud/cli.ts:
 *   aws ec2 describe-instance-attribute --instance-id I --attribute sourceDestCheck   (idempotency)
 *   aws ec2 modify-instance-attribute --instance-id I --no-source-dest-check | --source-dest-check
 * The VPC route table's route (the on-prem CIDR → this instance's ENI) is not set here.
 */
import { ModuleError, Type, change, defineModule, ok, type CheckContext, type ModuleContext } from '../../../src/contract/index.js';
import { CloudCli } from '../../../lib/cloud/cli.js';

const Args = Type.Object(
  {
    instance_id: Type.String({ pattern: '^i-[0-9a-f]{8,17}$', description: 'the gateway instance (i-...)' }),
    enabled: Type.Boolean({ default: false, description: 'false (a gateway): --no-source-dest-check; true: the check back on (the EC2 default)' }),
    region: Type.Optional(Type.String({ minLength: 1, description: "AWS region (default: the CLI's, from AWS_REGION or the profile)" })),
    profile: Type.Optional(Type.String({ minLength: 1, description: "AWS CLI profile (default: the CLI's own choice, e.g. AWS_PROFILE)" })),
  },
  { additionalProperties: false },
);
type Args = typeof Args.static;

const cli = (ctx: CheckContext | ModuleContext, a: Args) =>
  new CloudCli(ctx, 'aws', { globalArgs: [...(a.region ? ['--region', a.region] : []), ...(a.profile ? ['--profile', a.profile] : [])] });

export const ec2SourceDestCheck = defineModule({
  name: 'ec2_source_dest_check',
  description:
    "An EC2 instance's source/destination check (off for a VPN gateway instance: aws ec2 modify-instance-attribute --no-source-dest-check), idempotent",
  examples: `- name: the AWS WireGuard gateway forwards the on-prem subnet's traffic
  ec2_source_dest_check:
    instance_id: i-0abc123def4567890
    enabled: false
    region: eu-west-1
  delegate_to: localhost
`,
  returns: {
    instance_id: 'the instance',
    source_dest_check: 'the setting now (false: the instance may forward)',
  },
  args: Args,
  async check(ctx, a) {
    const r = await cli(ctx, a).run<{ SourceDestCheck?: { Value?: boolean } }>({
      argv: ['ec2', 'describe-instance-attribute', '--instance-id', a.instance_id, '--attribute', 'sourceDestCheck'],
      what: `instance ${a.instance_id}`,
    });
    const now = r?.SourceDestCheck?.Value;
    if (typeof now !== 'boolean') throw new ModuleError(`aws ec2 describe-instance-attribute: no SourceDestCheck value for ${a.instance_id}`);
    const result = { instance_id: a.instance_id, source_dest_check: a.enabled };
    if (now === a.enabled) return ok(result);
    return change(`${a.instance_id}: source/dest check ${a.enabled ? 'on' : 'off'}`, null, { result });
  },
  async apply(ctx, a) {
    await cli(ctx, a).run({
      argv: ['ec2', 'modify-instance-attribute', '--instance-id', a.instance_id, a.enabled ? '--source-dest-check' : '--no-source-dest-check'],
      what: `instance ${a.instance_id}`,
      noOutput: true,
    });
    return { source_dest_check: a.enabled };
  },
});
