/**
 * aws_image: make an AMI from an EC2 instance (run on the controller: delegate_to: localhost).
 *   aws ec2 describe-images --owners self --filters Name=name,Values=NAME   (idempotency: the name)
 *   aws ec2 create-image --instance-id ID --name NAME --reboot|--no-reboot
 *   aws ec2 wait image-available --image-ids AMI   (repeated while the task's timeout allows)
 * An existing image of that name is the answer and is never replaced: a rebuild takes a new name.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type CheckContext, type ModuleContext } from '../../../src/contract/index.js';
import { CloudCli } from '../../../lib/cloud/cli.js';

const Args = Type.Object(
  {
    instance_id: Type.String({ pattern: '^i-[0-9a-f]{8,17}$', description: 'the builder instance (deprovisioned)' }),
    name: Type.String({ description: 'AMI name (unique per account and region)' }),
    description: Type.Optional(Type.String({ maxLength: 255, description: 'the AMI description (at most 255 characters)' })),
    no_reboot: Type.Boolean({ default: false, description: 'do not reboot the instance: the file systems are not quiesced, the image may be inconsistent' }),
    region: Type.Optional(Type.String({ minLength: 1, description: "AWS region (default: the CLI's, from AWS_REGION or the profile)" })),
    profile: Type.Optional(Type.String({ minLength: 1, description: "AWS CLI profile (default: the CLI's own choice, e.g. AWS_PROFILE)" })),
    timeout: Type.Number({
      default: 3600,
      minimum: 0,
      description: 'seconds to wait for the image to be available (checked between `aws ec2 wait` rounds of up to 10 min)',
    }),
  },
  { additionalProperties: false },
);

const AMI_NAME = /^[A-Za-z0-9()[\] ./'@_-]{3,128}$/;

export interface Ec2Image {
  ImageId: string;
  Name?: string;
  State?: string;
  StateReason?: { Code?: string; Message?: string };
  CreationDate?: string;
}

interface Plan {
  create: boolean;
  imageId?: string;
}

export const CONSISTENCY_WARNING =
  'no_reboot: the instance is not rebooted, so its file systems are not quiesced: AWS cannot guarantee the file system integrity of the image';

const cli = (ctx: CheckContext | ModuleContext, a: typeof Args.static) =>
  new CloudCli(ctx, 'aws', { globalArgs: [...(a.region ? ['--region', a.region] : []), ...(a.profile ? ['--profile', a.profile] : [])] });

async function describe(aws: CloudCli, filter: string[], what: string): Promise<Ec2Image[]> {
  const r = await aws.run<{ Images?: Ec2Image[] }>({ argv: ['ec2', 'describe-images', ...filter], what });
  return r?.Images ?? [];
}

function brokenImage(img: Ec2Image): ModuleError {
  const why = img.StateReason?.Message ?? img.StateReason?.Code ?? 'no reason given';
  return new ModuleError(
    `image ${img.Name} (${img.ImageId}) is ${img.State}: ${why}; deregister it (aws ec2 deregister-image --image-id ${img.ImageId}) and rerun; tsplay never replaces an image`,
  );
}

export const awsImage = defineModule<typeof Args, Plan>({
  name: 'aws_image',
  description: 'Create an AMI from an EC2 instance (aws ec2 create-image + wait image-available), idempotent by name',
  examples: `- name: an AMI of the deprovisioned builder
  aws_image:
    instance_id: i-0abc123def4567890
    name: hpc-el9-2024-06
    description: Slurm cloud node, EL9
    region: eu-west-1
  delegate_to: localhost
  register: ami
`,
  returns: {
    image_id: 'the AMI id (ami-...)',
    name: 'the AMI name',
    state: 'the image state (available, or pending in check mode)',
    instance_id: 'the source instance',
    instance_state: 'a new image: the instance state before the capture',
  },
  args: Args,
  validate(a) {
    if (!AMI_NAME.test(a.name))
      throw new ArgsError(`aws_image: an AMI name is 3-128 characters of letters, digits, spaces and ( ) [ ] . / - ' @ _ — not '${a.name}'`, '/name');
  },
  async check(ctx, a) {
    const aws = cli(ctx, a);
    await aws.preflight();
    const found = await describe(aws, ['--owners', 'self', '--filters', `Name=name,Values=${a.name}`], `images named '${a.name}'`);
    const img = found[0];
    if (img) {
      const result = { image_id: img.ImageId, name: img.Name, state: img.State };
      if (img.State === 'available') return ok(result);
      if (img.State === 'pending') return change(`wait for image ${img.ImageId} (pending)`, { create: false, imageId: img.ImageId }, { result });
      throw brokenImage(img);
    }
    const r = await aws.run<{ Reservations?: { Instances?: { InstanceId: string; State?: { Name?: string } }[] }[] }>({
      argv: ['ec2', 'describe-instances', '--instance-ids', a.instance_id],
      what: `instance ${a.instance_id}`,
    });
    const inst = r?.Reservations?.[0]?.Instances?.[0];
    if (!inst) throw new ModuleError(`aws: instance ${a.instance_id} not found`);
    const st = inst.State?.Name ?? 'unknown';
    if (st === 'terminated' || st === 'shutting-down') throw new ModuleError(`aws: instance ${a.instance_id} is ${st}: nothing to capture`);
    if (a.no_reboot) ctx.warn(`aws_image: ${CONSISTENCY_WARNING}`);
    const how = a.no_reboot ? 'without reboot' : st === 'running' ? 'the instance reboots' : `instance ${st}`;
    return change(
      `create image ${a.name} from ${a.instance_id} (${how})`,
      { create: true },
      { result: { instance_id: a.instance_id, instance_state: st, name: a.name } },
    );
  },
  async apply(ctx, a, plan) {
    const aws = cli(ctx, a);
    let id = plan.imageId;
    if (plan.create) {
      const argv = [
        'ec2',
        'create-image',
        '--instance-id',
        a.instance_id,
        '--name',
        a.name,
        ...(a.description ? ['--description', a.description] : []),
        a.no_reboot ? '--no-reboot' : '--reboot',
      ];
      const r = await aws.run<{ ImageId?: string }>({ argv, what: `instance ${a.instance_id}` });
      if (!r?.ImageId) throw new ModuleError('aws ec2 create-image returned no ImageId');
      id = r.ImageId;
    }
    const t0 = Date.now();
    for (;;) {
      try {
        await aws.run({ argv: ['ec2', 'wait', 'image-available', '--image-ids', id!], what: `image ${id}`, noOutput: true });
        break;
      } catch (e) {
        if (!(e instanceof ModuleError) || !/Max attempts exceeded/i.test(e.stderr ?? '')) {
          if (e instanceof ModuleError && /terminal failure state/i.test(e.stderr ?? '')) {
            const img = (await describe(aws, ['--image-ids', id!], `image ${id}`))[0];
            if (img) throw brokenImage(img);
          }
          throw e;
        }
        const elapsed = (Date.now() - t0) / 1000;
        if (elapsed >= a.timeout)
          throw new ModuleError(`timed out after ${Math.round(elapsed)} s waiting for image ${id} to be available; it goes on in AWS: rerun to pick it up`);
      }
    }
    const img = (await describe(aws, ['--image-ids', id!], `image ${id}`))[0];
    if (!img || img.State !== 'available') throw new ModuleError(`image ${id} is ${img?.State ?? 'missing'} after aws ec2 wait image-available`);
    return { image_id: img.ImageId, name: img.Name, state: img.State, instance_id: a.instance_id, changed: plan.create };
  },
});
