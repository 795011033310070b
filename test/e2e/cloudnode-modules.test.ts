/**
 * The cloud-node modules against real lab hosts (lab 'cnmod', over ssh + sudo, through the engine's
 * validate → check → apply): each first run changes, the second run is ok, check mode changes nothing;
 * an autofs tmpfs/bind map really mounts on access (where the kernel has autofs); sendmail.cf has the DS line; a key really logs in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { converge as convergeOn, runModule } from '../harness/modules.js';
import { connectLabHost, featureGate, startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'cnmod';
/** the automounter needs autofs in the kernel; the map files do not */
const autofs = featureGate('autofs', 'the mount-on-access test of autofs_map is skipped (the map files are still tested)');
let lab: Lab;
const conns: Record<string, Connection> = {};
let tmp: string;

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

/** run a module as root (node2 has sudo with a password) */
const run = async (host: string, mod: string, args: Record<string, unknown>, check = false) =>
  (await runModule(conns[host]!, mod, args, { become: true, check })).result;

/** first run changed, second run ok, and the module did not fail */
const converge = async (host: string, mod: string, args: Record<string, unknown>) =>
  (await convergeOn(conns[host]!, mod, args, { become: true, checkFirst: false })).first.result;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'mixed' });
  tmp = mkdtempSync(join(tmpdir(), 'cnmod-'));
  for (const h of lab.hosts) {
    const c = await connectLabHost(lab, h.name);
    conns[h.name] = c;
  }
});

afterAll(async () => {
  await Promise.all(Object.values(conns).map((c) => c.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
});

describe('resolv_conf', () => {
  const args = { nameservers: ['10.2.0.53', '10.2.0.54', '168.63.129.16'], search: ['cluster.example.com'], options: ['timeout:2'] };
  const want =
    '# managed by tsplay (resolv_conf): local changes are overwritten\nsearch cluster.example.com\nnameserver 10.2.0.53\nnameserver 10.2.0.54\nnameserver 168.63.129.16\noptions timeout:2\n';

  it('check mode changes nothing; then changed, then ok; mode kept', async () => {
    const before = await sh('node1', 'cat /etc/resolv.conf; stat -c %a /etc/resolv.conf');
    const c = await run('node1', 'resolv_conf', args, true);
    expect(c.changed).toBe(true);
    expect(await sh('node1', 'cat /etc/resolv.conf; stat -c %a /etc/resolv.conf')).toBe(before);
    const mode = before.trim().split('\n').pop();
    await converge('node1', 'resolv_conf', args);
    expect(await sh('node1', 'cat /etc/resolv.conf')).toBe(want);
    expect((await sh('node1', 'stat -c %a /etc/resolv.conf')).trim()).toBe(mode);
  });

  it('a systemd-resolved symlink is refused, then replaced when asked', async () => {
    await sh(
      'node2',
      'mkdir -p /run/systemd/resolve && echo "nameserver 127.0.0.53" > /run/systemd/resolve/stub-resolv.conf && ln -sfn ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf',
    );
    const r = await run('node2', 'resolv_conf', args);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/symlink to \.\.\/run\/systemd\/resolve\/stub-resolv\.conf: systemd-resolved manages it/);
    expect((await sh('node2', 'readlink /etc/resolv.conf')).trim()).toBe('../run/systemd/resolve/stub-resolv.conf');
    await converge('node2', 'resolv_conf', { ...args, symlink: 'replace' });
    expect(await sh('node2', 'test ! -L /etc/resolv.conf && stat -c %a /etc/resolv.conf && cat /etc/resolv.conf')).toBe(`644\n${want}`);
    expect(await sh('node2', 'cat /run/systemd/resolve/stub-resolv.conf')).toBe('nameserver 127.0.0.53\n');
  });

  it('four nameservers fail validation (resolv.conf(5) MAXNS = 3)', async () => {
    await expect(run('node1', 'resolv_conf', { nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] })).rejects.toThrow(/MAXNS = 3/);
  });
});

