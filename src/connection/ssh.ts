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

function channelAdapter(ch: ClientChannel): ShellChannel {
  return {
    write: (d) => void ch.write(d),
    onData: (stream, cb) => (stream === 'stdout' ? ch.on('data', cb) : ch.stderr.on('data', cb)),
    onClose: (cb) => {
      let detail = 'channel closed';
      let done = false;
      const fire = (): void => {
        if (!done) (done = true), cb(detail);
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
    const sock = await this.tcp();
    const client = new Client();
    this.client = client;
    let hostKeyError: UnreachableError | null = null;
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
        if (e.level === 'client-authentication') {
          return reject(this.unreachable(`authentication failed for user ${this.user} (tried: ${auth.describe()})`));
        }
        if (e.level === 'client-timeout') return reject(this.unreachable('timed out during the ssh handshake'));
        const text = (e.code && SYSCALL_TEXT[e.code]) || e.message;
        reject(this.unreachable(text));
      });
      client.on('close', () => {
        this.lost ??= 'connection closed';
        if (!ready) reject(hostKeyError ?? this.unreachable('connection closed during the ssh handshake'));
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
        keepaliveInterval: t.keepaliveIntervalMs,
        keepaliveCountMax: 3,
      });
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
          reject(this.lost !== null ? this.unreachable(`connection lost (${this.lost})`) : new TsplayError('connection', `ssh: cannot open a channel to ${this.target.host}: ${err.message}`));
        } else resolve(channelAdapter(ch));
      });
    });
  }

  run(command: string, opts?: RunOptions): Promise<RunResult> {
    return this.shells.run(command, opts);
  }

  async close(): Promise<void> {
    await this.shells.closeAll();
    this.client?.end();
    this.lost ??= 'closed';
  }
}
