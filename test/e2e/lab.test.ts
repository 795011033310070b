/** tsplay lab: real namespaces, real sshd/sudo (needs root and the lab image; .ci/run builds it). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDeb822, parseOneLine, pickDebianMirrors } from '../../src/lab/apt-sources.js';
import { detectFeatures, hasFeature } from '../../src/lab/features.js';
import { labCli, startLab, stopLab, type Lab } from '../harness/lab.js';

const sh = (lab: Lab, host: string, cmd: string) => lab.exec(host, cmd);

function banner(ip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: ip, port: 22 });
    s.setTimeout(5000, () => reject(new Error('timeout')));
    s.on('error', reject);
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
  });
}

/** Everything of a lab visible in the root namespaces (to prove down removes it). */
function traces(lab: Lab) {
  const k = lab.state.index;
  const links = readdirSync('/sys/class/net').filter((d) => d === `tspbr${k}` || d.startsWith(`tsp${k}v`));
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(`tsplay.${lab.name}.`)) : [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(lab.dir + '/') || l.includes(`/run/netns/tsplay.${lab.name}.`));
  return { links, netns, mounts, dir: existsSync(lab.dir) };
}

/** pids of all processes in the lab's network namespaces */
function labPids(lab: Lab): number[] {
  const inodes = new Set(lab.state.hosts.map((h) => `net:[${statSync(`/run/netns/${h.netns}`).ino}]`));
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (inodes.has(readlinkSync(`/proc/${p}/ns/net`))) pids.push(Number(p));
    } catch {}
  }
  return pids;
}

describe('apt sources → mirrors for the image', () => {
  it('reads one-line and deb822 sources, skips non-Debian and disabled repos', () => {
    const list = parseOneLine(
      '# comment\ndeb [arch=amd64] https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n' +
        'deb http://mirror.example/debian/ bookworm main contrib\ndeb-src http://src.example/debian bookworm main\n',
    );
    const deb822 = parseDeb822(
      'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n\n' +
        'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm-security\nComponents: main\nEnabled: no\n\n' +
        'Types: deb deb-src\n# http://snapshot\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\nComponents: main\n' +
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' +
        'Types: deb\nURIs: http://up.example/debian\nSuites: bookworm-updates\nComponents: main non-free-firmware\n',
    );
    expect(pickDebianMirrors([...list, ...deb822])).toEqual({
      main: 'http://mirror.example/debian',
      updates: 'http://up.example/debian',
      security: 'http://sec.example/debian-security',
    });
    expect(pickDebianMirrors(parseDeb822('Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n'))).toBeUndefined();
  });
});

describe('lab CLI arguments', () => {
  it('rejects bad names and modes with one clear line', async () => {
    const bad = await labCli(['up', '--name', 'Bad_Name', '1']);
    expect(bad.rc).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid lab name 'Bad_Name'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const mode = await labCli(['up', '--name', 'labtest', '--sudo', 'sometimes', '1']);
    expect(mode.rc).toBe(2);
    expect(mode.stderr).toMatch(/--sudo must be nopasswd, password or mixed/);
    const dup = await labCli(['up', '--name', 'labtest', 'a1', 'a1']);
    expect(dup.stderr).toMatch(/host 'a1' given twice/);
  });
});

