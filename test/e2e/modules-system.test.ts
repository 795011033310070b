/**
 * System, command and utility modules against real lab hosts over real SSH + sudo (lab 'sysmod': node1
 * NOPASSWD sudo, node2 sudo with a password). Every module: check mode changes nothing, the first run
 * changes, the second is ok and costs exactly one command on the host.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import type { Connection } from '../../src/connection/types.js';
import type { ResultData } from '../../src/contract/define.js';
import { labTarget, startLab, stopLab, type Lab } from '../harness/lab.js';
import { converge as convergeOn, runModule, type RunModuleOpts } from '../harness/modules.js';

const LAB = 'sysmod';
let lab: Lab;
const conns: SshConnection[] = [];
const noopCost: Record<string, number> = {};

function connect(host: string): Connection {
  const c = new SshConnection(labTarget(lab, host));
  conns.push(c);
  return c;
}

let n1: Connection;
let n2: Connection;

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

const run = (c: Connection, name: string, args: Record<string, unknown>, opts: RunModuleOpts = {}) => runModule(c, name, args, { become: true, ...opts });

/** check mode → changed (and `unchanged` holds before and after); run → changed; run again → ok in one command. */
async function converge(c: Connection, name: string, args: Record<string, unknown>, unchanged?: () => Promise<void>): Promise<ResultData> {
  // `unchanged` asserts (its return value is not a snapshot)
  const { first, second } = await convergeOn(c, name, args, { become: true, unchanged: unchanged && (async () => void (await unchanged())), noopCommands: 1 });
  noopCost[name] = second.commands.length;
  return first.result;
}

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 2, sudo: 'mixed' });
  n1 = connect('node1');
  n2 = connect('node2'); // a password-sudo host: labTarget gives it ops-pass
});

afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
  if (Object.keys(noopCost).length) console.log(`sysmod: commands per no-op task: ${JSON.stringify(noopCost)}`);
  await stopLab(LAB);
});

describe('ping, command, shell', () => {
  it('ping proves ssh and sudo (NOPASSWD and with a password)', async () => {
    for (const c of [n1, n2]) {
      const a = await run(c, 'ping', {});
      expect(a.result).toMatchObject({ changed: false, ping: 'pong' });
      expect(a.commands).toHaveLength(1);
    }
    expect((await run(n2, 'ping', {}, { become: false })).result.ping).toBe('pong');
  });

  it('command with creates: changed in check mode (as command.py: the guard decides), runs once, then ok', async () => {
    const args = { cmd: 'touch /root/made-by-command', creates: '/root/made-by-command' };
    const chk = await run(n1, 'command', args, { check: true });
    expect(chk.result).toMatchObject({ changed: true, msg: 'Command would have run if not in check mode' });
    expect(chk.result.skipped).toBeUndefined();
    expect((await lab.exec('node1', 'test -e /root/made-by-command')).rc).toBe(1);
    const first = await run(n1, 'command', args);
    expect(first.result).toMatchObject({ changed: true, rc: 0 });
    expect((await lab.exec('node1', 'test -e /root/made-by-command')).rc).toBe(0);
    const again = await run(n1, 'ansible.builtin.command', args);
    expect(again.result).toMatchObject({ changed: false, msg: "Did not run command since '/root/made-by-command' exists" });
    expect(again.commands).toHaveLength(1);
    const chk2 = await run(n1, 'command', args, { check: true });
    expect(chk2.result.changed).toBe(false);
    expect(chk2.result.skipped).toBeUndefined();
  });

  it('command passes arguments verbatim; shell interprets; rc != 0 fails; chdir and stdin', async () => {
    const c = await run(n1, 'command', { cmd: 'echo a | b $HOME' }, { become: false });
    expect(c.result.stdout).toBe('a | b /home/ops');
    const s = await run(n1, 'shell', { cmd: 'echo a b c | wc -w; pwd; cat', chdir: '/etc', stdin: 'from stdin' });
    expect(s.result).toMatchObject({ changed: true, rc: 0, stdout_lines: ['3', '/etc', 'from stdin'] });
    const f = await run(n1, 'shell', { cmd: 'echo oops >&2; exit 4' });
    expect(f.result).toMatchObject({ failed: true, rc: 4, msg: 'non-zero return code', stderr: 'oops' });
    const b = await run(n1, 'shell', { cmd: 'echo $BASH_VERSION', executable: '/bin/bash' });
    expect(b.result.stdout).toMatch(/^5\./);
  });
});

