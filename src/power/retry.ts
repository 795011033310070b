/** Retry with exponential back-off and jitter, for cloud calls the provider throttled. */
import { sleep as wait } from '../../lib/cloud/wait.js';
export interface RetryPolicy {
  attempts: number;
  base_s: number;
  max_s: number;
}

/** Seconds to wait before attempt `n` (1 = the first retry): base·2^(n-1), capped, with ±25 % jitter. */
export function backoffDelay(n: number, p: Pick<RetryPolicy, 'base_s' | 'max_s'>, rand: () => number = Math.random): number {
  const d = Math.min(p.max_s, p.base_s * 2 ** Math.max(0, n - 1));
  return Math.max(0, d * (0.75 + 0.5 * rand()));
}

/** A throttled or transiently refused ARM/EC2 call (HTTP 429, TooManyRequests, RetryableError, Throttling...). */
export function isThrottled(text: string): boolean {
  return /\b429\b|TooManyRequests|Too Many Requests|SubscriptionRequestsThrottled|\bThrottl\w*|RequestLimitExceeded|RetryableError|OperationPreempted|ServerBusy/i.test(
    text,
  );
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  p: RetryPolicy,
  retryable: (e: unknown) => boolean,
  onRetry?: (attempt: number, delayS: number, e: unknown) => void,
  sleep: (s: number) => Promise<void> = wait,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= p.attempts || !retryable(e)) throw e;
      const d = backoffDelay(attempt, p);
      onRetry?.(attempt, d, e);
      await sleep(d);
    }
  }
}

/** Per-node back-off of ResumeFailProgram: base·2^(failures-1), capped (0 failures: base). */
export function failBackoff(failures: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, failures - 1));
}

/** Run fn over items with at most `limit` at once; results in item order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
