/**
 * The transport against real lab hosts over real SSH + sudo (lab 'conntest': node1/node3 NOPASSWD sudo,
 * node2/node4 sudo with password "ops-pass", which is also ops' login password).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionPool } from '../../src/connection/pool.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { targetFromVars, type CliConnectionOptions } from '../../src/connection/target.js';
import type { Connection, ConnectionTarget } from '../../src/connection/types.js';
import { BecomeError, UnreachableError } from '../../src/errors.js';
import { startLab, stopLab, type Lab, type LabHost } from '../harness/lab.js';

const LAB = 'conntest';
const PASSWORD = 'ops-pass';
let lab: Lab;
let tmp: string;
const open: Connection[] = [];

function target(h: LabHost, vars: Record<string, unknown> = {}, cli: CliConnectionOptions = {}): ConnectionTarget {
  const t = targetFromVars(
    h.name,
    {
      ansible_host: h.ip,
      ansible_user: 'ops',
      ansible_ssh_private_key_file: lab.key,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHosts}`,
      ...vars,
    },
    cli,
  );
  return { ...t, agent: undefined, globalKnownHostsFiles: [] };
}

function conn(t: ConnectionTarget): SshConnection {
  const c = new SshConnection(t);
  open.push(c);
  return c;
}

async function exec(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

/** Lines of the host's sudo log (sudo writes one per run of sudo, with its outcome). */
async function sudoLog(host: string): Promise<string[]> {
  const text = await exec(host, 'cat /var/log/sudo.log 2>/dev/null || true');
  return text.split(/\n(?=\w{3} [ \d]\d )/).filter((l) => l.trim());
}

async function error(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 4, sudo: 'mixed' });
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-conn-e2e-'));
  for (const h of lab.hosts) {
    await exec(h.name, 'printf "Defaults logfile=/var/log/sudo.log\\n" > /etc/sudoers.d/zz-log && chmod 440 /etc/sudoers.d/zz-log');
  }
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
});

