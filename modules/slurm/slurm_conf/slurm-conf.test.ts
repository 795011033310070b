/**
 * slurm_conf: every lint refusal with its message and argument path (ArgsError before any host; a failed
 * result where the host's files or version decide), the rendered file, the parser check's script and
 * verdict, and the module converging on the shared fake host (check mode → changed → ok, no reconfigure
 * on the no-op run).
 */
import { describe, expect, it } from 'vitest';
import { FakeHost, type FakeFile } from '../../../test/harness/fake-host.js';
import { converge, runModule } from '../../../test/harness/modules.js';
import { emptySummary, summarize } from '../../../lib/slurm/conf-line.js';
import { parseCheckResult, parseCheckScript } from '../../../lib/slurm/parse-check.js';
import { parseSlurmVersion } from '../../../lib/slurm/version.js';
import { lintWithHost, renderCloudConf } from './slurm-conf-lint.js';
import { editInclude, nodeLines, parseHost } from './slurm-conf.js';
import type { SlurmConfArgs } from './slurm-conf-args.js';

const MAIN = `ClusterName=lab
SlurmctldHost=ctl(10.0.0.1)
SlurmctldLogFile=/var/log/slurm/slurmctld.log
NodeName=local1 CPUs=1 State=UNKNOWN
PartitionName=local Nodes=local1 Default=YES
`;

const GOOD = {
  path: '/etc/slurm/cloud.conf',
  include_in: '/etc/slurm/slurm.conf',
  params: {
    ResumeProgram: '/usr/sbin/resume',
    SuspendProgram: '/usr/sbin/suspend',
    ResumeTimeout: 600,
    TreeWidth: 65533,
    SlurmctldParameters: ['cloud_dns'],
    DebugFlags: ['Power'],
  },
  nodes: [{ name: 'cloud[1-4]', CPUs: 4, RealMemory: 15000, Feature: ['cloud', 'azure'], Weight: 10 }],
  partitions: [{ name: 'cloud', nodes: 'cloud[1-4]', MaxTime: 'INFINITE', State: 'UP', SuspendTime: 600 }],
};

function host(files: Record<string, FakeFile> = { '/etc/slurm/slurm.conf': { content: MAIN } }, version = 'slurm-wlm 22.05.8'): FakeHost {
  const h: FakeHost = new FakeHost({
    files,
    dirs: ['/etc/slurm'],
    respond: (script, opts) => {
      if (script.startsWith('_v=$(slurmctld -V')) return { stdout: `version=${version}\nctld=up\n` };
      if (script.includes('tsplay-parse-check')) return { stdout: '@@tsplay-parse-check@@/tmp/tsplay-slurm-conf.X\n' };
      const mv = /mv -fT -- "\$_t" '?([^'\s]+)'?/.exec(script);
      if (mv) h.files![mv[1]!] = { content: Buffer.from(opts.stdin ?? '').toString('utf8') };
      if (script.includes('scontrol show config'))
        return {
          stdout:
            'SuspendTime = NONE\nResumeTimeout = 600 sec\nTreeWidth = 65533\nResumeProgram = /usr/sbin/resume\nSuspendProgram = /usr/sbin/suspend\n@@tsplay-slurm-file@@\nPartitionName=cloud Nodes=cloud[1-4] SuspendTime=600\n',
        };
      return {};
    },
  });
  return h;
}

async function refusal(args: Record<string, unknown>): Promise<string> {
  try {
    await runModule(new FakeHost(), 'slurm_conf', args);
  } catch (e) {
    const x = e as Error & { path?: string; also?: Error[] };
    return `${x.path ?? ''} ${x.message}${(x.also ?? []).map((a) => ` | ${a.message}`).join('')}`;
  }
  return 'accepted';
}

