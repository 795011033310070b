/**
 * How many times any host may have changed in this process: bumped whenever a task changed (or may have
 * changed) a host, whichever host it was, or waited for something outside tsplay (wait_for, pause, a retry).
 * A read made before a bump is not served after it, on any host: a task on one host can change what another
 * reads (a shared NFS file, a delegated push, a DNS record).
 */
let generation = 0;

export function hostsChanged(): void {
  generation++;
}

export function currentGeneration(): number {
  return generation;
}
