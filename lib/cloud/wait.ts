/**
 * Polling with a deadline, for cloud operations started with --no-wait (az vm deallocate, az sig
 * image-version create...). The module keeps the clock, so a task never hangs longer than its `timeout`;
 * the cloud operation itself goes on after a timeout, and a rerun picks it up (the modules read state first).
 */
import { ModuleError } from '../../src/contract/index.js';

export interface PollOptions<T> {
  /** what we wait for, for the timeout message: "VM 'b1' to be PowerState/deallocated" */
  what: string;
  timeoutS: number;
  intervalS: number;
  read(): Promise<T>;
  done(v: T): boolean;
  /** a state that will never reach done: the failure message */
  failed?(v: T): string | undefined;
  /** the last state, for the timeout message */
  describe?(v: T): string;
}

export const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));

export async function pollUntil<T>(o: PollOptions<T>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await o.read();
    if (o.done(v)) return v;
    const bad = o.failed?.(v);
    if (bad) throw new ModuleError(bad);
    const elapsed = (Date.now() - t0) / 1000;
    if (elapsed >= o.timeoutS) {
      throw new ModuleError(
        `timed out after ${Math.round(elapsed)} s waiting for ${o.what}${o.describe ? ` (last seen: ${o.describe(v)})` : ''}; the operation goes on in the cloud: rerun to pick it up`,
      );
    }
    await sleep(Math.min(o.intervalS, o.timeoutS - elapsed));
  }
}