describe('group and user with fixed ids', () => {
  // not 'slurm': the lab image has Debian's slurm packages, whose postinst creates that account
  const hash = '$6$tsplaysalt$' + 'x'.repeat(86);
  it('group with a fixed gid', async () => {
    await converge(n1, 'group', { name: 'hpcsvc', gid: 11100, system: true }, async () => {
      expect((await lab.exec('node1', 'getent group hpcsvc')).rc).toBe(2);
    });
    expect(await sh('node1', 'getent group hpcsvc')).toBe('hpcsvc:x:11100:\n');
    const moved = await run(n1, 'group', { name: 'hpcsvc', gid: 11101 });
    expect(moved.result.changed).toBe(true);
    expect(await sh('node1', 'getent group hpcsvc')).toBe('hpcsvc:x:11101:\n');
    await run(n1, 'group', { name: 'hpcsvc', gid: 11100 });
  });

  it('user with a fixed uid, primary group, groups, home, shell and a password hash', async () => {
    const args = {
      name: 'hpcsvc',
      uid: 11100,
      group: 'hpcsvc',
      groups: ['adm'],
      home: '/var/lib/hpcsvc',
      shell: '/bin/bash',
      system: true,
      comment: 'HPC service',
      password: hash,
    };
    await converge(n1, 'user', args, async () => {
      expect((await lab.exec('node1', 'getent passwd hpcsvc')).rc).toBe(2);
    });
    expect(await sh('node1', 'getent passwd hpcsvc')).toBe('hpcsvc:x:11100:11100:HPC service:/var/lib/hpcsvc:/bin/bash\n');
    expect(await sh('node1', 'id -Gn hpcsvc')).toBe('hpcsvc adm\n');
    expect(await sh('node1', 'test -d /var/lib/hpcsvc && stat -c %U /var/lib/hpcsvc')).toBe('hpcsvc\n');
    expect((await sh('node1', 'getent shadow hpcsvc')).split(':')[1]).toBe(hash);
    // the hash went through stdin: the sudo shell's process list never had it (nothing left running either)
    expect(await sh('node1', 'ps -eo args')).not.toContain('tsplaysalt');
  });

  it('user changes: shell, groups append, lock; then absent with remove', async () => {
    const sh1 = await run(n1, 'user', { name: 'hpcsvc', shell: '/usr/sbin/nologin' });
    expect(sh1.result.changed).toBe(true);
    expect((await sh('node1', 'getent passwd hpcsvc')).trim().split(':')[6]).toBe('/usr/sbin/nologin');
    await converge(n1, 'user', { name: 'hpcsvc', groups: 'users', append: true });
    expect(await sh('node1', 'id -Gn hpcsvc')).toBe('hpcsvc adm users\n');
    await converge(n1, 'user', { name: 'hpcsvc', password_lock: true });
    expect((await sh('node1', 'getent shadow hpcsvc')).split(':')[1]).toMatch(/^!\$6\$tsplaysalt\$/);
    await converge(n1, 'user', { name: 'hpcsvc', state: 'absent', remove: true });
    expect((await lab.exec('node1', 'test -e /var/lib/hpcsvc')).rc).toBe(1);
    // userdel also removed the user's own group (USERGROUPS_ENAB): nothing left for group absent
    expect((await lab.exec('node1', 'getent group hpcsvc')).rc).toBe(2);
    const g = await run(n1, 'group', { name: 'hpcsvc', state: 'absent' });
    expect(g.result.changed).toBe(false);
  });

  it('the same uid/gid on a second host (sudo with a password)', async () => {
    await converge(n2, 'group', { name: 'munge2', gid: 11101 });
    await converge(n2, 'user', { name: 'munge2', uid: 11101, create_home: false, shell: '/usr/sbin/nologin' });
    expect(await sh('node2', 'getent passwd munge2')).toMatch(/^munge2:x:11101:11101:/);
  });
});

