/**
 * The ssh transport: one ssh2 Client per host for the whole run; commands go through persistent shells
 * (shells.ts) on exec channels of that client.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import ssh2, { type ClientChannel } from 'ssh2';

const { Client } = ssh2;
type Client = InstanceType<typeof Client>;
import { TsplayError, UnreachableError } from '../errors.js';
import { authPlan } from './auth.js';
import { hostKeyAlgorithms, verifyHostKey } from './host-key.js';
import type { ShellChannel } from './persistent-shell.js';
import { ShellSet } from './shells.js';
import { handshakeSlot } from './handshake-slots.js';
import type { Connection, ConnectionTarget, RunOptions, RunResult } from './types.js';

const SYSCALL_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  EHOSTDOWN: 'Host is down',
};

/** After the shell exits, output still in flight gets this long to arrive. */
const EXIT_GRACE_MS = 250;

/** ServerAliveInterval when none is given (or 0, "off" in OpenSSH: tsplay never goes without probes). */
const DEFAULT_PROBE_MS = 3_000;
const DEFAULT_COUNT_MAX = 3;
/** However loose ServerAliveInterval × (ServerAliveCountMax + 1), a silent host is dead after this long. */
export const DEAD_CAP_MS = 120_000;
/** How often the silence watch looks at the clock. */
const WATCH_TICK_MS = 250;

export interface Liveness {
  /** a keepalive@openssh.com probe goes out this often, so a live host always has something to answer */
  probeMs: number;
  /** no byte from the host for this long: the host is dead (UNREACHABLE), whatever it was doing */
  deadMs: number;
}

/**
 * OpenSSH's rule (ServerAliveInterval I, ServerAliveCountMax C: dead after I × (C + 1) without a byte from the
 * server), except that probes are never off and the deadline is capped, so no setting makes a run wait forever
 * on a host that went silent. Probes go out at least twice per deadline, so CountMax=0 still probes.
 */
export function liveness(t: Pick<ConnectionTarget, 'keepaliveIntervalMs' | 'keepaliveCountMax'>): Liveness {
  const interval = t.keepaliveIntervalMs > 0 ? t.keepaliveIntervalMs : DEFAULT_PROBE_MS;
  const count = t.keepaliveCountMax ?? DEFAULT_COUNT_MAX;
  const deadMs = Math.min(interval * (count + 1), DEAD_CAP_MS);
  return { probeMs: Math.max(Math.min(interval, deadMs / 2), WATCH_TICK_MS), deadMs };
}

/**
 * Calls onSilent once when nothing arrived on the socket for limitMs() (checked every WATCH_TICK_MS). The
 * deadline counts bytes received, not keepalive replies, so it holds whatever the connection is doing: idle,
 * a long command, an upload stuck behind a full window, the handshake, a sudo that does not answer. Time the
 * event loop spent blocked does not count: what the host sent meanwhile is still unread in the socket.
 */
class SilenceWatch {
  private lastRx = performance.now();
  private lastTick = this.lastRx;
  private readonly timer: NodeJS.Timeout;

