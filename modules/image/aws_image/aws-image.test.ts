/**
 * aws_image from canned aws JSON (ec2 describe-images / describe-instances / create-image shapes and the
 * waiter's messages): idempotency by name, the reboot default and the no_reboot warning, the wait loop.
 */
import { describe, expect, it } from 'vitest';
import { validateArgs } from '../../../src/contract/validate.js';
import { imageRegistry, json, runImageModule, type CliAnswer } from '../../../test/harness/image.js';

interface Ec2 {
  images: Record<string, { ImageId: string; Name: string; State: string; StateReason?: { Code: string; Message: string }; rounds?: number }>;
  instance: string | null;
  failNext?: boolean;
}

function awsSim(e: Ec2) {
  return (argv: string[]): CliAnswer => {
    const a = argv.join(' ');
    const opt = (o: string) => argv[argv.indexOf(o) + 1]!;
    if (a.startsWith('ec2 describe-images')) {
      const name = argv.find((x) => x.startsWith('Name=name,Values='))?.slice('Name=name,Values='.length);
      const ids = argv.includes('--image-ids') ? [opt('--image-ids')] : null;
      return json({
        Images: Object.values(e.images)
          .filter((i) => (!name || i.Name === name) && (!ids || ids.includes(i.ImageId)))
          .map(({ rounds: _r, ...i }) => i),
      });
    }
    if (a.startsWith('ec2 describe-instances')) {
      if (!e.instance)
        return {
          rc: 254,
          stderr: `\nAn error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID '${opt('--instance-ids')}' does not exist\n`,
        };
      return json({ Reservations: [{ Instances: [{ InstanceId: opt('--instance-ids'), State: { Code: 16, Name: e.instance } }] }] });
    }
    if (a.startsWith('ec2 create-image')) {
      const id = `ami-0${String(Object.keys(e.images).length + 1).padStart(16, '0')}`;
      e.images[id] = { ImageId: id, Name: opt('--name'), State: 'pending', rounds: 2 };
      return json({ ImageId: id });
    }
    if (a.startsWith('ec2 wait image-available')) {
      const img = e.images[opt('--image-ids')]!;
      if (e.failNext) {
        img.State = 'failed';
        img.StateReason = { Code: 'Client.InternalError', Message: 'Client.InternalError: snapshot creation failed' };
        return {
          rc: 255,
          stderr:
            '\nWaiter ImageAvailable failed: Waiter encountered a terminal failure state: For expression "Images[].State" we matched expected path: "failed" at least once\n',
        };
      }
      if ((img.rounds ?? 0) > 0) {
        img.rounds!--;
        return { rc: 255, stderr: '\nWaiter ImageAvailable failed: Max attempts exceeded\n' };
      }
      img.State = 'available';
      return {};
    }
    throw new Error(`unexpected aws ${a}`);
  };
}

const ARGS = { instance_id: 'i-0123456789abcdef0', name: 'cloudnode-debian12-2405', region: 'eu-west-1' };
const R = '--region eu-west-1 --output json';

