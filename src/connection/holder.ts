/**
 * The connection holder: a small detached process per user that keeps SSH connections (and their persistent
 * shells) between runs, as OpenSSH's ControlPersist master does for Ansible. Runs attach over a unix socket in
 * a private runtime dir (socket 0600 in a 0700 dir, checked by the run) and prove themselves with the token of
 * a 0600 file; then they send framed requests (persist-wire.ts): connect a target (by its identity key,
 * persist-key.ts), run a command on it, release. Secrets (passwords, stdin) arrive over that socket only and
 * are kept in memory, never logged (the holder writes nothing anywhere but its three files).
 * Kept connections close after the idle time without a run; the holder exits when it holds nothing.
 */
import { createServer, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { SshConnection } from './ssh.js';
import type { ConnectionTarget, RunOptions } from './types.js';
import { errorToWire, frame, readFrames, type Header } from './persist-wire.js';
import { pidPath, socketPath, tokenPath } from './persist-key.js';
import { TsplayError } from '../errors.js';

interface Entry {
  conn: SshConnection;
  ready: Promise<void>;
  users: Set<Session>;
  lastUsed: number;
  host: string;
  port: number;
  user: string;
  become: boolean;
  since: number;
}

interface Session {
  sock: Socket;
  keys: Set<string>;
  authed: boolean;
}

function alive(pid: number): boolean {
  try {
    // a killed holder nobody reaped yet (a zombie) is dead too
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
  } catch {
    /* no /proc entry: kill(0) decides */
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the per-user lock (the pid file): one holder per dir. False when a live holder has it. */
function lock(dir: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(pidPath(dir), 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const pid = Number(readFileSync(pidPath(dir), 'utf8').trim());
      if (pid && alive(pid)) return false;
      try {
        unlinkSync(pidPath(dir));
      } catch {
        /* raced with another holder: try once more */
      }
    }
  }
  return false;
}

export async function runHolder(dir: string, idleMsStart: number): Promise<number> {
  process.umask(0o077);
  if (!lock(dir)) return 0;
  let idleMs = idleMsStart;
  const token = randomBytes(32);
  const rm = (p: string): void => {
    try {
      unlinkSync(p);
    } catch {
      /* gone already */
    }
  };
  rm(tokenPath(dir));
  writeFileSync(tokenPath(dir), token.toString('hex'), { mode: 0o600, flag: 'wx' });
  rm(socketPath(dir));
  const entries = new Map<string, Entry>();
  const sessions = new Set<Session>();
  let lastActivity = Date.now();
  let stopping = false;

  const drop = (key: string): void => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    void e.conn.close().catch(() => undefined);
  };

  const server = createServer((sock) => {
    const s: Session = { sock, keys: new Set(), authed: false };
    sessions.add(s);
    lastActivity = Date.now();
    // a run that does not say hello at once is not one of ours
    const helloTimer = setTimeout(() => sock.destroy(), 2_000);
    const reply = (h: Header, payload?: Buffer): void => {
      if (!sock.destroyed) sock.write(frame(h, payload));
    };
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(helloTimer);
      sessions.delete(s);
      const now = Date.now();
      lastActivity = now;
      for (const k of s.keys) {
        const e = entries.get(k);
        if (e) {
          e.users.delete(s);
          e.lastUsed = now;
        }
      }
    });
    readFrames(sock, (h, payload) => {
      if (!s.authed) {
        const got = Buffer.from(String(h.token ?? ''), 'hex');
        if (h.op !== 'hello' || got.length !== token.length || !timingSafeEqual(got, token)) {
          sock.destroy();
          return;
        }
        clearTimeout(helloTimer);
        s.authed = true;
        if (typeof h.idleMs === 'number' && h.idleMs > 0) idleMs = h.idleMs;
        reply({ id: h.id, ok: true, pid: process.pid });
        return;
      }
      void handle(s, h, payload).then(
        (r) => reply({ id: h.id, ok: true, ...r.h }, r.payload),
        (e: unknown) => reply({ id: h.id, ok: false, error: errorToWire(e) }),
      );
    });
  });

  const handle = async (s: Session, h: Header, payload: Buffer): Promise<{ h?: Record<string, unknown>; payload?: Buffer }> => {
    switch (h.op) {
      case 'ping':
        return {};
      case 'connect': {
        const key = String(h.key);
        const target = h.target as ConnectionTarget;
        let e = entries.get(key);
        // a connection whose host went away is dropped; connecting again reports what a direct connect would
        if (e && e.conn.gone) {
          drop(key);
          e = undefined;
        }
        if (!e) {
          const conn = new SshConnection(target);
          const now = Date.now();
          e = {
            conn,
            ready: conn.connect(),
            users: new Set(),
            lastUsed: now,
            since: now,
            host: target.host,
            port: target.port,
            user: target.user ?? process.env.USER ?? 'root',
            become: false,
          };
          entries.set(key, e);
          const mine = e;
          // a failed connect is not kept: the next run tries again
          e.ready.catch(() => {
            if (entries.get(key) === mine) entries.delete(key);
          });
        }
        e.users.add(s);
        s.keys.add(key);
        await e.ready;
        return {};
      }
      case 'run': {
        const key = String(h.key);
        const e = entries.get(key);
        if (!e || !s.keys.has(key)) throw new TsplayError('connection', 'the connection holder does not hold this connection');
        e.lastUsed = Date.now();
        const opts = (h.opts ?? {}) as RunOptions;
        if (h.stdin) opts.stdin = payload;
        if (opts.become) e.become = true;
        const r = await e.conn.run(String(h.command), opts);
        e.lastUsed = Date.now();
        return { h: { rc: r.rc, stderr: r.stderr }, payload: r.stdoutBuf };
      }
      case 'release': {
        if (h.noBecome) {
          await Promise.all(
            [...s.keys].map(async (k) => {
              const e = entries.get(k);
              if (e) {
                e.become = false;
                await e.conn.closeBecome().catch(() => undefined);
              }
            }),
          );
        }
        return {};
      }
      case 'status': {
        const now = Date.now();
        return {
          h: {
            pid: process.pid,
            idleMs,
            sessions: sessions.size,
            connections: [...entries.values()].map((e) => ({
              host: e.host,
              port: e.port,
              user: e.user,
              becomeShells: e.become,
              inUse: e.users.size,
              ageSecs: Math.round((now - e.since) / 1000),
              idleSecs: e.users.size ? 0 : Math.round((now - e.lastUsed) / 1000),
            })),
          },
        };
      }
      case 'stop':
        setImmediate(() => void shutdown());
        return {};
      default:
        throw new TsplayError('internal', `unknown request ${String(h.op)}`);
    }
  };

  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweep);
    server.close();
    for (const s of sessions) s.sock.destroy();
    // the files go first: a new run starts a new holder instead of attaching to a closing one
    rm(socketPath(dir));
    rm(tokenPath(dir));
    try {
      if (Number(readFileSync(pidPath(dir), 'utf8').trim()) === process.pid) rm(pidPath(dir));
    } catch {
      /* gone */
    }
    await Promise.race([
      Promise.all(
        [...entries.keys()].map((k) =>
          entries
            .get(k)!
            .conn.close()
            .catch(() => undefined),
        ),
      ),
      new Promise((r) => setTimeout(r, 2_000)),
    ]);
    process.exit(0);
  };

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [k, e] of entries) {
        if (e.users.size === 0 && (now - e.lastUsed >= idleMs || e.conn.gone)) drop(k);
      }
      if (entries.size === 0 && sessions.size === 0 && now - lastActivity >= Math.min(idleMs, 5_000)) void shutdown();
    },
    Math.max(100, Math.min(1_000, idleMs / 4)),
  );

  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGHUP', () => undefined);
  process.on('uncaughtException', () => void shutdown());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath(dir), () => resolve());
  });
  return new Promise<number>(() => undefined);
}