describe('ssh transport', () => {
  it('connects with a key and strict host key checking, runs as ops and as root', async () => {
    const t = target(lab.host('node1'));
    expect(t.hostKeyChecking).toBe('strict');
    const c = conn(t);
    await c.connect();
    const r = await c.run('id -un; echo "$LC_ALL"; echo err >&2; exit 7');
    expect(r).toMatchObject({ rc: 7, stdout: 'ops\nC\n', stderr: 'err\n' });
    const root = await c.run('id -un; echo "$PATH"', { become: true });
    expect(root.stdout).toBe('root\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
    expect((await c.run('whoami', { become: true, becomeUser: 'nobody' })).stdout).toBe('nobody\n');
  });

  it('refuses an unknown host key in strict mode and leaves known_hosts alone', async () => {
    const kh = join(tmp, 'empty_known_hosts');
    writeFileSync(kh, '');
    const h = lab.host('node1');
    const e = await error(conn(target(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` })).connect());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toBe(`host key for ${h.ip} is not known; add it or use --host-key-checking accept-new`);
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('accept-new learns the key once; the learned entry then passes strict checking', async () => {
    const kh = join(tmp, 'learn', 'known_hosts');
    const h = lab.host('node1');
    const vars = { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=accept-new` };
    const c = conn(target(h, vars));
    expect(c.target.hostKeyChecking).toBe('accept-new');
    await c.connect();
    const learned = readFileSync(kh, 'utf8');
    const [name, type, key] = learned.trim().split(' ');
    expect(name).toBe(h.ip);
    // it is the host's real key: the same as the lab's known_hosts (from ssh-keyscan) has for that type
    const labKeys = readFileSync(lab.knownHosts, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${h.name},${h.ip} `));
    expect(labKeys.map((l) => l.split(' ').slice(1).join(' '))).toContain(`${type} ${key}`);
    await c.close();
    const strict = conn(target(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` }));
    await strict.connect();
    expect((await strict.run('hostname')).stdout).toBe('node1\n');
    expect(readFileSync(kh, 'utf8')).toBe(learned);
  });

  it('refuses a changed host key (also with accept-new), naming file:line of the old key', async () => {
    const h1 = lab.host('node1');
    const h3 = lab.host('node3');
    // node3's real ed25519 key, claimed for node1's address: what a man in the middle would present
    const node3Line = readFileSync(lab.knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${h3.name},`) && l.includes(' ssh-ed25519 '))!;
    const kh = join(tmp, 'changed_known_hosts');
    writeFileSync(kh, `# old key\n${h1.ip} ${node3Line.split(' ').slice(1).join(' ')}\n`);
    for (const mode of ['yes', 'accept-new']) {
      const e = await error(conn(target(h1, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=${mode}` })).connect());
      expect(e).toBeInstanceOf(UnreachableError);
      expect(e.message).toContain(`REMOTE HOST IDENTIFICATION HAS CHANGED for ${h1.ip}`);
      expect(e.message).toContain(`${kh}:2`);
    }
    expect(readFileSync(kh, 'utf8').split('\n')).toHaveLength(3);
  });

  it('works with only an ecdsa entry in known_hosts (the negotiated key type follows known_hosts)', async () => {
    const h = lab.host('node1');
    const ecdsa = readFileSync(lab.knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${h.name},`) && l.includes(' ecdsa-sha2-nistp256 '));
    expect(ecdsa).toBeTruthy();
    const kh = join(tmp, 'ecdsa_known_hosts');
    writeFileSync(kh, `${ecdsa}\n`);
    const c = conn(target(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` }));
    await c.connect();
    expect((await c.run('true')).rc).toBe(0);
  });

  it('authenticates with a password; a wrong password is an authentication failure', async () => {
    const h = lab.host('node4');
    const c = conn(target(h, { ansible_ssh_private_key_file: undefined, ansible_password: PASSWORD }));
    expect(c.target.privateKeyFile).toBeUndefined();
    await c.connect();
    expect((await c.run('id -un')).stdout).toBe('ops\n');
    const e = await error(conn(target(h, { ansible_ssh_private_key_file: undefined, ansible_password: 'nope' })).connect());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(
      /authentication failed for user ops \(tried: password, keyboard-interactive\)|authentication failed for user ops \(tried: password\)/,
    );
    expect(e.message).not.toContain('nope');
  });

  it('detects a silent network drop by keepalive', async () => {
    const h = lab.host('node3');
    const c = conn(target(h, { ansible_ssh_extra_args: '-o ServerAliveInterval=1' }));
    await c.connect();
    expect((await c.run('true', { become: true })).rc).toBe(0);
    await exec(h.name, 'ip link set eth0 down');
    try {
      const t0 = Date.now();
      const e = await error(c.run('echo never'));
      expect(e).toBeInstanceOf(UnreachableError);
      expect(e.message).toMatch(/connection lost \(no data from the host for \d+\.\d s: link or host down\)/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await exec(h.name, 'ip link set eth0 up');
    }
  });

  it('reports a drop mid-run and a stopped sshd as unreachable', async () => {
    const h = lab.host('node3');
    const c = conn(target(h));
    await c.connect();
    expect((await c.run('true', { become: true })).rc).toBe(0);
    const running = error(c.run('sleep 30', { become: true }));
    await new Promise((r) => setTimeout(r, 300));
    await exec(h.name, 'pkill -KILL sshd; true');
    const e = await running;
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(/connection lost/);
    const again = await error(c.run('true'));
    expect(again).toBeInstanceOf(UnreachableError);
    const refused = await error(conn(target(h)).connect());
    expect(refused).toBeInstanceOf(UnreachableError);
    expect(refused.message).toBe(`ssh: connect to host ${h.ip} port 22: Connection refused`);
    await lab.restart(h.name);
    await exec(h.name, 'printf "Defaults logfile=/var/log/sudo.log\\n" > /etc/sudoers.d/zz-log; chmod 440 /etc/sudoers.d/zz-log');
  });

  it('times out connecting to an address nobody answers', async () => {
    // an unused address in the lab subnet: the ARP query goes unanswered
    const ip = lab.subnet.replace(/\.0\/24$/, '.250');
    const t = { ...target(lab.host('node1')), host: ip, connectTimeoutMs: 1500 };
    const t0 = Date.now();
    const e = await error(conn(t).connect());
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(new RegExp(`^ssh: connect to host ${ip.replace(/\./g, '\\.')} port 22: (Connection timed out|No route to host)$`));
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('handshake slots', () => {
  it('a host that does not answer holds no slot: with one slot, a live host connects while two dead ones time out', async () => {
    process.env['TSPLAY_HANDSHAKES'] = '1';
    try {
      const order: string[] = [];
      const dead = ['.251', '.252'].map((end) => {
        const t = { ...target(lab.host('node1')), host: lab.subnet.replace(/\.0\/24$/, end), connectTimeoutMs: 3000 };
        return error(conn(t).connect()).then((e) => {
          expect(e).toBeInstanceOf(UnreachableError);
          order.push('dead');
        });
      });
      const live = conn(target(lab.host('node1')))
        .connect()
        .then(() => order.push('live'));
      await Promise.all([...dead, live]);
      expect(order).toEqual(['live', 'dead', 'dead']);
    } finally {
      delete process.env['TSPLAY_HANDSHAKES'];
    }
  });
});

describe('become (sudo)', () => {
  it('NOPASSWD: many commands reuse one connection, one sudo and one root shell', async () => {
    const h = lab.host('node1');
    const before = (await sudoLog(h.name)).length;
    const c = conn(target(h));
    await c.connect();
    const pids = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await c.run('echo $$; id -u', { become: true });
      pids.add(r.stdout.split('\n')[0]!);
      expect(r.stdout.split('\n')[1]).toBe('0');
    }
    const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => c.run(`echo ${i}`, { become: true })));
    parallel.forEach((r, i) => expect(r.stdout).toBe(`${i}\n`));
    expect(pids.size).toBe(1);
    const log = (await sudoLog(h.name)).slice(before);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/COMMAND=/);
    const sessions = await exec(h.name, "ps -eo args | grep -c '^sshd: ops@notty' || true");
    expect(Number(sessions.trim())).toBe(1); // one login session
  });

  it('with a password: sudo reads it from stdin; it never appears in argv or environment on the target', async () => {
    const h = lab.host('node2');
    const c = conn(target(h, { ansible_become_password: PASSWORD }));
    await c.connect();
    const running = c.run('sleep 3; id -u', { become: true });
    let ps = '';
    for (let i = 0; i < 25 && !ps.includes('sleep 3'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ps = await exec(h.name, 'ps -eo args');
    }
    expect(ps).toMatch(/sudo -H -S -p \[tsplay-sudo-[0-9a-f]+\] -u root/);
    expect(ps).toContain('sleep 3');
    expect(ps).not.toContain(PASSWORD);
    // the pattern is written so that grep's own command line does not match it
    const pattern = `${PASSWORD.slice(0, -1)}[${PASSWORD.slice(-1)}]`;
    const environ = await exec(h.name, `grep -l -a -e '${pattern}' /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null || true`);
    expect(environ.trim()).toBe('');
    expect((await running).stdout).toBe('0\n');
  });

  it('wrong password: one clean BecomeError, one attempt in the sudo log, not retried', async () => {
    const h = lab.host('node2');
    const before = (await sudoLog(h.name)).length;
    const c = conn(target(h, { ansible_become_password: 'wrong-password' }));
    await c.connect();
    const e = await error(c.run('id -u', { become: true }));
    expect(e).toBeInstanceOf(BecomeError);
    expect(e.message).toBe(`sudo: incorrect password for ops@${h.ip}`);
    const again = await error(c.run('id -u', { become: true }));
    expect(again.message).toBe(e.message);
    expect((await c.run('id -un')).stdout).toBe('ops\n'); // the connection itself is fine
    await c.close();
    await new Promise((r) => setTimeout(r, 300));
    const log = (await sudoLog(h.name)).slice(before);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/: ops : 1 incorrect password attempt ;/);
  });

  it('missing password: a clear BecomeError', async () => {
    const h = lab.host('node4');
    const c = conn(target(h));
    expect(c.target.becomePassword).toBeUndefined();
    const e = await error(c.run('true', { become: true }));
    expect(e).toBeInstanceOf(BecomeError);
    expect(e.message).toBe(`sudo requires a password on ${h.ip}: use -K/--ask-become-pass or ansible_become_password`);
  });

  it('-K on the command line is used when the inventory has no become password', async () => {
    const h = lab.host('node4');
    const c = conn(target(h, {}, { becomePassword: PASSWORD }));
    expect((await c.run('id -u', { become: true })).stdout).toBe('0\n');
  });

  it('not in sudoers: a clear BecomeError', async () => {
    const h = lab.host('node3');
    await exec(h.name, 'mv /etc/sudoers.d/ops /root/ops.sudoers');
    try {
      const c = conn(target(h, { ansible_become_password: PASSWORD }));
      const e = await error(c.run('true', { become: true }));
      expect(e).toBeInstanceOf(BecomeError);
      expect(e.message).toBe(`sudo: ops is not in the sudoers file on ${h.ip}`);
    } finally {
      await exec(h.name, 'mv /root/ops.sudoers /etc/sudoers.d/ops');
    }
  });

  it('sudo warnings on stderr (unresolvable host name) do not reach command output', async () => {
    const h = lab.host('node3');
    await exec(h.name, 'hostname zz-unresolvable-name');
    try {
      const plain = await lab.ssh(h.name, 'sudo -n true');
      expect(plain.stderr).toContain('unable to resolve host zz-unresolvable-name');
      const c = conn(target(h));
      const r = await c.run('id -u; hostname', { become: true });
      expect(r).toMatchObject({ rc: 0, stdout: '0\nzz-unresolvable-name\n', stderr: '' });
    } finally {
      await exec(h.name, `hostname ${h.name}`);
    }
  });

  it('binary stdin and large outputs through the root shell', async () => {
    const c = conn(target(lab.host('node1')));
    const data = randomBytes(3 * 1024 * 1024);
    const r = await c.run('cat; cat >&2 /dev/null', { become: true, stdin: data });
    expect(r.stdoutBuf.equals(data)).toBe(true);
    const big = await c.run('head -c 2000000 /dev/zero | tr "\\0" x >&2; echo done', { become: true });
    expect(big.stderr.length).toBe(2_000_000);
    expect(big.stdout).toBe('done\n');
  });

  it('the pool connects each host once, concurrent callers share it', async () => {
    const pool = new ConnectionPool();
    const t = target(lab.host('node1'));
    const [a, b] = await Promise.all([pool.get(t), pool.get(t)]);
    expect(a).toBe(b);
    const r = await Promise.all([a.run('echo $$', { become: true }), b.run('echo $$', { become: true })]);
    expect(r[0]!.stdout).toBe(r[1]!.stdout);
    await pool.closeAll();
  });
});
