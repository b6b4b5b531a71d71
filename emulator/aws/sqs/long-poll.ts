import type { SqsQueue } from './queue';

/**
 * Resolve after `ms`, or as soon as the queue wakes its waiters (a message became receivable, the queue
 * was deleted, the service is closing), or when the client goes away. Everything it registered is
 * removed on the way out, so an abandoned long poll leaves no timer or listener behind.
 */
export function waitForWake(queue: SqsQueue, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      queue.removeWaiter(done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, ms));
    queue.addWaiter(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
