/**
 * At most this many SSH handshakes at once in one process (from the connected TCP socket to "ready": key
 * exchange, host key check, authentication; TCP connects are not limited, so hosts that are down do not hold
 * slots). A run with forks = 1000 would otherwise start 1,000 key exchanges on a 2-CPU
 * controller at once, each getting 1/1000 of the CPU, and the last ones pass their handshake timeout although
 * every host is fine (measured: 12 of 1,000 lab hosts UNREACHABLE "timed out during the ssh handshake").
 * A handshake waiting for a slot has no timer running; the hosts are connected as fast as the CPUs allow,
 * like OpenSSH's MaxStartups on the server side. `TSPLAY_HANDSHAKES=N` sets the limit.
 */
import { availableParallelism } from 'node:os';

function limit(): number {
  const n = Number(process.env['TSPLAY_HANDSHAKES']);
  return Number.isInteger(n) && n > 0 ? n : Math.max(64, 32 * availableParallelism());
}

let active = 0;
const waiting: (() => void)[] = [];

/** Wait for a handshake slot; the function returned gives it back (once). */
export async function handshakeSlot(): Promise<() => void> {
  if (active < limit()) active++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  let given = false;
  return () => {
    if (given) return;
    given = true;
    const next = waiting.shift();
    // the slot goes to the next waiter as it is (active stays the same)
    if (next) next();
    else active--;
  };
}

/** Handshakes running and waiting (for tests). */
export function handshakeSlots(): { active: number; waiting: number } {
  return { active, waiting: waiting.length };
}