describe('lab labtest: 3 hosts, sudo mixed', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab('labtest', { hosts: 3, sudo: 'mixed' });
  });
  afterAll(() => stopLab('labtest'));

  it('has hosts node1..3 on a private /24 of its own (never 10.231.0.0/24)', () => {
    expect(lab.hosts.map((h) => h.name)).toEqual(['node1', 'node2', 'node3']);
    const k = lab.state.index;
    expect(k).toBeGreaterThanOrEqual(1);
    expect(k).toBeLessThanOrEqual(250);
    expect(lab.subnet).toBe(`10.231.${k}.0/24`);
    expect(lab.bridge).toBe(`tspbr${k}`);
    expect(lab.hosts.map((h) => h.ip)).toEqual([11, 12, 13].map((n) => `10.231.${k}.${n}`));
    expect(lab.hosts.map((h) => h.sudo)).toEqual(['nopasswd', 'password', 'nopasswd']);
  });

  it('writes an Ansible inventory with the sudo groups, key and strict known_hosts', () => {
    const inv = parse(readFileSync(lab.inventory, 'utf8'));
    expect(inv.all.vars).toEqual({
      ansible_user: 'ops',
      ansible_ssh_private_key_file: lab.key,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes`,
      ansible_python_interpreter: '/usr/bin/python3',
    });
    expect(inv.all.children.sudo_nopasswd.hosts).toEqual({
      node1: { ansible_host: lab.host('node1').ip },
      node3: { ansible_host: lab.host('node3').ip },
    });
    expect(inv.all.children.sudo_password).toEqual({
      vars: { ansible_become_password: 'ops-pass' },
      hosts: { node2: { ansible_host: lab.host('node2').ip } },
    });
  });

  it('records the kernel features; what a host can do agrees with them', async () => {
    const k = lab.state.features!;
    expect(k.kernel).toBe((await sh(lab, 'node1', 'uname -r')).stdout.trim());
    const now = detectFeatures();
    for (const n of ['autofs', 'nfs', 'overlay', 'tun', 'wireguard', 'xfrm'] as const) expect(k.features[n].state, n).toBe(now.features[n].state);
    expect((await labCli(['status', '--name', lab.name])).stdout).toContain(`features at up: kernel ${k.kernel}: autofs ${k.features.autofs.state},`);
    // hosts share the kernel: each probe inside a host succeeds exactly where the feature was found
    const inHost = async (cmd: string) => (await sh(lab, 'node1', cmd)).rc === 0;
    expect(await inHost('awk \'$NF == "autofs" { f = 1 } END { exit !f }\' /proc/filesystems')).toBe(hasFeature(k, 'autofs'));
    expect(await inHost('ip tuntap add dev t0 mode tun && ip link del t0')).toBe(hasFeature(k, 'tun'));
    expect(await inHost('ip link add w0 type wireguard && ip link del w0')).toBe(hasFeature(k, 'wireguard'));
    expect(
      await inHost(
        "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 mode tunnel enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha1)' 0x00112233445566778899aabbccddeeff00112233 96 && ip xfrm state flush",
      ),
    ).toBe(hasFeature(k, 'xfrm'));
  });

  it('runs sshd on port 22 of every host', async () => {
    for (const h of lab.hosts) expect(await banner(h.ip)).toMatch(/^SSH-2\.0-OpenSSH/);
  });

  it('logs in as ops with the lab key, checking the real host keys strictly', async () => {
    for (const h of lab.hosts) {
      const r = await lab.ssh(h.name, 'echo "$(id -un) $(hostname)"');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(`ops ${h.name}`);
    }
    // the same via plain OpenSSH options on the IP (what Ansible and tsplay do)
    const h2 = lab.host('node2');
    const ssh = (known: string) =>
      spawnSync(
        'ssh',
        [
          '-i',
          lab.key,
          '-o',
          `UserKnownHostsFile=${known}`,
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          `ops@${h2.ip}`,
          'hostname',
        ],
        { encoding: 'utf8' },
      );
    expect(ssh(lab.knownHosts).stdout.trim()).toBe('node2');
    // strictness is real: an empty known_hosts, or another host's keys under this IP, are refused
    const tmp = mkdtempSync(join(tmpdir(), 'labtest-kh-'));
    writeFileSync(join(tmp, 'empty'), '');
    const other = readFileSync(lab.knownHosts, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('node1,'))
      .map((l) => l.replace(/^node1,\S+/, `node2,${h2.ip}`))
      .join('\n');
    writeFileSync(join(tmp, 'wrong'), other + '\n');
    const empty = ssh(join(tmp, 'empty'));
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toMatch(/Host key verification failed/);
    const wrong = ssh(join(tmp, 'wrong'));
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    // every host has its own host keys
    const keys = readFileSync(lab.knownHosts, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[2]);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sudo: NOPASSWD on odd hosts, password required on even hosts', async () => {
    for (const n of ['node1', 'node3']) {
      const r = await lab.ssh(n, 'sudo -n id -u');
      expect(r.stdout.trim()).toBe('0');
    }
    const nopw = await lab.ssh('node2', 'sudo -n id -u');
    expect(nopw.rc).not.toBe(0);
    expect(nopw.stderr).toMatch(/a password is required/);
    const wrong = await lab.ssh('node2', "sudo -S -p '' id -u", { input: 'not-the-password\n' });
    expect(wrong.rc).not.toBe(0);
    const right = await lab.ssh('node2', "sudo -S -p '' id -u", { input: 'ops-pass\n' });
    expect(right.rc).toBe(0);
    expect(right.stdout.trim()).toBe('0');
  });

  it('a hostname change inside a host stays inside it', async () => {
    const real = hostname();
    const r = await lab.ssh('node1', 'sudo hostname renamed-node1 && hostname');
    expect(r.stdout.trim()).toBe('renamed-node1');
    expect(hostname()).toBe(real);
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).toBe(real);
    expect((await sh(lab, 'node3', 'hostname')).stdout.trim()).toBe('node3');
    await sh(lab, 'node1', 'hostname node1');
  });

  it('has permanent neighbour entries both ways (1,000 lab hosts would overflow the shared ARP table)', async () => {
    const k = lab.state.index;
    const root = spawnSync('ip', ['neigh', 'show', 'dev', `tspbr${k}`], { encoding: 'utf8' }).stdout;
    for (const h of lab.hosts) {
      const mac = (await sh(lab, h.name, 'cat /sys/class/net/eth0/address')).stdout.trim();
      expect(root).toContain(`${h.ip} lladdr ${mac} PERMANENT`);
      const own = (await sh(lab, h.name, 'ip neigh show dev eth0')).stdout;
      expect(own).toContain(`10.231.${k}.1 lladdr ${readFileSync(`/sys/class/net/tspbr${k}/address`, 'utf8').trim()} PERMANENT`);
    }
  });

  it('has no default route: only the lab subnet is reachable', async () => {
    const routes = await sh(lab, 'node1', 'ip -4 route; echo "default=[$(ip route show default)]"');
    expect(routes.stdout).toContain(`${lab.subnet} dev eth0`);
    expect(routes.stdout).toContain('default=[]');
    expect((await sh(lab, 'node1', `ping -c1 -W2 ${lab.host('node3').ip}`)).rc).toBe(0);
    const out = await sh(lab, 'node1', 'ping -c1 -W1 192.0.2.1');
    expect(out.rc).not.toBe(0);
    expect(out.stderr).toMatch(/Network is unreachable/);
  });

  it('exec is root with the protections of the recipe (caps dropped, /proc/sys read-only, private /dev)', async () => {
    expect((await sh(lab, 'node2', 'id -u')).stdout.trim()).toBe('0');
    const caps = await sh(lab, 'node2', "grep CapBnd /proc/self/status | awk '{print $2}'");
    const bnd = BigInt('0x' + caps.stdout.trim());
    for (const cap of [25 /* sys_time */, 16 /* sys_module */, 17 /* sys_rawio */, 27 /* mknod */]) {
      expect(bnd & (1n << BigInt(cap))).toBe(0n);
    }
    expect((await sh(lab, 'node2', 'date -s 2001-01-01')).rc).not.toBe(0);
    expect((await sh(lab, 'node2', 'echo 1 > /proc/sys/vm/drop_caches')).rc).not.toBe(0);
    // net sysctls are per network namespace: writable inside, the real machine's value is untouched
    const realFwd = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const fwd = await sh(lab, 'node2', 'echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/ip_forward');
    expect(fwd.stdout.trim()).toBe('1');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(realFwd);
    const dev = (await sh(lab, 'node2', 'ls /dev')).stdout.split(/\s+/);
    expect(dev).toContain('null');
    expect(dev).not.toContain('vda');
    expect((await sh(lab, 'node2', 'mknod /tmp/blk b 8 0')).rc).not.toBe(0);
  });

  it('restart keeps disk and address, kills every process', async () => {
    await sh(lab, 'node3', 'echo kept > /root/marker; sleep 1000 >/dev/null 2>&1 &');
    expect((await sh(lab, 'node3', 'pgrep -fx "sleep 1000"')).stdout.trim()).toMatch(/^\d+$/);
    await lab.restart('node3');
    expect((await sh(lab, 'node3', 'cat /root/marker')).stdout.trim()).toBe('kept');
    expect((await sh(lab, 'node3', 'pgrep -fx "sleep 1000" || echo none')).stdout.trim()).toBe('none');
    expect((await lab.ssh('node3', 'hostname -I')).stdout.trim()).toBe(lab.host('node3').ip);
  });

  it('runs a second lab at the same time on another bridge and subnet, isolated from the first', async () => {
    let lab2: Lab | undefined;
    try {
      lab2 = await startLab('labtest2', { hosts: ['gw1'], sudo: 'password' });
      expect(lab2.state.index).not.toBe(lab.state.index);
      expect(lab2.subnet).not.toBe(lab.subnet);
      expect(lab2.bridge).not.toBe(lab.bridge);
      expect(lab2.host('gw1').sudo).toBe('password');
      expect((await lab2.ssh('gw1', 'hostname')).stdout.trim()).toBe('gw1');
      expect((await lab.ssh('node1', 'hostname')).stdout.trim()).toBe('node1');
      const cross = await lab2.exec('gw1', `ping -c1 -W1 ${lab.host('node1').ip}`);
      expect(cross.rc).not.toBe(0);
      expect(cross.stderr).toMatch(/Network is unreachable/);
    } finally {
      await stopLab('labtest2');
    }
  });

  it('up clears what an aborted run of the same lab left behind', async () => {
    const first = await startLab('labtest2', { hosts: 2 });
    try {
      // simulate a crash: every process of the lab killed, state, netns, veths and mounts left
      const pids = labPids(first);
      expect(pids.length).toBeGreaterThanOrEqual(4);
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {} // gone already (killing a namespace's PID 1 kills the rest)
      }
      const again = await startLab('labtest2', { hosts: ['x1'] });
      expect(again.hosts.map((h) => h.name)).toEqual(['x1']);
      expect(readdirSync('/run/netns').filter((n) => n.startsWith(`tsplay.${again.name}.`))).toEqual([`tsplay.${again.name}.x1`]);
      expect(existsSync(join(again.dir, 'hosts', 'node1'))).toBe(false);
      expect((await again.ssh('x1', 'hostname')).stdout.trim()).toBe('x1');
    } finally {
      await stopLab('labtest2');
    }
  });

  it('down --all removes every lab under its labs root and nothing else', async () => {
    const root = mkdtempSync(join(tmpdir(), 'labtest-root-'));
    const env = { TSPLAY_LAB_DIR: root };
    const up = await labCli(['up', '--name', 'labtest2', '1'], env);
    expect(up.rc, up.stderr).toBe(0);
    expect(existsSync(join(root, 'labtest2', 'inventory.yml'))).toBe(true);
    // the same name in the default root is refused while it lives elsewhere (netns names are per name)
    const clash = await labCli(['up', '--name', 'labtest2', '1']);
    expect(clash.rc).not.toBe(0);
    expect(clash.stderr).toContain(`lab name 'labtest2' is in use by ${join(root, 'labtest2')}`);
    // and a down of that name in the default root does not touch the other root's lab
    expect((await labCli(['down', '--name', 'labtest2'])).rc).toBe(0);
    const other = spawnSync('ssh', ['-F', join(root, 'labtest2', 'ssh_config'), 'node1', 'hostname'], { encoding: 'utf8' });
    expect(other.stdout.trim()).toBe('node1');
    const down = await labCli(['down', '--all'], env);
    expect(down.rc, down.stderr).toBe(0);
    expect(down.stdout).toContain('labtest2');
    expect(existsSync(join(root, 'labtest2'))).toBe(false);
    expect(readdirSync('/run/netns').filter((n) => n.startsWith('tsplay.labtest2.'))).toEqual([]);
    // the lab in the default root is untouched
    expect((await lab.ssh('node1', 'hostname')).stdout.trim()).toBe('node1');
  });

  it('down leaves no netns, veth, bridge, mount, directory or process behind', async () => {
    const pids = labPids(lab);
    expect(pids.length).toBeGreaterThanOrEqual(6); // PID 1 + unshare + sshd per host
    const before = traces(lab);
    expect(before.links.length).toBe(4);
    expect(before.netns.length).toBe(3);
    expect(before.mounts.length).toBeGreaterThanOrEqual(6);
    await lab.down();
    expect(traces(lab)).toEqual({ links: [], netns: [], mounts: [], dir: false });
    // killed processes are reaped by the machine's init (a moment later on some inits)
    for (let i = 0; i < 50 && pids.some((p) => existsSync(`/proc/${p}`)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    const st = await labCli(['status', '--name', 'labtest']);
    expect(st.rc).not.toBe(0);
    expect(st.stderr).toMatch(/no lab 'labtest'/);
  });
});