describe('lint without the host (ArgsError with the argument path)', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['TreeWidth above 65533', { params: { TreeWidth: 65534 } }, /\/params\/TreeWidth .*TreeWidth=65534 is out of range 1\.\.65533: slurm\.conf\.5.*65533/],
    ['TreeWidth 65536 (DTU)', { params: { TreeWidth: 65536 } }, /out of range 1\.\.65533/],
    ['SuspendTime=abc', { params: { SuspendTime: 'abc' } }, /\/params\/SuspendTime .*not a number of seconds.*reads it as 0/],
    [
      'PrivateData=bogus',
      { params: { PrivateData: ['cloud', 'bogus'] } },
      /\/params\/PrivateData .*'bogus' is not one of accounts, cloud.*ignores an unknown word/,
    ],
    ['DebugFlags typo', { params: { DebugFlags: 'Powr' } }, /did you mean 'Power'/],
    ['unknown key with did-you-mean', { params: { SuspendTme: 30 } }, /unknown argument 'params\.SuspendTme' \(did you mean 'SuspendTime'\?\)/],
    ['relative ResumeProgram', { params: { ResumeProgram: 'resume.sh' } }, /\/params\/ResumeProgram .*absolute path/],
    ['bad node hostlist', { nodes: [{ name: 'cloud[1-' }] }, /\/nodes\/0\/name .*not a valid hostlist/],
    ['bad partition hostlist', { nodes: [{ name: 'c1' }], partitions: [{ name: 'p', nodes: 'c[3-1]' }] }, /\/partitions\/0\/nodes .*not a valid hostlist/],
    ['node defined twice', { nodes: [{ name: 'c[1-2]' }, { name: 'c2' }] }, /\/nodes\/1\/name .*node c2 is already defined by nodes\/0.*Duplicated NodeName/],
    ['invalid node State', { nodes: [{ name: 'c1', State: 'BOGUS' }] }, /\/nodes\/0\/State .*Invalid state/],
    [
      'CPUs not matching the topology',
      { nodes: [{ name: 'c1', CPUs: 3, Boards: 1, SocketsPerBoard: 1, CoresPerSocket: 2, ThreadsPerCore: 1 }] },
      /\/nodes\/0\/CPUs .*CPUs=3 matches none/,
    ],
    [
      'RealMemory above the VM',
      { vm_memory_mb: 8192, nodes: [{ name: 'c1', RealMemory: 32000 }] },
      /\/nodes\/0\/RealMemory .*more than the VM has \(8192 MB\)/,
    ],
    ['NodeAddr count', { nodes: [{ name: 'c[1-3]', NodeAddr: '10.0.0.[1-2]' }] }, /\/nodes\/0\/NodeAddr .*2 names for 3 nodes/],
    [
      'partition twice',
      {
        nodes: [{ name: 'c1' }],
        partitions: [
          { name: 'p', nodes: 'c1' },
          { name: 'p', nodes: 'c1' },
        ],
      },
      /duplicate entry for partition/,
    ],
    [
      'two default partitions',
      {
        nodes: [{ name: 'c1' }],
        partitions: [
          { name: 'p', nodes: 'c1', Default: true },
          { name: 'q', nodes: 'c1', Default: true },
        ],
      },
      /more than one partition has Default=YES/,
    ],
    ['MaxTime', { nodes: [{ name: 'c1' }], partitions: [{ name: 'p', nodes: 'c1', MaxTime: 'forever' }] }, /\/partitions\/0\/MaxTime/],
    ['SuspendTimeout=INFINITE', { params: { SuspendTimeout: 'INFINITE' } }, /\/params\/SuspendTimeout .*INFINITE is not allowed/],
  ];
  for (const [name, args, re] of cases) it(name, async () => expect(await refusal(args)).toMatch(re));
});

