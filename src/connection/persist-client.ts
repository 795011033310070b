/**
 * A run's side of the connection holder (holder.ts): find or start the holder, attach within milliseconds or
 * not at all (then the run connects directly, as if there were no holder), and HolderConnection, a Connection
 * whose commands the holder runs on its kept connection.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsplayError } from '../errors.js';
import { packageRoot } from '../lab/paths.js';
import { connectionKey, privateFile, runtimeDir, socketPath, tokenPath, type PersistOptions } from './persist-key.js';
import { errorFromWire, frame, readFrames, type Header, type WireError } from './persist-wire.js';
import { SshConnection } from './ssh.js';
import type { Connection, ConnectionTarget, RunOptions, RunResult } from './types.js';

/** Attaching (connect + hello) must answer within this long, or the run connects directly. */
const ATTACH_TIMEOUT_MS = 1_000;
/** A started holder must be listening within this long. */
const SPAWN_WAIT_MS = 3_000;
/** While requests are out, the holder must answer a ping within this long or it counts as dead. */
const PING_MS = 5_000;
const DEAD_MS = 15_000;

/** The holder went away (killed, stopped): not the host's fault. */
export class HolderGone extends Error {}

export class HolderClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { h: Header; payload: Buffer }) => void; reject: (e: Error) => void }>();
  private lastRx = Date.now();
  private readonly timer: NodeJS.Timeout;
  gone = false;

  constructor(private readonly sock: Socket) {
    readFrames(sock, (h, payload) => {
      this.lastRx = Date.now();
      const p = this.pending.get(h.id);
      if (!p) return;
      this.pending.delete(h.id);
      if (h.ok) p.resolve({ h, payload });
      else p.reject(errorFromWire(h.error as WireError));
    });
    const fail = (): void => {
      this.gone = true;
      clearInterval(this.timer);
      for (const p of this.pending.values()) p.reject(new HolderGone('the connection holder went away'));
      this.pending.clear();
    };
    sock.on('close', fail);
    sock.on('error', () => undefined);
    this.timer = setInterval(() => {
      if (this.pending.size === 0) return;
      if (Date.now() - this.lastRx > DEAD_MS) sock.destroy();
      else void this.request({ op: 'ping' }).catch(() => undefined);
    }, PING_MS);
    this.timer.unref();
  }

  request(h: Record<string, unknown>, payload?: Buffer): Promise<{ h: Header; payload: Buffer }> {
    if (this.gone) return Promise.reject(new HolderGone('the connection holder went away'));
    const id = this.nextId++;
    if (this.pending.size === 0) this.lastRx = Date.now();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(frame({ ...h, id }, payload));
    });
  }

  end(): void {
    clearInterval(this.timer);
    this.sock.end();
  }
}

/** Attach to the holder in dir, with its token; null when there is none we may use. */
export async function attachHolder(dir: string, idleMs?: number): Promise<HolderClient | null> {
  const sp = socketPath(dir);
  // the socket and the token must be ours and private (node has no SO_PEERCRED: this and the token stand for it)
  if (!privateFile(sp, 'socket') || !privateFile(tokenPath(dir), 'file')) return null;
  let token: string;
  try {
    token = readFileSync(tokenPath(dir), 'utf8').trim();
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    const sock = netConnect(sp);
    let done = false;
    const finish = (c: HolderClient | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!c) sock.destroy();
      resolve(c);
    };
    const timer = setTimeout(() => finish(null), ATTACH_TIMEOUT_MS);
    sock.once('error', () => finish(null));
    sock.once('connect', () => {
      const c = new HolderClient(sock);
      c.request({ op: 'hello', token, idleMs }).then(
        () => finish(c),
        () => finish(null),
      );
    });
  });
}

export function holderBin(): string {
  return join(packageRoot(), 'bin', 'tsplay.js');
}

/** Start a detached holder for dir (it exits by itself when idle, or at once when another one holds the lock). */
export function spawnHolder(dir: string, idleMs: number): void {
  const child = spawn(process.execPath, [holderBin(), 'persist', 'serve', '--idle-ms', String(idleMs)], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, TSPLAY_PERSIST_DIR: dir },
  });
  child.on('error', () => undefined);
  child.unref();
}

/** Attach to this user's holder, starting one when there is none; null: connect directly. */
export async function holderFor(opts: PersistOptions): Promise<HolderClient | null> {
  const dir = opts.dir ?? runtimeDir();
  if (!dir) {
    opts.note?.('persist: no private runtime directory; connecting directly');
    return null;
  }
  const first = await attachHolder(dir, opts.idleMs);
  if (first) return first;
  spawnHolder(dir, opts.idleMs);
  const until = Date.now() + SPAWN_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 15));
    if (!existsSync(socketPath(dir))) continue;
    const c = await attachHolder(dir, opts.idleMs);
    if (c) return c;
  }
  opts.note?.('persist: the connection holder did not start; connecting directly');
  return null;
}

/** A Connection through the holder; falls back to a direct SshConnection when the holder is not there. */
export class HolderConnection implements Connection {
  private connecting?: Promise<void>;
  private via?: HolderClient;
  private direct?: SshConnection;
  private readonly key: string;

  constructor(
    readonly target: ConnectionTarget,
    private readonly holder: Promise<HolderClient | null>,
    private readonly note?: (msg: string) => void,
  ) {
    this.key = connectionKey(target);
  }

  connect(): Promise<void> {
    this.connecting ??= this.doConnect();
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const c = await this.holder;
    if (c) {
      try {
        await c.request({ op: 'connect', key: this.key, target: this.target });
        this.via = c;
        return;
      } catch (e) {
        if (!(e instanceof HolderGone)) throw e;
        this.note?.(`persist: ${this.target.name}: the connection holder went away; connecting directly`);
      }
    }
    this.direct = new SshConnection(this.target);
    await this.direct.connect();
  }

  async run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    await this.connect();
    const c = this.via;
    if (!c || c.gone) {
      if (c) {
        this.via = undefined;
        this.direct = new SshConnection(this.target);
      }
      return this.direct!.run(command, opts);
    }
    const { stdin, ...rest } = opts;
    const payload = stdin === undefined ? undefined : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin);
    try {
      const r = await c.request({ op: 'run', key: this.key, command, opts: rest, stdin: payload !== undefined }, payload);
      return { rc: Number(r.h.rc), stdout: r.payload.toString('utf8'), stderr: String(r.h.stderr ?? ''), stdoutBuf: r.payload };
    } catch (e) {
      if (!(e instanceof HolderGone)) throw e;
      // the holder died under the command: whether it ran is unknown; later commands connect directly
      this.via = undefined;
      this.direct = new SshConnection(this.target);
      this.note?.(`persist: ${this.target.name}: the connection holder went away during a command`);
      throw new TsplayError('connection', `the connection holder went away while a command ran on ${this.target.host}; the next commands connect directly`);
    }
  }

  async close(): Promise<void> {
    await this.direct?.close();
  }
}
