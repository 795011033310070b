/**
 * ec2_source_dest_check: describe-instance-attribute for the state, modify-instance-attribute
 * --no-source-dest-check only when it is on; check mode only reads.
 */
import { describe, expect, it } from 'vitest';
import { FakeHost, json } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';

describe('ec2_source_dest_check (aws CLI)', () => {
  const run = (value: boolean, opts = {}) => {
    const h = new FakeHost({
      cli: (argv) =>
        argv[1] === 'describe-instance-attribute' ? json({ InstanceId: 'i-0abc123def4567890', SourceDestCheck: { Value: value } }) : { stdout: '' },
    });
    return runModule(h, 'ec2_source_dest_check', { instance_id: 'i-0abc123def4567890', region: 'eu-west-1' }, opts);
  };
  it('on: turned off with --no-source-dest-check', async () => {
    const r = await run(true);
    expect(r.result).toMatchObject({ changed: true, source_dest_check: false });
    expect(r.commands.map((c) => c.cli?.argv)).toEqual([
      [
        'ec2',
        'describe-instance-attribute',
        '--instance-id',
        'i-0abc123def4567890',
        '--attribute',
        'sourceDestCheck',
        '--region',
        'eu-west-1',
        '--output',
        'json',
      ],
      ['ec2', 'modify-instance-attribute', '--instance-id', 'i-0abc123def4567890', '--no-source-dest-check', '--region', 'eu-west-1'],
    ]);
  });
  it('already off: ok; check mode only reads', async () => {
    expect((await run(false)).result.changed).toBe(false);
    const c = await run(true, { check: true });
    expect(c.result.changed).toBe(true);
    expect(c.commands).toHaveLength(1);
  });
});
