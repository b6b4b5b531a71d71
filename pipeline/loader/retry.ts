/** Exponential backoff retries, with a stop signal so a shutting-down loader does not sleep through it. */
import type { RetryPolicy } from './config';

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Run `fn` up to `policy.attempts` times. `retryable(err)` false stops at once; `onRetry` is told about
 * each failure that will be retried. Throws the last error.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  opts: { retryable?: (err: unknown) => boolean; onRetry?: (err: unknown, attempt: number, delayMs: number) => void; signal?: AbortSignal } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt >= policy.attempts || opts.signal?.aborted || (opts.retryable && !opts.retryable(err));
      if (last) throw err;
      const delay = backoffDelay(policy, attempt);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
      if (opts.signal?.aborted) throw err;
    }
  }
}
