/**
 * slurm_conf against a real Slurm 22.05 controller in a lab host (lab 'slurmconf', host ctl): munge +
 * slurmctld started by /etc/lab/services with a base slurm.conf (one on-prem node, no cloud part, no
 * Include). The module writes /etc/slurm/cloud.conf, adds the Include, restarts/reconfigures slurmctld and
 * verifies it; refused configurations leave the files and slurmctld (same PID) untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import { labTarget, startLab, stopLab, type Lab } from '../harness/lab.js';
import { runModule } from '../harness/modules.js';

const LAB = 'slurmconf';
let lab: Lab;
let conn: SshConnection;

async function sh(cmd: string): Promise<string> {
  const r = await lab.exec('ctl', cmd);
  if (r.rc !== 0) throw new Error(`ctl: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

function baseConf(ip: string): string {
  return `ClusterName=sclab
SlurmctldHost=ctl(${ip})
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
PrivateData=cloud
NodeName=local1 NodeAddr=10.231.255.200 CPUs=1 State=UNKNOWN
PartitionName=local Nodes=local1 Default=YES State=UP
`;
}

const ctldPid = async () => (await sh('cat /run/slurmctld.pid')).trim();
const running = async () => (await lab.exec('ctl', 'scontrol ping')).stdout.includes('is UP');

const good = {
  path: '/etc/slurm/cloud.conf',
  include_in: '/etc/slurm/slurm.conf',
  vm_memory_mb: 2048,
  params: {
    ResumeProgram: '/usr/local/sbin/power-resume',
    SuspendProgram: '/usr/local/sbin/power-suspend',
    ResumeTimeout: 120,
    SuspendTimeout: 60,
    ResumeRate: 10,
    TreeWidth: 65533,
    DebugFlags: ['Power'],
  },
  nodes: [{ name: 'cloud[1-2]', CPUs: 2, RealMemory: 1900, Feature: ['cloud'], Weight: 10 }],
  partitions: [{ name: 'cloud', nodes: 'cloud[1-2]', MaxTime: 'INFINITE', State: 'UP', SuspendTime: 300 }],
};

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: ['ctl'] });
  const ip = lab.host('ctl').ip;
  await sh('head -c 1024 /dev/urandom > /etc/munge/munge.key && chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key');
  await lab.exec('ctl', 'cat > /etc/slurm/slurm.conf', { input: baseConf(ip) });
  await sh('for p in resume suspend; do printf "#!/bin/sh\\nexit 0\\n" > /usr/local/sbin/power-$p; chmod 0755 /usr/local/sbin/power-$p; done');
  await lab.exec('ctl', 'cat > /etc/lab/services', { input: 'ssh\nmunge\nslurmctld\n' });
  await lab.restart('ctl');
  await sh('for i in $(seq 1 50); do scontrol ping 2>/dev/null | grep -q "is UP" && exit 0; sleep 0.2; done; scontrol ping; exit 1');
  conn = new SshConnection(labTarget(lab, 'ctl'));
  await conn.connect();
}, 120_000);

afterAll(async () => {
  await conn?.close();
  await stopLab(LAB);
});

const run = (args: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}) => runModule(conn, 'slurm_conf', args, { become: true, ...opts });

describe('slurm_conf on a Slurm 22.05 controller', () => {
  it('check mode reports the change and touches nothing', async () => {
    const pid = await ctldPid();
    const r = await run(good, { check: true, diff: true });
    expect(r.result).toMatchObject({ changed: true, slurm_version: '22.05.8', parse_check: 'ok' });
    expect(JSON.stringify(r.result.diff)).toContain('NodeName=cloud[1-2]');
    expect((await lab.exec('ctl', 'test -e /etc/slurm/cloud.conf')).rc).toBe(1);
    expect(await sh('grep -c Include /etc/slurm/slurm.conf || true')).toBe('0\n');
    expect(await ctldPid()).toBe(pid);
  });

  it('first run: file + Include written, slurmctld restarted (new nodes) and shows the values', async () => {
    const t0 = Date.now();
    const r = await run(good);
    const ms = Date.now() - t0;
    expect(r.result).toMatchObject({ changed: true, action: 'restart' });
    console.log(`slurm_conf first run: ${ms} ms (parse check ${String(r.result.parse_check_ms)} ms, restart+verify ${String(r.result.reconfigure_ms)} ms)`);
    expect(await sh('cat /etc/slurm/cloud.conf')).toContain('PartitionName=cloud Nodes=cloud[1-2] MaxTime=INFINITE State=UP SuspendTime=300');
    expect(await sh('grep -x "Include /etc/slurm/cloud.conf" /etc/slurm/slurm.conf')).toBe('Include /etc/slurm/cloud.conf\n');
    expect(await sh('stat -c "%a %U" /etc/slurm/cloud.conf')).toBe('644 root\n');
    expect(await sh('scontrol show config | grep -E "^(TreeWidth|ResumeTimeout) "')).toMatch(/ResumeTimeout\s+= 120 sec\nTreeWidth\s+= 65533/);
    expect(await sh('scontrol -o show partition cloud')).toContain('SuspendTime=300');
  });

  it('second run changes nothing and does not reconfigure', async () => {
    const pid = await ctldPid();
    const r = await run(good);
    expect(r.result.changed).toBe(false);
    expect(r.commands.map((c) => c.script).join('\n')).not.toMatch(/reconfigure|restart/);
    expect(r.commands.length).toBeLessThanOrEqual(3);
    expect(await ctldPid()).toBe(pid);
    expect((await run(good, { check: true })).result.changed).toBe(false);
  });

  it('a changed SuspendTime: scontrol reconfigure (same slurmctld), new value shown', async () => {
    const pid = await ctldPid();
    const args = { ...good, partitions: [{ ...good.partitions[0]!, SuspendTime: 600 }] };
    const r = await run(args, { diff: true });
    expect(r.result).toMatchObject({ changed: true, action: 'reconfigure' });
    console.log(`slurm_conf reconfigure: ${String(r.result.reconfigure_ms)} ms (parse check ${String(r.result.parse_check_ms)} ms)`);
    expect(await sh('scontrol -o show partition cloud')).toContain('SuspendTime=600');
    expect(await ctldPid()).toBe(pid);
    expect((await run(args)).result.changed).toBe(false);
  });

  it('refused before anything is written: undefined node, duplicate node, TreeWidth=65534, a parser error', async () => {
    const pid = await ctldPid();
    const before = await sh('cat /etc/slurm/cloud.conf');
    const undefinedNode = await run({ ...good, partitions: [{ name: 'cloud', nodes: 'cloud[1-3]' }] });
    expect(undefinedNode.result.failed).toBe(true);
    expect(undefinedNode.result.msg).toMatch(
      /partitions\.0\.nodes: partition cloud names node cloud3 that no NodeName line defines.*Invalid node names in partition/,
    );
    const dup = await run({ ...good, nodes: [{ name: 'cloud[1-2],local1', CPUs: 1 }] });
    expect(dup.result.msg).toMatch(/node local1 is already defined in \/etc\/slurm\/slurm.conf:21/);
    await expect(run({ ...good, params: { ...good.params, TreeWidth: 65534 } })).rejects.toThrow(
      /params\.TreeWidth: TreeWidth=65534 is out of range 1\.\.65533/,
    );
    const parser = await run({ ...good, partitions: [{ ...good.partitions[0]!, OverSubscribe: 'BOGUS' }] });
    expect(parser.result.msg).toMatch(/Slurm's parser refuses the configuration[\s\S]*Bad value "BOGUS" for OverSubscribe/);
    expect(await sh('cat /etc/slurm/cloud.conf')).toBe(before);
    expect(await ctldPid()).toBe(pid);
    expect(await running()).toBe(true);
  });

  it('a configuration slurmctld dies of after lint and parser passed it: old files back, slurmctld restarted, failed', async () => {
    // No such configuration is known to the lint (every fatal found in the lab is linted), so the controller-only
    // fatal is simulated: an scontrol earlier in PATH kills slurmctld on `reconfigure`, as 22.05 does on
    // "Invalid node names in partition".
    const before = await sh('cat /etc/slurm/cloud.conf');
    const mainBefore = await sh('cat /etc/slurm/slurm.conf');
    await lab.exec('ctl', 'cat > /usr/local/bin/scontrol && chmod 0755 /usr/local/bin/scontrol', {
      input:
        '#!/bin/sh\nif [ "$1" = reconfigure ]; then pkill -x slurmctld; echo "slurm_reconfigure error: Zero Bytes were transmitted or received" >&2; exit 1; fi\nexec /usr/bin/scontrol "$@"\n',
    });
    try {
      const t0 = Date.now();
      const r = await run({ ...good, partitions: [{ ...good.partitions[0]!, SuspendTime: 900 }] });
      console.log(`slurm_conf rollback: ${Date.now() - t0} ms`);
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toMatch(/scontrol reconfigure failed[\s\S]*the old \/etc\/slurm\/cloud.conf was restored; slurmctld was restarted and is up/);
    } finally {
      await sh('rm -f /usr/local/bin/scontrol');
    }
    expect(await sh('cat /etc/slurm/cloud.conf')).toBe(before);
    expect(await sh('cat /etc/slurm/slurm.conf')).toBe(mainBefore);
    expect(await running()).toBe(true);
    expect(await sh('scontrol -o show partition cloud')).toContain('SuspendTime=600');
  });
});