describe('lint with the host (the main slurm.conf, the Slurm version)', () => {
  const v2205 = parseSlurmVersion('slurm-wlm 22.05.8');
  const others = summarize(MAIN, '/etc/slurm/slurm.conf');
  const lint = (a: Record<string, unknown>, notExecutable: string[] = []) =>
    lintWithHost(
      {
        path: '/etc/slurm/cloud.conf',
        params: {},
        nodes: [],
        partitions: [],
        validate: true,
        reconfigure: true,
        backup: false,
        state: 'present',
        verify_timeout: 15,
        ...a,
      } as SlurmConfArgs,
      { version: v2205, others, othersRead: true, notExecutable },
    );
  it('a partition naming a node nobody defines', () => {
    expect(lint({ nodes: [{ name: 'c[1-2]', State: 'CLOUD' }], partitions: [{ name: 'p', nodes: 'c[1-3],local1' }] }).errors).toEqual([
      {
        path: '/partitions/0/nodes',
        message: expect.stringMatching(/names node c3 that no NodeName line defines: slurmctld dies on "Invalid node names in partition"/),
      },
    ]);
  });
  it('a node the main slurm.conf defines already', () => {
    expect(lint({ nodes: [{ name: 'local1', State: 'CLOUD' }] }).errors[0]!.message).toMatch(/already defined in \/etc\/slurm\/slurm.conf:4/);
  });
  it('ResumeTimeout=INFINITE needs 25.05', () => {
    expect(lint({ params: { ResumeTimeout: 'INFINITE' } }).errors[0]!.message).toMatch(
      /ResumeTimeout=INFINITE needs Slurm 25\.05 \(this host has 22\.05\.8, which reads it as 0\)/,
    );
  });
  it('SuspendExcStates needs 23.02; KeepPowerSaveSettings too', () => {
    const e = lint({ params: { SuspendExcStates: ['DOWN'], ReconfigFlags: ['KeepPowerSaveSettings'] } }).errors.map((x) => x.message);
    expect(e).toEqual([
      expect.stringMatching(/SuspendExcStates needs Slurm 23\.02; this host has 22\.05\.8/),
      expect.stringMatching(/KeepPowerSaveSettings' needs Slurm 23\.02/),
    ]);
  });
  it('a second default partition, SuspendExcParts unknown, program not executable', () => {
    const e = lint(
      {
        nodes: [{ name: 'c1', State: 'CLOUD' }],
        partitions: [{ name: 'p', nodes: 'c1', Default: true }],
        params: { SuspendExcParts: ['nope'], ResumeProgram: '/x/resume' },
      },
      ['/x/resume'],
    ).errors.map((x) => x.path);
    expect(e).toEqual(['/partitions', '/params/SuspendExcParts', '/params/ResumeProgram']);
  });
  it('warnings: global SuspendTime, idle_on_node_suspend, RealMemory within 5% of the VM', () => {
    const w = lint({
      vm_memory_mb: 16000,
      params: { SuspendTime: 300, SlurmctldParameters: 'cloud_dns,idle_on_node_suspend' },
      nodes: [{ name: 'c1', State: 'CLOUD', RealMemory: 15800 }],
    });
    expect(w.errors).toEqual([]);
    expect(w.warnings.map((x) => x.path)).toEqual(['/params/SuspendTime', '/params/SlurmctldParameters', '/nodes/0/RealMemory']);
  });
});

describe('render, include line, parser check', () => {
  it('renders a deterministic file with the managed-by header', () => {
    const a = {
      ...GOOD,
      nodes: GOOD.nodes.map((n) => ({ State: 'CLOUD', ...n })),
      validate: true,
      reconfigure: true,
      backup: false,
      state: 'present',
      verify_timeout: 15,
    } as unknown as SlurmConfArgs;
    expect(renderCloudConf(a)).toBe(`# Managed by tsplay (slurm_conf): changes here are overwritten.

# power saving
ResumeTimeout=600
ResumeProgram=/usr/sbin/resume
SuspendProgram=/usr/sbin/suspend
SlurmctldParameters=cloud_dns
TreeWidth=65533
DebugFlags=Power

# nodes
NodeName=cloud[1-4] CPUs=4 RealMemory=15000 Feature=cloud,azure Weight=10 State=CLOUD

# partitions
PartitionName=cloud Nodes=cloud[1-4] MaxTime=INFINITE State=UP SuspendTime=600
`);
  });
  it('one Include line: added, duplicates dropped, removed for absent', () => {
    expect(editInclude(MAIN, '/etc/slurm/cloud.conf', '/etc/slurm', true)).toBe(MAIN + 'Include /etc/slurm/cloud.conf\n');
    expect(editInclude(MAIN + 'Include cloud.conf\ninclude /etc/slurm/cloud.conf\n', '/etc/slurm/cloud.conf', '/etc/slurm', true)).toBe(
      MAIN + 'Include cloud.conf\n',
    );
    expect(editInclude(MAIN + 'Include cloud.conf\n', '/etc/slurm/cloud.conf', '/etc/slurm', false)).toBe(MAIN);
  });
  it('the parser check stages the main conf pointing at the candidate, and reads the verdict', () => {
    const i = {
      main: MAIN + 'Include /etc/slurm/cloud.conf\nInclude acct.conf\n',
      mainPath: '/etc/slurm/slurm.conf',
      path: '/etc/slurm/cloud.conf',
      candidate: 'TreeWidth=65536\n',
    };
    const s = parseCheckScript(i);
    expect(s).toContain('Include cloud.conf\nInclude /etc/slurm/acct.conf');
    expect(s).toContain('mktemp -d');
    expect(s).toContain('trap \'rm -rf -- "$_d"\' EXIT');
    const out =
      '@@tsplay-parse-check@@/tmp/d\nscontrol: error: TreeWidth value (65536) is greater than 65535\nscontrol: fatal: Unable to process configuration file\n';
    expect(parseCheckResult(1, out, i)).toEqual({
      ok: false,
      messages: ['scontrol: error: TreeWidth value (65536) is greater than 65535', 'scontrol: fatal: Unable to process configuration file'],
    });
    expect(parseCheckResult(0, '@@tsplay-parse-check@@/tmp/d\nscontrol: error: NodeNames=c1 CPUs=3 match no Sockets\n', i).ok).toBe(false);
    expect(parseCheckResult(0, '@@tsplay-parse-check@@/tmp/d\n', i)).toEqual({ ok: true, messages: [] });
  });
  it('host probe output and NodeName comparison', () => {
    const h = parseHost('version=slurm 23.02.7\nnotexec=/x\nctld=up\n@@tsplay-slurm-file@@/etc/slurm/acct.conf\nNodeName=a1\n');
    expect(h).toMatchObject({ version: { text: '23.02.7' }, notExecutable: ['/x'], ctldUp: true });
    expect(h.files.get('/etc/slurm/acct.conf')).toBe('NodeName=a1\n');
    expect(nodeLines('# x\nNodeName=c1 CPUs=2\nPartitionName=p Nodes=c1\n')).toBe(nodeLines('nodename=c1 cpus=2\n'.replace('cpus', 'CPUs')));
    expect(emptySummary().nodes.size).toBe(0);
  });
});

describe('on the fake host', () => {
  it('converges: check mode changes nothing, first run writes + restarts, second run is ok without reconfigure', async () => {
    const h = host();
    const { first, second } = await converge(h, 'slurm_conf', GOOD, { become: true, diff: true });
    expect(first.result).toMatchObject({ changed: true, action: 'restart', parse_check: 'ok', slurm_version: '22.05.8' });
    expect(h.files!['/etc/slurm/cloud.conf']).toMatchObject({ content: expect.stringContaining('NodeName=cloud[1-4]') });
    expect(h.files!['/etc/slurm/slurm.conf']).toMatchObject({ content: MAIN + 'Include /etc/slurm/cloud.conf\n' });
    expect(second.commands.map((c) => c.script).join('\n')).not.toMatch(/reconfigure|restart|tsplay-parse-check/);
  });
  it('a change outside NodeName lines is a reconfigure', async () => {
    const h = host();
    await runModule(h, 'slurm_conf', GOOD, { become: true });
    const r = await runModule(h, 'slurm_conf', { ...GOOD, partitions: [{ ...GOOD.partitions[0]!, MaxTime: '1-00:00:00' }] }, { become: true });
    expect(r.result).toMatchObject({ changed: true, action: 'reconfigure' });
    expect(r.commands.some((c) => c.script.includes('scontrol reconfigure'))).toBe(true);
  });
  it('slurmctld not showing the new value: the old file is written back and the task fails', async () => {
    const h = host();
    await runModule(h, 'slurm_conf', GOOD, { become: true });
    const before = h.files!['/etc/slurm/cloud.conf'];
    const r = await runModule(h, 'slurm_conf', { ...GOOD, params: { ...GOOD.params, ResumeTimeout: 900 } }, { become: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/slurmctld does not show the new values: ResumeTimeout is 600, not 900[\s\S]*the old \/etc\/slurm\/cloud.conf was restored/);
    expect(h.files!['/etc/slurm/cloud.conf']).toEqual(before);
  });
  it('a host refusal is a failed result and writes nothing', async () => {
    const h = host();
    const r = await runModule(h, 'slurm_conf', { ...GOOD, partitions: [{ name: 'cloud', nodes: 'cloud[1-5]' }] }, { become: true });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/partitions\.0\.nodes: partition cloud names node cloud5/);
    expect(h.files!['/etc/slurm/cloud.conf']).toBeUndefined();
  });
  it('SuspendExcStates on 23.02 is fine, on 22.05 refused', async () => {
    const args = { ...GOOD, params: { ...GOOD.params, SuspendExcStates: ['DOWN', 'DRAIN', 'FAIL'] } };
    expect((await runModule(host(), 'slurm_conf', args, { become: true, check: true })).result.msg).toMatch(/SuspendExcStates needs Slurm 23\.02/);
    expect((await runModule(host(undefined, 'slurm 23.02.7'), 'slurm_conf', args, { become: true, check: true })).result.changed).toBe(true);
  });
});