describe('sendmail_smarthost', () => {
  it('edits sendmail.mc, rebuilds sendmail.cf (DS line), then ok; check mode touches nothing', async () => {
    const cfBefore = await sh('node1', 'md5sum /etc/mail/sendmail.cf /etc/mail/sendmail.mc');
    const c = await run('node1', 'sendmail_smarthost', { smart_host: 'mail.cluster.example.com' }, true);
    expect(c.changed).toBe(true);
    expect(await sh('node1', 'md5sum /etc/mail/sendmail.cf /etc/mail/sendmail.mc')).toBe(cfBefore);
    const perms = await sh('node1', 'stat -c "%a %U %G" /etc/mail/sendmail.cf');
    await converge('node1', 'sendmail_smarthost', { smart_host: 'mail.cluster.example.com' });
    expect(await sh('node1', "grep '^DS' /etc/mail/sendmail.cf")).toBe('DSmail.cluster.example.com\n');
    expect(await sh('node1', 'grep SMART_HOST /etc/mail/sendmail.mc')).toBe("define(`SMART_HOST', `mail.cluster.example.com')dnl\n");
    expect(await sh('node1', 'stat -c "%a %U %G" /etc/mail/sendmail.cf')).toBe(perms);
    expect(await sh('node1', 'ls -a /etc/mail')).not.toMatch(/tsplay/);
  });

  it('an .mc edited but never rebuilt is detected and rebuilt (make)', async () => {
    await sh(
      'node2',
      'sed -i "/^MAILER_DEFINITIONS/i define(\\`SMART_HOST\', \\`[10.1.2.3]\')dnl" /etc/mail/sendmail.mc && grep -c SMART_HOST /etc/mail/sendmail.mc',
    );
    expect(await sh('node2', "grep '^DS' /etc/mail/sendmail.cf")).toBe('DS\n');
    const planned = await run('node2', 'sendmail_smarthost', { smart_host: '[10.1.2.3]', rebuild: 'make' }, true);
    expect(planned.msg).toMatch(/^rebuild \/etc\/mail\/sendmail\.cf \(DS is ''/);
    await converge('node2', 'sendmail_smarthost', { smart_host: '[10.1.2.3]', rebuild: 'make' });
    expect(await sh('node2', "grep '^DS' /etc/mail/sendmail.cf")).toBe('DS[10.1.2.3]\n');
  });

  it('without root, m4 fails with a clear message and sendmail.cf stays as it was', async () => {
    const before = await sh('node1', 'md5sum /etc/mail/sendmail.cf');
    const r = (await runModule(conns.node1!, 'sendmail_smarthost', { smart_host: 'other.example.com' }, { become: false })).result;
    expect(r.failed).toBe(true);
    expect(await sh('node1', 'md5sum /etc/mail/sendmail.cf')).toBe(before);
  });
});

describe('autofs_map', () => {
  const args = {
    name: 'lab',
    mount_point: '/lab',
    master_options: '--timeout=60',
    entries: [
      { key: 'scratch', options: 'fstype=tmpfs,size=1m', location: ':tmpfs' },
      { key: 'data', options: 'fstype=bind', location: ':/srv/data' },
    ],
  };

  beforeAll(async () => {
    await sh('node1', 'mkdir -p /srv/data && echo hello > /srv/data/file');
  });

  it('drop-in + map file: check mode writes nothing, then changed, then ok', async () => {
    const c = await run('node1', 'autofs_map', args, true);
    expect(c.changed).toBe(true);
    expect((await lab.exec('node1', 'test -e /etc/auto.lab || test -e /etc/auto.master.d/lab.autofs')).rc).toBe(1);
    await converge('node1', 'autofs_map', args);
    expect(await sh('node1', 'cat /etc/auto.master.d/lab.autofs')).toBe('# managed by tsplay (autofs_map lab)\n/lab /etc/auto.lab --timeout=60\n');
    expect(await sh('node1', 'grep -v "^#" /etc/auto.lab')).toBe('scratch -fstype=tmpfs,size=1m :tmpfs\ndata -fstype=bind :/srv/data\n');
  });

  it.skipIf(!autofs.available)(autofs.title('the automounter reads them: the tmpfs and bind entries mount on access'), async () => {
    await sh('node1', 'service autofs start >/dev/null 2>&1; service autofs status >/dev/null');
    await sh('node1', 'service autofs reload >/dev/null 2>&1 || service autofs restart >/dev/null 2>&1; sleep 1');
    expect(await sh('node1', 'cat /lab/data/file')).toBe('hello\n');
    expect(await sh('node1', 'touch /lab/scratch/x && grep " /lab/scratch " /proc/mounts | cut -d" " -f3')).toBe('tmpfs\n');
  });

  it('state: absent on an entry removes just that key', async () => {
    const r = await converge('node1', 'autofs_map', { ...args, entries: [{ key: 'scratch', state: 'absent' }] });
    expect(r.changed).toBe(true);
    expect(await sh('node1', 'grep -v "^#" /etc/auto.lab')).toBe('data -fstype=bind :/srv/data\n');
  });
});

describe('mount', () => {
  const tmpfs = { path: '/mnt/cnscratch', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=2m', state: 'mounted' };

  it('mounted: fstab line + mounted now; then ok', async () => {
    await converge('node2', 'mount', tmpfs);
    expect(await sh('node2', 'grep cnscratch /etc/fstab')).toBe('tmpfs /mnt/cnscratch tmpfs size=2m 0 0\n');
    expect(await sh('node2', 'awk \'$2=="/mnt/cnscratch" {print $3}\' /proc/mounts')).toBe('tmpfs\n');
  });

  it('opts changed: fstab rewritten and remounted', async () => {
    await converge('node2', 'mount', { ...tmpfs, opts: 'size=4m' });
    expect(await sh('node2', 'awk \'$2=="/mnt/cnscratch" {print $4}\' /proc/mounts')).toMatch(/size=4096k/);
  });

  it('check mode of unmounted changes nothing; unmounted; absent removes the line', async () => {
    const c = await run('node2', 'mount', { path: '/mnt/cnscratch', state: 'unmounted' }, true);
    expect(c.changed).toBe(true);
    expect((await lab.exec('node2', 'grep -q " /mnt/cnscratch " /proc/mounts')).rc).toBe(0);
    await converge('node2', 'mount', { path: '/mnt/cnscratch', state: 'unmounted' });
    expect((await lab.exec('node2', 'grep -q " /mnt/cnscratch " /proc/mounts')).rc).toBe(1);
    await converge('node2', 'mount', { path: '/mnt/cnscratch', state: 'absent' });
    expect((await lab.exec('node2', 'grep -q cnscratch /etc/fstab')).rc).toBe(1);
  });

  it('a bind mount', async () => {
    await sh('node2', 'mkdir -p /srv/bindsrc && echo bound > /srv/bindsrc/f');
    await converge('node2', 'mount', { path: '/mnt/bind', src: '/srv/bindsrc', fstype: 'none', opts: 'bind', state: 'mounted' });
    expect(await sh('node2', 'cat /mnt/bind/f')).toBe('bound\n');
  });
});

describe('authorized_key', () => {
  it('creates .ssh 0700 and authorized_keys 0600 for the user; the key logs in', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cnmod@test', '-f', join(tmp, 'id')]);
    const pub = readFileSync(join(tmp, 'id.pub'), 'utf8').trim();
    await sh('node1', 'id alice >/dev/null 2>&1 || useradd -m -u 20001 -U -s /bin/sh alice');
    const c = await run('node1', 'authorized_key', { user: 'alice', key: pub }, true);
    expect(c.changed).toBe(true);
    expect((await lab.exec('node1', 'test -e /home/alice/.ssh')).rc).toBe(1);
    await converge('node1', 'authorized_key', { user: 'alice', key: pub });
    expect(await sh('node1', 'stat -c "%a %U %G" /home/alice/.ssh /home/alice/.ssh/authorized_keys')).toBe('700 alice alice\n600 alice alice\n');
    expect(await sh('node1', 'cat /home/alice/.ssh/authorized_keys')).toBe(`${pub}\n`);
    const out = execFileSync(
      'ssh',
      [
        '-i',
        join(tmp, 'id'),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `UserKnownHostsFile=${lab.knownHosts}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        `alice@${lab.host('node1').ip}`,
        'id -un',
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe('alice\n');
  });

  it('exclusive removes the others; absent removes the key', async () => {
    const pub = readFileSync(join(tmp, 'id.pub'), 'utf8').trim();
    await sh('node1', 'echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKey1 other" >> /home/alice/.ssh/authorized_keys');
    await converge('node1', 'authorized_key', { user: 'alice', key: pub, exclusive: true });
    expect(await sh('node1', 'cat /home/alice/.ssh/authorized_keys')).toBe(`${pub}\n`);
    await converge('node1', 'authorized_key', { user: 'alice', key: pub, state: 'absent' });
    expect(await sh('node1', 'cat /home/alice/.ssh/authorized_keys')).toBe('');
  });
});
