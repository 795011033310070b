/**
 * yum_repository twin comparison on real lab hosts (Debian 12, dnf 4.14, rpm): the real ansible-playbook
 * (ansible-core 2.14, over ssh, become root) runs a table of cases on node1, tsplay the same playbook on node2.
 * Every case starts from the same pre-existing file (written as root on both hosts), runs one task, and the
 * resulting directories must be byte-identical (content, mode, owner, group; a removed file removed on both).
 * Then Debian's dnf reads tsplay's files offline (`repolist all -C` with that reposdir) and lists the repos;
 * a second run changes nothing on either side; tsplay's check mode on the fresh state writes nothing.
 * The first case is seed 001's task, verbatim but for the reposdir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectLabHost, startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, tsplay } from '../harness/cli.js';
import { converge, runModule } from '../harness/modules.js';
import { TEST_FPR, TEST_KEY } from '../../modules/system/rpm_key/test-key.js';

interface Case {
  name: string;
  /** the .repo file present before the run (file name → content) */
  pre?: Record<string, string>;
  args: Record<string, unknown>;
  /** repo ids dnf must list afterwards (with their enabled/disabled status) */
  dnf?: Record<string, 'enabled' | 'disabled'>;
}

const OTHER = `# hand-written, comments and spacing are Ansible's to drop
[Other]
Name=Other repo
baseurl=http://mirror.example.com/other
\thttp://mirror2.example.com/other
enabled : 0

[keep]
name = Kept
baseurl = http://keep.example.com/
`;

const cases: Case[] = [
  {
    name: 'seed',
    args: {
      name: 'azure-cli',
      description: 'Azure CLI',
      baseurl: 'https://packages.microsoft.com/yumrepos/azure-cli',
      gpgkey: 'https://packages.microsoft.com/keys/microsoft.asc',
      gpgcheck: true,
      enabled: true,
    },
    dnf: { 'azure-cli': 'enabled' },
  },
  {
    name: 'multi',
    pre: { 'hpc.repo': OTHER },
    args: {
      name: 'hpc-local',
      file: 'hpc',
      description: 'HPC local',
      baseurl: ['http://m1.cluster.example.com/hpc/el9', 'http://m2.cluster.example.com/hpc/el9'],
      exclude: ['kernel*', 'slurm-devel'],
      includepkgs: 'slurm*,munge*',
      gpgcheck: false,
      skip_if_unavailable: true,
      module_hotfixes: false,
      priority: 10,
      cost: '500',
      sslverify: false,
      metadata_expire: '6h',
      ip_resolve: 4,
      keepcache: '1',
    },
    dnf: { 'hpc-local': 'enabled', Other: 'disabled', keep: 'enabled' },
  },
  {
    name: 'replace',
    pre: { 'r.repo': '[r]\nname = old\nbaseurl = http://old/\nproxy = http://proxy:3128\nenabled = 1\n\n[s]\nname = s\nbaseurl = http://s/\n\n' },
    args: { name: 'r', description: 'new', mirrorlist: 'http://mirrors.example.com/?release=9&arch=x86_64', enabled: false },
    dnf: { r: 'disabled', s: 'enabled' },
  },
  {
    name: 'absent',
    pre: { 'two.repo': '[a]\nname = A\nbaseurl = http://a/\n\n[b]\nname = B\nbaseurl = http://b/\n\n' },
    args: { name: 'a', file: 'two', state: 'absent' },
    dnf: { b: 'enabled' },
  },
  { name: 'absent-last', pre: { 'one.repo': '[one]\nname = One\nbaseurl = http://one/\n' }, args: { name: 'one', state: 'absent' } },
  { name: 'absent-missing', args: { name: 'none', state: 'absent' } },
  {
    name: 'special',
    args: {
      name: 'special_repo-1.0',
      description: 'Weird: 100% = "quoted" ; #not-a-comment [x] ünïcode',
      baseurl: 'http://a.example.com/$releasever/$basearch/,http://b.example.com/path?x=1&y=%20',
      gpgkey: ['file:///etc/pki/rpm-gpg/KEY-1', 'file:///etc/pki/rpm-gpg/KEY 2'],
      username: 'user:name',
      password: 'p@ss=w:rd',
      enabled: true,
    },
    dnf: { 'special_repo-1.0': 'enabled' },
  },
  {
    name: 'attrs',
    pre: { 'm.repo': '[m]\nname = M\nbaseurl = http://m/\n\n' },
    args: { name: 'm', description: 'M', baseurl: 'http://m/', mode: '0600', owner: 'root', group: 'daemon' },
    dnf: { m: 'enabled' },
  },
];

const DIR = '/srv/yumtest';
const dirOf = (c: Case) => `${DIR}/${c.name}`;

let lab: Lab;
let tmp: string;
let book: string;

function ansible(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn('ansible-playbook', args, {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'False' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (out += b));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, out }));
  });
}

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Every case's directory as it was before the run, on one host. */
async function reset(host: string): Promise<void> {
  const script = [`rm -rf ${DIR}`, ...cases.map((c) => `mkdir -p '${dirOf(c)}'`)];
  await sh(host, script.join('\n'));
  for (const c of cases)
    for (const [f, text] of Object.entries(c.pre ?? {})) {
      const r = await lab.exec(host, `cat > '${dirOf(c)}/${f}'`, { input: text });
      if (r.rc !== 0) throw new Error(r.stderr);
    }
}

/** The state compared between the twins: names, modes, owners, sizes, then the bytes (base64). */
const snapshot = (host: string) =>
  sh(
    host,
    `cd ${DIR} && find . -printf '%p %y %m %u %g %s\\n' | LC_ALL=C sort && for f in $(find . -type f | LC_ALL=C sort); do echo "== $f"; base64 "$f"; done`,
  );