  constructor(sock: Socket, limitMs: () => number, onSilent: (silentMs: number) => void) {
    sock.on('data', () => {
      this.lastRx = performance.now();
    });
    this.timer = setInterval(() => {
      const now = performance.now();
      const gap = now - this.lastTick;
      this.lastTick = now;
      if (gap > 4 * WATCH_TICK_MS) this.lastRx += gap - WATCH_TICK_MS;
      const silent = now - this.lastRx;
      if (silent >= limitMs()) {
        this.stop();
        onSilent(silent);
      }
    }, WATCH_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function channelAdapter(ch: ClientChannel): ShellChannel {
  return {
    write: (d) => void ch.write(d),
    onData: (stream, cb) => (stream === 'stdout' ? ch.on('data', cb) : ch.stderr.on('data', cb)),
    onClose: (cb) => {
      let detail = 'channel closed';
      let done = false;
      const fire = (): void => {
        if (!done) {
          done = true;
          cb(detail);
        }
      };
      ch.on('exit', (code: number | null, signal?: string) => {
        detail = signal ? `killed by signal ${signal}` : `exit status ${code}`;
        // a background process may keep the channel open: don't wait for its end
        setTimeout(fire, EXIT_GRACE_MS).unref();
      });
      ch.on('close', fire);
    },
    end: () => void ch.end(),
    kill: () => ch.close(),
  };
}

export class SshConnection implements Connection {
  private client?: Client;
  private connecting?: Promise<void>;
  /** why the transport is gone (null while it is up) */
  private lost: string | null = null;
  private readonly shells: ShellSet;
  private readonly user: string;

  constructor(readonly target: ConnectionTarget) {
    this.user = target.user ?? process.env.USER ?? 'root';
    this.shells = new ShellSet({
      host: target.host,
      loginUser: this.user,
      becomePassword: target.becomePassword,
      startTimeoutMs: Math.max(2 * target.connectTimeoutMs, 20_000),
      open: (cmd, o) => this.open(cmd, o),
      lostError: (d) => (this.lost !== null ? this.unreachable(`connection lost (${this.lost})`) : new TsplayError('connection', d)),
      transportGone: () => this.lost !== null,
    });
  }

  private where(): string {
    return `host ${this.target.host} port ${this.target.port}`;
  }

  private unreachable(what: string): UnreachableError {
    return new UnreachableError(`ssh: ${this.user}@${this.target.host}:${this.target.port}: ${what}`);
  }

  connect(): Promise<void> {
    this.connecting ??= this.doConnect();
    return this.connecting;
  }

  private tcp(): Promise<Socket> {
    const t = this.target;
    return new Promise((resolve, reject) => {
      const sock = tcpConnect({ host: t.host, port: t.port });
      const fail = (text: string): void => {
        sock.destroy();
        reject(new UnreachableError(`ssh: connect to ${this.where()}: ${text}`));
      };
      const timer = setTimeout(() => fail('Connection timed out'), t.connectTimeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(sock);
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
          sock.destroy();
          reject(new UnreachableError(`ssh: Could not resolve hostname ${t.host}: Name or service not known`));
        } else fail(SYSCALL_TEXT[e.code ?? ''] ?? e.message);
      });
    });
  }

  private async doConnect(): Promise<void> {
    const t = this.target;
    const auth = authPlan(t, this.user);
    const live = liveness(t);
    // TCP first, outside the slots: a host that is down (a powered-off cloud node) waits out its connect
    // timeout without holding a slot other hosts need
    const sock = await this.tcp();
    const slot = await handshakeSlot();
    try {
      // (closed by the host while it waited for a slot: nothing to hand to ssh2)
      if (sock.destroyed) throw this.unreachable('connection closed before the ssh handshake');
      await this.handshake(sock, t, auth, live);
    } finally {
      slot();
    }
  }

  private async handshake(sock: Socket, t: ConnectionTarget, auth: ReturnType<typeof authPlan>, live: ReturnType<typeof liveness>): Promise<void> {
    const client = new Client();
    this.client = client;
    let hostKeyError: UnreachableError | null = null;
    /** set when the silence watch gave up on the host */
    let silence: string | null = null;
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      sock.on('close', () => {
        this.lost ??= 'connection closed by the remote host';
      });
      client.on('error', (e: Error & { level?: string; code?: string }) => {
        if (ready) {
          this.lost ??= e.level === 'client-timeout' ? 'no answer to keepalives' : e.message;
          return;
        }
        if (hostKeyError) return reject(hostKeyError);
        if (silence) return reject(this.unreachable(`${silence} during the ssh handshake`));
        if (e.level === 'client-authentication') {
          return reject(this.unreachable(`authentication failed for user ${this.user} (tried: ${auth.describe()})`));
        }
        if (e.level === 'client-timeout') return reject(this.unreachable('timed out during the ssh handshake'));
        const text = (e.code && SYSCALL_TEXT[e.code]) || e.message;
        reject(this.unreachable(text));
      });
      client.on('close', () => {
        this.lost ??= 'connection closed';
        if (!ready) {
          const why = silence ? `${silence} during the ssh handshake` : 'connection closed during the ssh handshake';
          reject(hostKeyError ?? this.unreachable(why));
        }
      });
      client.on('ready', () => {
        ready = true;
        resolve();
      });
      client.connect({
        sock,
        host: t.host,
        port: t.port,
        username: this.user,
        authHandler: auth.handler,
        hostVerifier: (key: Buffer) => {
          hostKeyError = verifyHostKey(t, key);
          return hostKeyError === null;
        },
        algorithms: { serverHostKey: hostKeyAlgorithms(t) as never },
        readyTimeout: Math.max(t.connectTimeoutMs, 20_000),
        // ssh2 only sends the probes; the SilenceWatch below decides when the host is dead
        keepaliveInterval: live.probeMs,
        keepaliveCountMax: Number.MAX_SAFE_INTEGER,
      });
      // (after connect(): ssh2 has paused the socket, so this listener does not start the flow early)
      const watch = new SilenceWatch(
        sock,
        // before the session is up there is nothing to probe with: the handshake gets at least ConnectTimeout
        () => (ready ? live.deadMs : Math.max(live.deadMs, t.connectTimeoutMs)),
        (ms) => {
          silence = `no data from the host for ${(ms / 1000).toFixed(1)} s: link or host down`;
          this.lost ??= silence;
          sock.destroy();
        },
      );
      sock.once('close', () => watch.stop());
    });
  }

  private async open(command: string, opts?: { pty?: boolean }): Promise<ShellChannel> {
    await this.connect();
    const client = this.client!;
    if (this.lost !== null) throw this.unreachable(`connection lost (${this.lost})`);
    return new Promise((resolve, reject) => {
      // a pty only where sudo insists on one (requiretty): stdout and stderr then arrive merged
      client.exec(command, opts?.pty ? { pty: { term: 'dumb', cols: 512, rows: 24 } } : {}, (err, ch) => {
        if (err) {
          reject(
            this.lost !== null
              ? this.unreachable(`connection lost (${this.lost})`)
              : new TsplayError('connection', `ssh: cannot open a channel to ${this.target.host}: ${err.message}`),
          );
        } else resolve(channelAdapter(ch));
      });
    });
  }

  run(command: string, opts?: RunOptions): Promise<RunResult> {
    return this.shells.run(command, opts);
  }

  /** true once the transport is gone (closed, dropped, or never came up) */
  get gone(): boolean {
    return this.lost !== null;
  }

  /** Close the become (sudo) shells, keep the transport and the login shell (--no-persist-become). */
  closeBecome(): Promise<void> {
    return this.shells.closeBecome();
  }

  async close(): Promise<void> {
    await this.shells.closeAll();
    this.client?.end();
    this.lost ??= 'closed';
  }
}