// The sample daemon is munged (Debian's munge package and its init script): it needs nothing from the kernel
// (a Unix socket and a key file), so these tests run on every kernel; the key is a throwaway one.
describe('service (SysV init scripts: no systemd as PID 1 in the lab)', () => {
  const running = async () => (await lab.exec('node1', '/etc/init.d/munge status')).rc === 0;
  beforeAll(async () => {
    await sh(
      'node1',
      'umask 077; head -c 1024 /dev/urandom > /etc/munge/munge.key && chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key',
    );
  });
  it('started / stopped', async () => {
    if (await running()) await sh('node1', '/etc/init.d/munge stop');
    await converge(n1, 'service', { name: 'munge', state: 'started' }, async () => expect(await running()).toBe(false));
    expect(await running()).toBe(true);
    expect((await lab.exec('node1', 'pgrep -x munged')).rc).toBe(0);
    await converge(n1, 'ansible.builtin.service', { name: 'munge', state: 'stopped' }, async () => expect(await running()).toBe(true));
    expect(await running()).toBe(false);
    expect((await lab.exec('node1', 'pgrep -x munged')).rc).toBe(1);
  });
  it('enabled false / true flips the rc links', async () => {
    const links = async () => (await sh('node1', 'ls /etc/rc2.d')).split('\n').filter((l) => l.endsWith('munge'));
    expect((await links())[0]).toMatch(/^S/);
    await converge(n1, 'service', { name: 'munge', enabled: false });
    expect((await links())[0]).toMatch(/^K/);
    await converge(n1, 'service', { name: 'munge', enabled: true, state: 'started' });
    expect((await links())[0]).toMatch(/^S/);
    expect(await running()).toBe(true);
  });
  it('restarted always changes; systemd module drives the init script too', async () => {
    const pid = async () => (await sh('node1', 'cat /run/munge/munged.pid')).trim();
    const before = await pid();
    expect(before).toMatch(/^\d+$/);
    const r = await run(n1, 'service', { name: 'munge', state: 'restarted' });
    expect(r.result.changed).toBe(true);
    expect(await pid()).not.toBe(before);
    expect((await lab.exec('node1', `kill -0 ${await pid()}`)).rc).toBe(0);
    const s = await run(n1, 'systemd', { name: 'munge', state: 'started', daemon_reload: true });
    expect(s.result).toMatchObject({ changed: false, state: 'started' });
  });
  it('a missing service fails clearly', async () => {
    const r = await run(n1, 'service', { name: 'no-such-daemon', state: 'started' });
    expect(r.result).toMatchObject({ failed: true, msg: 'Could not find the requested service no-such-daemon' });
  });
});

