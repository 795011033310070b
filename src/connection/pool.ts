/**
 * One connected Connection per host for the whole run. Concurrent callers share the connect promise;
 * a host that failed to connect stays failed (the error is returned again, no reconnect storm).
 */
import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';
import type { Connection, ConnectionTarget } from './types.js';

export function createConnection(target: ConnectionTarget): Connection {
  return target.connection === 'local' ? new LocalConnection(target) : new SshConnection(target);
}

export class ConnectionPool {
  private readonly conns = new Map<string, { conn: Connection; ready: Promise<Connection> }>();

  /** The connected Connection for this host (keyed by inventory name). Throws UnreachableError. */
  get(target: ConnectionTarget): Promise<Connection> {
    const hit = this.conns.get(target.name);
    if (hit) return hit.ready;
    const conn = createConnection(target);
    const ready = conn.connect().then(() => conn);
    this.conns.set(target.name, { conn, ready });
    return ready;
  }

  /** Close every connection (shells first, then transports). */
  async closeAll(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(({ conn }) => conn.close().catch(() => undefined)));
  }
}