describe('aws_image', () => {
  it('creates the AMI with a reboot (default), waits through "Max attempts exceeded" rounds, confirms', async () => {
    const e: Ec2 = { images: {}, instance: 'running' };
    const r = await runImageModule('aws_image', ARGS, awsSim(e));
    expect(r.calls).toEqual([
      `aws ec2 describe-images --owners self --filters Name=name,Values=cloudnode-debian12-2405 ${R}`,
      `aws ec2 describe-instances --instance-ids i-0123456789abcdef0 ${R}`,
      `aws ec2 create-image --instance-id i-0123456789abcdef0 --name cloudnode-debian12-2405 --reboot ${R}`,
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      `aws ec2 describe-images --image-ids ami-00000000000000001 ${R}`,
    ]);
    expect(r.result).toMatchObject({ changed: true, image_id: 'ami-00000000000000001', state: 'available' });
    expect(r.warnings).toEqual([]);
    // every aws call runs without a pager
    expect(r.env.every((x) => x?.AWS_PAGER === '')).toBe(true);
  });

  it('idempotent by name: an available image is ok after one read', async () => {
    const e: Ec2 = { images: { a: { ImageId: 'ami-0aaa', Name: ARGS.name, State: 'available' } }, instance: 'running' };
    const r = await runImageModule('aws_image', ARGS, awsSim(e));
    expect(r.result).toMatchObject({ changed: false, image_id: 'ami-0aaa' });
    expect(r.calls).toHaveLength(1);
  });

  it('a pending image of that name: wait for it, create nothing', async () => {
    const e: Ec2 = { images: { 'ami-0bbb': { ImageId: 'ami-0bbb', Name: ARGS.name, State: 'pending', rounds: 0 } }, instance: 'running' };
    const r = await runImageModule('aws_image', ARGS, awsSim(e));
    expect(r.calls.some((c) => c.includes('create-image'))).toBe(false);
    expect(r.result).toMatchObject({ changed: false, image_id: 'ami-0bbb', state: 'available' });
  });

  it('a failed image of that name: deregister it first (never replaced)', async () => {
    const e: Ec2 = {
      images: {
        x: {
          ImageId: 'ami-0ccc',
          Name: ARGS.name,
          State: 'failed',
          StateReason: { Code: 'Client.InternalError', Message: 'Client.InternalError: snapshot creation failed' },
        },
      },
      instance: 'running',
    };
    const r = await runImageModule('aws_image', ARGS, awsSim(e));
    expect(r.result.msg).toBe(
      `image ${ARGS.name} (ami-0ccc) is failed: Client.InternalError: snapshot creation failed; deregister it (aws ec2 deregister-image --image-id ami-0ccc) and rerun; tsplay never replaces an image`,
    );
  });

  it("the waiter's terminal failure reports the image's StateReason", async () => {
    const r = await runImageModule('aws_image', ARGS, awsSim({ images: {}, instance: 'running', failNext: true }));
    expect(r.result.msg).toMatch(/is failed: Client\.InternalError: snapshot creation failed/);
  });

  it('no_reboot: --no-reboot and the consistency warning, in check mode too', async () => {
    const r = await runImageModule('aws_image', { ...ARGS, no_reboot: true }, awsSim({ images: {}, instance: 'running' }), { check: true });
    expect(r.result).toMatchObject({ changed: true, msg: `create image ${ARGS.name} from ${ARGS.instance_id} (without reboot)` });
    expect(r.warnings).toEqual([
      'aws_image: no_reboot: the instance is not rebooted, so its file systems are not quiesced: AWS cannot guarantee the file system integrity of the image',
    ]);
    expect(r.calls.some((c) => c.includes('create-image'))).toBe(false);
    const applied = await runImageModule('aws_image', { ...ARGS, no_reboot: true }, awsSim({ images: {}, instance: 'running' }));
    expect(applied.calls.find((c) => c.includes('create-image'))).toMatch(/ --no-reboot /);
  });

  it('check mode says the instance reboots', async () => {
    const r = await runImageModule('aws_image', ARGS, awsSim({ images: {}, instance: 'running' }), { check: true });
    expect(r.result.msg).toBe(`create image ${ARGS.name} from ${ARGS.instance_id} (the instance reboots)`);
  });

  it('instance missing or terminated', async () => {
    const missing = await runImageModule('aws_image', ARGS, awsSim({ images: {}, instance: null }));
    expect(missing.result.msg).toMatch(/^aws: instance i-0123456789abcdef0 not found \(InvalidInstanceID\.NotFound\)/);
    const gone = await runImageModule('aws_image', ARGS, awsSim({ images: {}, instance: 'terminated' }));
    expect(gone.result.msg).toBe('aws: instance i-0123456789abcdef0 is terminated: nothing to capture');
  });

  it('timeout between waiter rounds', async () => {
    const r = await runImageModule('aws_image', { ...ARGS, timeout: 0 }, awsSim({ images: {}, instance: 'running' }));
    expect(r.result.msg).toMatch(/^timed out after 0 s waiting for image ami-00000000000000001 to be available; it goes on in AWS: rerun to pick it up$/);
  });

  it('arguments: AMI name rules, instance id shape', () => {
    const mod = imageRegistry.get('aws_image')!;
    expect(() => validateArgs(mod, { ...ARGS, name: 'x' })).toThrow(/an AMI name is 3-128 characters/);
    expect(() => validateArgs(mod, { ...ARGS, name: 'a;b$c' })).toThrow(/an AMI name is 3-128 characters/);
    expect(() => validateArgs(mod, { ...ARGS, instance_id: 'vm1' })).toThrow();
    expect(() => validateArgs(mod, { ...ARGS, name: "golden (2024-05) [debian 12] v1.0/a@b_c'd" })).not.toThrow();
  });
});
