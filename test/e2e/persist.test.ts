/**
 * The connection holder (--persist) against lab hosts over real SSH and sudo: a warm run makes no new ssh
 * login, identity changes (host key entry, become password) reconnect, a killed holder or a vanished host
 * cost what a direct connection would, a socket that is not ours is never used, an idle holder exits.
 * Every test uses its own runtime dir (TSPLAY_PERSIST_DIR), never a developer's holder.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const LAB = 'persist';
const PB = join(ROOT, 'test/fixtures/playbooks/ping.yml');
let lab: Lab;
const dirs: string[] = [];

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 3, sudo: 'mixed' });
}, 180_000);
afterEach(async () => {
  for (const d of dirs.splice(0)) await tsplay(['persist', 'stop'], { env: { TSPLAY_PERSIST_DIR: d } });
});
afterAll(async () => {
  await stopLab(LAB);
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tsplay-persist-'));
  dirs.push(d);
  return d;
}

const run = (dir: string, args: string[] = [], input?: string) =>
  tsplay(['run', PB, '-i', lab.inventory, '--persist', '30', ...args], { env: { TSPLAY_PERSIST_DIR: dir }, input });

/** The client ports of the established ssh connections to the host (from its /proc/net/tcp). */
async function sshPeers(host: string): Promise<string[]> {
  const r = await lab.exec(host, 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null');
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(':0016') && f[3] === '01')
    .map((f) => f[2]!)
    .sort();
}

