/**
 * tsplay persist status|stop — the user's connection holder (connection/holder.ts); `serve` is how a run
 * starts it (detached, not for interactive use).
 */
import { parseArgs } from 'node:util';
import { runHolder } from '../../connection/holder.js';
import { attachHolder } from '../../connection/persist-client.js';
import { DEFAULT_PERSIST_SECS, runtimeDir } from '../../connection/persist-key.js';

const USAGE = `usage: tsplay persist status|stop

  status   the connection holder's kept connections (host, user, idle time)
  stop     close them all and end the holder
`;

export async function persistCommand(argv: string[]): Promise<number> {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'idle-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [sub] = parsed.positionals;
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = runtimeDir();
  if (!dir) {
    process.stderr.write('tsplay persist: no private runtime directory (owned by you, mode 0700)\n');
    return 1;
  }
  switch (sub) {
    case 'serve':
      return runHolder(dir, Number(parsed.values['idle-ms'] ?? DEFAULT_PERSIST_SECS * 1000));
    case 'status': {
      const c = await attachHolder(dir);
      if (!c) {
        process.stdout.write('no connection holder running\n');
        return 1;
      }
      const r = await c.request({ op: 'status' });
      c.end();
      const conns = (r.h.connections ?? []) as {
        host: string;
        port: number;
        user: string;
        becomeShells: boolean;
        inUse: number;
        ageSecs: number;
        idleSecs: number;
      }[];
      process.stdout.write(`connection holder pid ${String(r.h.pid)}, idle time ${Number(r.h.idleMs) / 1000} s, ${conns.length} connection(s)\n`);
      for (const x of conns) {
        const state = x.inUse ? `in use by ${x.inUse} run(s)` : `idle ${x.idleSecs} s`;
        process.stdout.write(`  ${x.user}@${x.host}:${x.port}  ${x.becomeShells ? 'with sudo shell' : 'ssh only'}  ${state}  up ${x.ageSecs} s\n`);
      }
      return 0;
    }
    case 'stop': {
      const c = await attachHolder(dir);
      if (!c) {
        process.stdout.write('no connection holder running\n');
        return 0;
      }
      await c.request({ op: 'stop' }).catch(() => undefined);
      c.end();
      process.stdout.write('connection holder stopped\n');
      return 0;
    }
    default:
      process.stderr.write(`tsplay persist: ${sub === undefined ? 'no subcommand' : `unknown subcommand '${sub}'`}\n${USAGE}`);
      return 5;
  }
}