const runAnsible = (extra: string[] = []) => ansible([book, '-i', lab.inventory, '-l', 'node1', ...extra]);
const runTsplay = (extra: string[] = []) => tsplay(['run', book, '-i', lab.inventory, '-l', 'node2', ...extra]);

beforeAll(async () => {
  lab = await startLab('yumrepo', { hosts: 2 });
  tmp = mkdtempSync(join(tmpdir(), 'yumrepo-'));
  book = join(tmp, 'repos.yml');
  const tasks = cases.map((c) => ({ name: c.name, yum_repository: { ...c.args, reposdir: dirOf(c) } }));
  writeFileSync(book, stringify([{ hosts: 'all', become: true, gather_facts: false, tasks }]));
  await Promise.all([reset('node1'), reset('node2')]);
}, 180_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab('yumrepo');
}, 120_000);

describe('yum_repository: tsplay and ansible-core 2.14 write the same files', () => {
  it('check mode on the fresh state writes nothing', async () => {
    const before = await snapshot('node2');
    const t = await runTsplay(['--check']);
    expect(t.code, t.all).toBe(0);
    expect(recap(t.stdout).node2?.changed).toBe(cases.length - 1);
    expect(await snapshot('node2')).toBe(before);
  }, 120_000);

  it('first run: changed on both, the files byte-identical', async () => {
    const [a, t] = await Promise.all([runAnsible(), runTsplay()]);
    expect(a.code, a.out).toBe(0);
    expect(t.code, t.all).toBe(0);
    // every case changes something except removing a repo that is not there
    expect(recap(a.out).node1?.changed).toBe(cases.length - 1);
    expect(recap(t.stdout).node2?.changed).toBe(cases.length - 1);
    const [sa, st] = await Promise.all([snapshot('node1'), snapshot('node2')]);
    expect(st).toContain('./attrs/m.repo f 600 root daemon');
    expect(st).not.toContain('./absent-last/one.repo');
    expect(st).toBe(sa);
    const seed = await sh('node2', `cat ${DIR}/seed/azure-cli.repo`);
    expect(seed).toBe(
      '[azure-cli]\nbaseurl = https://packages.microsoft.com/yumrepos/azure-cli\nenabled = 1\ngpgcheck = 1\ngpgkey = https://packages.microsoft.com/keys/microsoft.asc\nname = Azure CLI\n\n',
    );
  }, 300_000);

  it("Debian's dnf reads the files tsplay wrote (offline: repolist from the cache-only view)", async () => {
    for (const c of cases) {
      if (!c.dnf) continue;
      const out = await sh('node2', `dnf -q --releasever=9 --setopt=reposdir='${dirOf(c)}' --setopt=cachedir=/tmp/dnf-yumtest repolist all -C 2>&1`);
      for (const [id, status] of Object.entries(c.dnf))
        expect(out, `${c.name}: ${out}`).toMatch(new RegExp(`^${id.replace(/[.$]/g, '\\$&')}\\s.*\\s${status}\\s*$`, 'm'));
    }
  }, 120_000);

  it('second run: nothing changes on either host, check mode neither', async () => {
    const [a, t] = await Promise.all([runAnsible(), runTsplay()]);
    expect(a.code, a.out).toBe(0);
    expect(t.code, t.all).toBe(0);
    expect(recap(a.out).node1?.changed).toBe(0);
    expect(recap(t.stdout).node2?.changed).toBe(0);
    const c = await runTsplay(['--check']);
    expect(recap(c.stdout).node2?.changed).toBe(0);
    const [sa, st] = await Promise.all([snapshot('node1'), snapshot('node2')]);
    expect(st).toBe(sa);
  }, 300_000);
});

describe('rpm_key: the key in the rpm database as ansible-core puts it there', () => {
  const keys = (host: string) => sh(host, "rpm -q gpg-pubkey --qf '%{NAME}-%{VERSION}-%{RELEASE} %{SUMMARY}\\n' 2>/dev/null || true");
  it('a key file on the host: check mode, import, second run ok; the same package as Ansible; then absent', async () => {
    for (const h of ['node1', 'node2']) {
      const r = await lab.exec(h, 'cat > /root/test-key.asc', { input: TEST_KEY });
      expect(r.rc).toBe(0);
    }
    const conn = await connectLabHost(lab, 'node2');
    try {
      await converge(
        conn,
        'rpm_key',
        { key: '/root/test-key.asc', fingerprint: TEST_FPR.replace(/(.{4})/g, '$1 ') },
        { become: true, unchanged: () => keys('node2') },
      );
      const a = await new Promise<number>((res) => {
        const c = spawn('ansible', ['node1', '-i', lab.inventory, '-b', '-m', 'rpm_key', '-a', 'key=/root/test-key.asc'], {
          stdio: 'ignore',
          env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False' },
        });
        c.on('close', (code) => res(code ?? 1));
      });
      expect(a).toBe(0);
      const [k1, k2] = await Promise.all([keys('node1'), keys('node2')]);
      expect(k2).toContain(`gpg-pubkey-${TEST_FPR.slice(-8).toLowerCase()}-`);
      expect(k2).toBe(k1);
      // the key text itself is known too (no change), then absent by id removes it, once
      expect((await runModule(conn, 'rpm_key', { key: TEST_KEY }, { become: true })).result.changed).toBe(false);
      await converge(conn, 'rpm_key', { key: `0x${TEST_FPR.slice(-8)}`, state: 'absent' }, { become: true, unchanged: () => keys('node2') });
      expect(await keys('node2')).toBe('package gpg-pubkey is not installed\n');
    } finally {
      await conn.close();
    }
  }, 180_000);
});