const holderPid = (dir: string): number => Number(readFileSync(join(dir, 'holder.pid'), 'utf8'));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('connection holder', () => {
  it('a warm run attaches: no new ssh login, and status lists the kept connections', async () => {
    const dir = newDir();
    const cold = await run(dir);
    expect(cold.code, cold.all).toBe(0);
    const before = await sshPeers('node1');
    expect(before.length).toBe(1);
    const warm = await run(dir);
    expect(warm.code, warm.all).toBe(0);
    for (const s of Object.values(recap(warm.stdout))) expect(s).toMatchObject({ ok: 2, failed: 0, unreachable: 0 });
    expect(await sshPeers('node1')).toEqual(before);
    const st = await tsplay(['persist', 'status'], { env: { TSPLAY_PERSIST_DIR: dir } });
    expect(st.code, st.all).toBe(0);
    expect(st.stdout).toMatch(/3 connection\(s\)/);
    expect(st.stdout).toContain(`ops@${lab.host('node1').ip}:22`);
    expect(st.all).not.toContain('ops-pass');
    const stop = await tsplay(['persist', 'stop'], { env: { TSPLAY_PERSIST_DIR: dir } });
    expect(stop.code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sshPeers('node1')).toEqual([]);
    expect(existsSync(join(dir, 'holder.sock'))).toBe(false);
  }, 60_000);

  it('by default (no --persist, no TSPLAY_PERSIST) a run leaves its connections to a holder for 60 s idle', async () => {
    const dir = newDir();
    const r = await tsplay(['run', PB, '-i', lab.inventory], { env: { TSPLAY_PERSIST_DIR: dir, TSPLAY_PERSIST: '' } });
    expect(r.code, r.all).toBe(0);
    expect(alive(holderPid(dir))).toBe(true);
    const st = await tsplay(['persist', 'status'], { env: { TSPLAY_PERSIST_DIR: dir } });
    expect(st.stdout).toMatch(/3 connection\(s\)/);
    expect(st.stdout).toMatch(/idle|60/);
    const off = await tsplay(['run', PB, '-i', lab.inventory], { env: { TSPLAY_PERSIST_DIR: newDir(), TSPLAY_PERSIST: '0' } });
    expect(off.code, off.all).toBe(0);
    expect(existsSync(join(dirs[dirs.length - 1]!, 'holder.sock'))).toBe(false);
  }, 60_000);

  it('--no-persist connects directly and leaves nothing', async () => {
    const dir = newDir();
    const r = await run(dir, ['--no-persist']);
    expect(r.code, r.all).toBe(0);
    expect(existsSync(join(dir, 'holder.sock'))).toBe(false);
  }, 60_000);

  it('a changed known_hosts entry reconnects, and the host key check still applies', async () => {
    const dir = newDir();
    const kdir = mkdtempSync(join(tmpdir(), 'tsplay-kh-'));
    const kh = join(kdir, 'known_hosts');
    copyFileSync(lab.knownHosts, kh);
    const khArg = ['-e', `ansible_ssh_common_args="-o UserKnownHostsFile=${kh}"`, '-l', 'node1'];
    expect((await run(dir, khArg)).code).toBe(0);
    const before = await sshPeers('node1');
    // forge node1's entry with node3's keys: a new identity, and a key the host cannot show
    const lines = readFileSync(lab.knownHosts, 'utf8').split('\n');
    const names = (l: string) => (l.split(' ')[0] ?? '').split(',');
    const keyOf = (host: string, type: string) =>
      lines
        .find((l) => names(l).includes(host) && l.split(' ')[1] === type)
        ?.split(' ')
        .slice(1)
        .join(' ');
    writeFileSync(
      kh,
      lines.map((l) => (names(l).includes(lab.host('node1').ip) ? `${names(l).join(',')} ${keyOf(lab.host('node3').ip, l.split(' ')[1]!)}` : l)).join('\n'),
    );
    const r = await run(dir, khArg);
    expect(r.code, r.all).toBe(4);
    expect(r.stdout).toMatch(/fatal: \[node1\]: UNREACHABLE!.*(changed|REMOTE HOST IDENTIFICATION)/i);
    // the kept connection (old identity) is still there, unused
    expect(await sshPeers('node1')).toEqual(before);
  }, 60_000);

  it('a changed become password starts a new root shell (and a wrong one fails as it would directly)', async () => {
    const dir = newDir();
    expect((await run(dir, ['-l', 'node2'])).code).toBe(0);
    const wrong = await run(dir, ['-l', 'node2', '-e', 'ansible_become_password=not-it']);
    expect(wrong.code, wrong.all).toBe(2);
    expect(wrong.stdout).toMatch(/sudo.*password/i);
    expect(wrong.all).not.toContain('not-it');
    const right = await run(dir, ['-l', 'node2']);
    expect(right.code, right.all).toBe(0);
  }, 60_000);

  it('a killed holder (SIGKILL) costs only a fresh login', async () => {
    const dir = newDir();
    expect((await run(dir)).code).toBe(0);
    const pid = holderPid(dir);
    const before = await sshPeers('node1');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const r = await run(dir);
    expect(r.code, r.all).toBe(0);
    expect(holderPid(dir)).not.toBe(pid);
    expect(await sshPeers('node1')).not.toEqual(before);
  }, 60_000);

  it('a host that went away is UNREACHABLE, as with a direct connection', async () => {
    const dir = newDir();
    expect((await run(dir)).code).toBe(0);
    try {
      await lab.exec('node3', 'kill $(cat /run/sshd.pid); pkill -KILL -x sshd; pkill -KILL -f "sshd:" ; true');
      const r = await run(dir);
      expect(r.code, r.all).toBe(4);
      expect(r.stdout).toMatch(/fatal: \[node3\]: UNREACHABLE!/);
      expect(recap(r.stdout)['node1']).toMatchObject({ ok: 2, failed: 0, unreachable: 0 });
    } finally {
      await lab.restart('node3');
    }
  }, 120_000);

  it('a socket that is not private, or belongs to another user, is never used (the run connects directly)', async () => {
    // a listener posing as the holder, counting who contacts it
    const decoy = async (mode: number, owner?: number) => {
      const dir = newDir();
      let contacts = 0;
      const srv = createServer((s) => {
        contacts++;
        s.destroy();
      });
      await new Promise<void>((r) => srv.listen(join(dir, 'holder.sock'), () => r()));
      chmodSync(join(dir, 'holder.sock'), mode);
      writeFileSync(join(dir, 'holder.token'), 'ab'.repeat(32), { mode });
      writeFileSync(join(dir, 'holder.pid'), String(process.pid));
      if (owner !== undefined) for (const f of ['holder.sock', 'holder.token']) chownSync(join(dir, f), owner, owner);
      try {
        const r = await run(dir, ['-v']);
        expect(r.code, r.all).toBe(0);
        expect(contacts).toBe(0);
        expect(r.stderr).toContain('persist:');
      } finally {
        srv.close();
      }
    };
    await decoy(0o666);
    // another user's socket and token, private (0600) but not ours
    await decoy(0o600, 65534);
    // a runtime dir others may enter is refused as a whole
    const open = newDir();
    chmodSync(open, 0o755);
    const r2 = await run(open, ['-v']);
    expect(r2.code, r2.all).toBe(0);
    expect(r2.stderr).toContain('no private runtime directory');
    expect(existsSync(join(open, 'holder.sock'))).toBe(false);
  }, 60_000);

  it('an idle holder closes its connections and exits', async () => {
    const dir = newDir();
    const r = await tsplay(['run', PB, '-i', lab.inventory, '--persist', '1', '-l', 'node1'], { env: { TSPLAY_PERSIST_DIR: dir } });
    expect(r.code, r.all).toBe(0);
    const pid = holderPid(dir);
    expect(alive(pid)).toBe(true);
    await new Promise((res) => setTimeout(res, 3_500));
    expect(alive(pid)).toBe(false);
    expect(await sshPeers('node1')).toEqual([]);
    expect(existsSync(join(dir, 'holder.sock'))).toBe(false);
  }, 60_000);
});