describe('package / apt (no network: remove, keep, local .deb)', () => {
  it('absent removes less; present for an installed package is ok', async () => {
    await converge(n1, 'package', { name: 'less', state: 'absent' }, async () => {
      expect((await lab.exec('node1', 'dpkg -s less')).rc).toBe(0);
    });
    expect((await lab.exec('node1', "dpkg-query -W -f='${db:Status-Abbrev}' less")).stdout).not.toMatch(/^ii/);
    const keep = await run(n1, 'apt', { name: ['sudo', 'openssh-server'], state: 'present' });
    expect(keep.result.changed).toBe(false);
    expect(keep.commands).toHaveLength(1);
  });
  it("a package apt does not know fails with Ansible's message", async () => {
    const r = await run(n1, 'apt', { name: ['sudo', 'tsplay-no-such-package'], state: 'present' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe("No package matching 'tsplay-no-such-package' is available");
    expect(r.result.rc).toBeUndefined();
  });
  it('a local .deb installs once (apt deb=)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmod-deb-'));
    try {
      mkdirSync(join(dir, 'root', 'DEBIAN'), { recursive: true });
      mkdirSync(join(dir, 'root', 'usr', 'share', 'tsplay-hello'), { recursive: true });
      writeFileSync(join(dir, 'root', 'usr', 'share', 'tsplay-hello', 'hello'), 'hello\n');
      writeFileSync(
        join(dir, 'root', 'DEBIAN', 'control'),
        'Package: tsplay-hello\nVersion: 1.0-1\nArchitecture: all\nMaintainer: tsplay <tsplay@example.com>\nDescription: test package\n',
      );
      execFileSync('dpkg-deb', ['--root-owner-group', '--build', join(dir, 'root'), join(dir, 'h.deb')], { stdio: 'ignore' });
      await lab.exec('node1', 'base64 -d > /root/tsplay-hello.deb', { input: readFileSync(join(dir, 'h.deb')).toString('base64') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await converge(n1, 'apt', { deb: '/root/tsplay-hello.deb' });
    expect(await sh('node1', "dpkg-query -W -f='${Version}' tsplay-hello")).toBe('1.0-1');
    await converge(n1, 'apt', { name: 'tsplay-hello', state: 'absent', purge: true });
  });
});

describe('hostname', () => {
  it('sets an FQDN, /etc/hostname and a 127.0.1.1 line; sudo then resolves it', async () => {
    const fqdn = 'cloudnode001.cluster.example.com';
    // without the /etc/hosts line sudo complains: proves the check below means something
    await run(n1, 'hostname', { name: 'bare-name-only', update_hosts: false });
    expect((await lab.ssh('node1', 'sudo true')).stderr).toMatch(/unable to resolve host bare-name-only/);
    await converge(n1, 'hostname', { name: fqdn }, async () => {
      expect((await sh('node1', 'hostname')).trim()).toBe('bare-name-only');
    });
    expect((await sh('node1', 'hostname')).trim()).toBe(fqdn);
    expect(await sh('node1', 'cat /etc/hostname')).toBe(`${fqdn}\n`);
    const hosts = await sh('node1', 'cat /etc/hosts');
    expect(hosts.split('\n').filter((l) => l.startsWith('127.0.1.1'))).toEqual([`127.0.1.1\t${fqdn} cloudnode001`]);
    expect(hosts).toMatch(/^127\.0\.0\.1\s+localhost/m);
    const s = await lab.ssh('node1', 'sudo true');
    expect(s.rc).toBe(0);
    expect(s.stderr).not.toMatch(/unable to resolve/);
  });
  it('when the real address already names the host, the FQDN goes on that line (never resolves to loopback)', async () => {
    const ip = lab.host('node1').ip;
    const lineOf = (hosts: string) => hosts.split('\n').filter((l) => l.split(/\s+/)[0] === ip);
    expect(lineOf(await sh('node1', 'cat /etc/hosts'))[0]?.split(/\s+/)).toContain('node1');
    await converge(n1, 'hostname', { name: 'node1.cluster.example.com' });
    const hosts = await sh('node1', 'cat /etc/hosts');
    expect(lineOf(hosts)[0]?.split(/\s+/).slice(0, 3)).toEqual([ip, 'node1.cluster.example.com', 'node1']);
    expect(hosts.split('\n').filter((l) => l.startsWith('127.0.1.1') && l.split(/\s+/).includes('node1'))).toEqual([]);
    expect((await sh('node1', 'getent hosts node1.cluster.example.com')).split(/\s+/)[0]).toBe(ip);
    const s = await lab.ssh('node1', 'sudo true');
    expect(s.stderr).not.toMatch(/unable to resolve/);
  });
});

describe('sysctl (the host network namespace only)', () => {
  it('net.ipv4.ip_forward persistent and live; the controller is untouched', async () => {
    const mine = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    await sh('node1', 'echo 0 > /proc/sys/net/ipv4/ip_forward');
    await converge(n1, 'sysctl', { name: 'net.ipv4.ip_forward', value: '1', sysctl_set: true }, async () => {
      expect(await sh('node1', 'cat /proc/sys/net/ipv4/ip_forward')).toBe('0\n');
    });
    expect(await sh('node1', 'cat /proc/sys/net/ipv4/ip_forward')).toBe('1\n');
    expect(await sh('node1', 'grep -c "^net.ipv4.ip_forward=1$" /etc/sysctl.conf')).toBe('1\n');
    // a drifted kernel value is put back by reload (file already right)
    await sh('node1', 'echo 0 > /proc/sys/net/ipv4/ip_forward');
    expect((await run(n1, 'ansible.posix.sysctl', { name: 'net.ipv4.ip_forward', value: '1' })).result.changed).toBe(true);
    expect(await sh('node1', 'cat /proc/sys/net/ipv4/ip_forward')).toBe('1\n');
    await converge(n1, 'sysctl', { name: 'net.ipv4.ip_forward', state: 'absent' });
    expect((await lab.exec('node1', "grep -q '^net.ipv4.ip_forward' /etc/sysctl.conf")).rc).toBe(1);
    expect(await sh('node1', 'grep -c "^#net.ipv4.ip_forward=1" /etc/sysctl.conf')).toBe('1\n');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(mine);
  });
  it('a read-only kernel key fails clearly', async () => {
    const r = await run(n1, 'sysctl', { name: 'kernel.pid_max', value: '40000', sysctl_set: true, sysctl_file: '/etc/sysctl.d/90-test.conf' });
    expect(r.result.failed).toBe(true);
    expect(String(r.result.msg)).toMatch(/kernel.pid_max/);
  });
});

describe('wait_for', () => {
  it('port 22 is up; a closed port times out; paths', async () => {
    const up = await run(n1, 'wait_for', { port: 22, timeout: 5 });
    expect(up.result).toMatchObject({ changed: false, port: 22 });
    expect(up.commands).toHaveLength(1);
    const remote = await run(n2, 'wait_for', { host: lab.host('node1').ip, port: 22, timeout: 5, search_regex: 'OpenSSH' }, { become: false });
    expect(remote.result.failed, JSON.stringify(remote.result)).toBeFalsy();
    const t0 = Date.now();
    const down = await run(n1, 'wait_for', { port: 1, timeout: 1, sleep: 0.2 });
    expect(down.result).toMatchObject({ failed: true, msg: 'Timeout when waiting for 127.0.0.1:1' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await run(n1, 'wait_for', { path: '/etc/passwd', search_regex: '^root:' })).result.failed).toBeFalsy();
    expect((await run(n1, 'wait_for', { path: '/nonexistent', state: 'absent' })).result.failed).toBeFalsy();
    const later = run(n1, 'wait_for', { path: '/tmp/appears-later', timeout: 10, sleep: 0.2 });
    setTimeout(() => void lab.exec('node1', 'touch /tmp/appears-later'), 800);
    const l = await later;
    expect(l.result.failed, JSON.stringify(l.result)).toBeFalsy();
  });
});
