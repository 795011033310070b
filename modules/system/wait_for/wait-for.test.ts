import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAIT_TIMEOUT, hexPort, isLocalHost, timeoutMessage, waitScript, type WaitArgs } from './wait-for-script.js';
import { res, runFake } from '../../../test/harness/system.js';

const base: WaitArgs = {
  host: '127.0.0.1',
  state: 'started',
  timeout: 3,
  delay: 0,
  sleep: 0.1,
  connect_timeout: 1,
  active_connection_states: ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'],
};

/** run the wait script with a real /bin/sh (async, so servers in this process keep answering) */
function runSh(script: string): Promise<{ rc: number; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
    p.on('close', (rc) => resolve({ rc: rc ?? -1, ms: Date.now() - t0 }));
  });
}

/** like sshd: say the banner, then keep the connection open waiting for the client */
function listen(banner?: string, holdMs = 200): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => {
      open.add(c);
      c.on('close', () => open.delete(c));
      if (banner) c.write(banner);
      c.on('error', () => {});
      setTimeout(() => c.destroy(), holdMs);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;
const open = new Set<import('node:net').Socket>();
const close = (s: Server): Promise<void> => {
  for (const c of open) c.destroy();
  return new Promise((r) => s.close(() => r()));
};

describe('wait_for scripts (real sh, loopback only)', () => {
  it('port started: a listener is seen in /proc/net/tcp', async () => {
    const s = await listen();
    const r = await runSh(waitScript({ ...base, port: portOf(s) }));
    expect(r.rc).toBe(0);
    await close(s);
  });
  it('port started: times out on a closed port', async () => {
    const s = await listen();
    const port = portOf(s);
    await close(s);
    const r = await runSh(waitScript({ ...base, port, timeout: 1 }));
    expect(r.rc).toBe(WAIT_TIMEOUT);
    expect(r.ms).toBeGreaterThanOrEqual(900);
  });
  it('port stopped: done once the listener goes', async () => {
    const s = await listen();
    const port = portOf(s);
    const p = runSh(waitScript({ ...base, port, state: 'stopped' }));
    setTimeout(() => void close(s), 400);
    expect((await p).rc).toBe(0);
  });
  it('a non-local host is checked by connecting (bash /dev/tcp), with a banner regex', async () => {
    const s = await listen('SSH-2.0-OpenSSH_9.2\r\n', 10_000);
    const port = portOf(s);
    // a banner needs a real connection: this takes the connect path even for a local host
    const hit = await runSh(waitScript({ ...base, host: '127.0.0.1', port, search_regex: 'OpenSSH', connect_timeout: 5 }));
    expect(hit.rc).toBe(0);
    expect(hit.ms).toBeLessThan(2000);
    const miss = await runSh(waitScript({ ...base, host: '127.0.0.1', port, search_regex: 'Dropbear', timeout: 1 }));
    expect(miss.rc).toBe(WAIT_TIMEOUT);
    await close(s);
  });
  it('a host outside the local list is checked by connecting (127.0.0.2 is still loopback)', async () => {
    const s = await new Promise<Server>((resolve) => {
      const srv = createServer((c) => c.destroy());
      srv.listen(0, '127.0.0.2', () => resolve(srv));
    });
    const port = portOf(s);
    expect((await runSh(waitScript({ ...base, host: '127.0.0.2', port }))).rc).toBe(0);
    await close(s);
    expect((await runSh(waitScript({ ...base, host: '127.0.0.2', port, state: 'stopped' }))).rc).toBe(0);
  });
  it('drained: waits until the established connections are gone', async () => {
    const { connect } = await import('node:net');
    const s = await listen();
    const port = portOf(s);
    const c = connect(port, '127.0.0.1');
    await new Promise((r) => c.on('connect', r));
    c.on('error', () => {});
    const busy = await runSh(waitScript({ ...base, port, state: 'drained', timeout: 0, active_connection_states: ['ESTABLISHED'] }));
    expect(busy.rc).toBe(WAIT_TIMEOUT);
    c.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const idle = await runSh(waitScript({ ...base, port, state: 'drained', timeout: 2, active_connection_states: ['ESTABLISHED'] }));
    expect(idle.rc).toBe(0);
    await close(s);
  });
  it('path present / absent / search_regex', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waitfor-'));
    const f = join(dir, 'ready flag');
    const p = runSh(waitScript({ ...base, path: f }));
    setTimeout(() => writeFileSync(f, 'status: starting\n'), 300);
    expect((await p).rc).toBe(0);
    const q = runSh(waitScript({ ...base, path: f, search_regex: 'status: (up|ready)' }));
    setTimeout(() => writeFileSync(f, 'status: ready\n'), 300);
    expect((await q).rc).toBe(0);
    const g = runSh(waitScript({ ...base, path: f, state: 'absent' }));
    setTimeout(() => rmSync(f), 300);
    expect((await g).rc).toBe(0);
  });
  it('delay counts inside the timeout; no port/path just sleeps', async () => {
    const r = await runSh(waitScript({ ...base, timeout: 1, delay: 0 }));
    expect(r.rc).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(900);
  });
  it('helpers', () => {
    expect(hexPort(22)).toBe('0016');
    expect(isLocalHost('localhost')).toBe(true);
    expect(isLocalHost('10.1.2.3')).toBe(false);
    expect(timeoutMessage({ ...base, port: 22 })).toBe('Timeout when waiting for 127.0.0.1:22');
    expect(timeoutMessage({ ...base, path: '/x', state: 'absent' })).toBe('Timeout when waiting for /x to be absent.');
  });
});

describe('wait_for module', () => {
  it('ok / timeout (failed, msg) / missing tool', async () => {
    const a = await runFake('wait_for', { port: 22 }, () => res());
    expect(a.result).toMatchObject({ changed: false, port: 22, state: 'started' });
    expect(a.commands).toHaveLength(1);
    const b = await runFake('ansible.builtin.wait_for', { port: 22, timeout: 1, msg: 'sshd never came' }, () => res('', WAIT_TIMEOUT));
    expect(b.result).toMatchObject({ failed: true, msg: 'sshd never came' });
    const c = await runFake('wait_for', { host: '10.0.0.2', port: 22 }, () => res('', 97, 'wait_for: checking a remote port needs bash or nc on the host\n'));
    expect(c.result).toMatchObject({ failed: true, msg: expect.stringMatching(/needs bash or nc/) });
  });
  it('runs in check mode too (read-only)', async () => {
    const a = await runFake('wait_for', { path: '/etc/passwd' }, () => res(), { check: true });
    expect(a.commands).toHaveLength(1);
    expect(a.result.changed).toBe(false);
  });
  it.each([
    [{ port: 22, path: '/x' }, /mutually exclusive/],
    [{ path: '/x', state: 'absent', search_regex: 'a' }, /search_regex cannot be used/],
    [{ state: 'drained' }, /state is drained but all of the following are missing: port/],
    [{ port: 70000 }, /port/],
  ])('%j rejected', async (a, err) => {
    await expect(runFake('wait_for', a, () => res())).rejects.toThrow(err);
  });
});
