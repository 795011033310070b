/**
 * One connected Connection per host for the whole run. Concurrent callers share the connect promise;
 * a host that failed to connect stays failed (the error is returned again, no reconnect storm).
 * With persistence on, ssh connections go through the user's connection holder (holder.ts), which keeps them
 * for the next run.
 */
import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';
import { holderFor, HolderConnection, type HolderClient } from './persist-client.js';
import type { PersistOptions } from './persist-key.js';
import type { Connection, ConnectionTarget } from './types.js';

export function createConnection(target: ConnectionTarget): Connection {
  return target.connection === 'local' ? new LocalConnection(target) : new SshConnection(target);
}

export class ConnectionPool {
  private readonly conns = new Map<string, { conn: Connection; ready: Promise<Connection> }>();
  private holder?: Promise<HolderClient | null>;

  constructor(private readonly persist?: PersistOptions) {}

  /** The connected Connection for this host (keyed by inventory name). Throws UnreachableError. */
  get(target: ConnectionTarget): Promise<Connection> {
    const hit = this.conns.get(target.name);
    if (hit) return hit.ready;
    let conn: Connection;
    if (this.persist && target.connection === 'ssh') {
      this.holder ??= holderFor(this.persist);
      conn = new HolderConnection(target, this.holder, this.persist.note);
    } else conn = createConnection(target);
    const ready = conn.connect().then(() => conn);
    this.conns.set(target.name, { conn, ready });
    return ready;
  }

  /** Close every connection (shells first, then transports); kept ones stay with the holder. */
  async closeAll(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(({ conn }) => conn.close().catch(() => undefined)));
    const h = await this.holder;
    this.holder = undefined;
    if (h && !h.gone) {
      if (this.persist?.noBecome)
        await Promise.race([h.request({ op: 'release', noBecome: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
      h.end();
    }
  }
}
