/**
 * aws_partitions on a real lab host over ssh + sudo: partitions.json and config.json written (0644, the given
 * owner), valid JSON by the host's own python3 json parser, check mode first writes nothing, the second run is
 * ok; seed 004's data (RealMemory 32000 on a c5.xlarge, MaxTime in PartitionOptions) is refused and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshConnection } from '../../src/connection/ssh.js';
import { connectLabHost, startLab, stopLab, type Lab } from '../harness/lab.js';
import { converge, runModule } from '../harness/modules.js';
import { SEED004_SUBNET_AZS, seed004Config, seed004Group } from '../fixtures/aws-plugin.js';

const DIR = '/slurm/etc/aws';
let lab: Lab;
let conn: SshConnection | undefined;

const group = seed004Group;
const args = {
  path: DIR,
  owner: 'root',
  group: 'daemon',
  partitions: [
    { PartitionName: 'cloud', NodeGroups: [group('7600')], PartitionOptions: { TRESBillingWeights: 'CPU=4.0,Mem=0.25G,Node=2.0', DefMemPerCPU: '1900' } },
  ],
  subnet_azs: SEED004_SUBNET_AZS,
  config: seed004Config(DIR),
};

async function sh(cmd: string): Promise<string> {
  const r = await lab.exec('node1', cmd);
  if (r.rc !== 0) throw new Error(`${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}
const snapshot = () => sh(`find ${DIR} -printf '%p %m %u %g %s\\n' | sort; cat ${DIR}/*.json 2>/dev/null || true`);

beforeAll(async () => {
  lab = await startLab('awsparts', { hosts: 1 });
  await sh(`mkdir -p ${DIR}`);
  conn = await connectLabHost(lab, 'node1');
}, 180_000);
afterAll(async () => {
  await conn?.close();
  await stopLab('awsparts');
}, 120_000);

describe('aws_partitions on a lab host', () => {
  it("refuses seed 004's partitions and writes nothing", async () => {
    const bad = { ...args, partitions: [{ PartitionName: 'cloud', NodeGroups: [group('32000')], PartitionOptions: { MaxTime: '12:00:00' } }] };
    const r = await runModule(conn!, 'aws_partitions', bad, { become: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/RealMemory 32000 MiB is more than c5.xlarge has \(8192 MiB = 8 GiB\)/);
    expect(r.result.msg).toMatch(/PartitionOptions MaxTime duplicates/);
    expect(await sh(`ls -A ${DIR}`)).toBe('');
  }, 60_000);

  it('check mode writes nothing, first run writes both files, second run is ok', async () => {
    const c = await converge(conn!, 'aws_partitions', args, { become: true, unchanged: snapshot });
    expect(c.first.result.nodes).toEqual([{ NodeName: 'cloud-c5-[0-19]', State: 'CLOUD', spec: { CPUs: '4', RealMemory: '7600' }, partition: 'cloud' }]);
    const ls = await sh(`find ${DIR} -type f -printf '%f %m %u %g\\n' | sort`);
    expect(ls).toBe('config.json 644 root daemon\npartitions.json 644 root daemon\n');
    const parsed = JSON.parse(await sh(`python3 -c 'import json,sys; print(json.dumps(json.load(open("${DIR}/partitions.json"))))'`)) as unknown;
    expect(parsed).toEqual({ Partitions: args.partitions });
    expect(JSON.parse(await sh(`cat ${DIR}/config.json`))).toEqual(args.config);
    expect(await sh(`ls -A ${DIR}`)).not.toMatch(/tsplay/);
  }, 120_000);
});
