/**
 * `Loader`: the loop that turns `shredding_complete` messages into loaded windows, one at a time (spec §3.1-3.3):
 *   receive → parse (malformed: dead-letter queue, with the reason) → empty window: ack
 *   → prepare (unloadable: dead-letter queue) → load with retries while a timer extends the message's
 *   visibility → delete the message only after the load committed.
 * At-least-once: a crash anywhere before the delete redelivers the message, and the manifest (checked in
 * the load's transaction) makes the second load a no-op. Unlike Snowplow (which acks failed loads and
 * keeps them in memory), a failed load is handed back to SQS (visible again after `retryDelaySeconds`)
 * and dead-lettered after `maxDeliveries`, so a crash or restart never loses a window.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { isEmptyWindow, parseShreddingComplete, ShreddingCompleteError } from '../core/shredding-complete';
import type { LoaderConfig } from './config';
import type { LoaderMetrics, WindowOutcome } from './metrics';
import type { QueueMessage, WindowQueue } from './queue';
import { sleep, withRetries } from './retry';
import type { LoaderHooks, LoadTarget } from './targets/target';
import { prepareWindow, WindowRejected, type LoadWindow } from './window';

export interface WindowEvent {
  outcome: WindowOutcome;
  messageId: string;
  base?: string;
  rows?: number;
  /** Events of the window skipped as already loaded (same event_id and event_fingerprint). */
  duplicates?: number;
  /** Load duration (columns + copy + manifest), for a loaded window. */
  ms?: number;
  columnsAdded?: string[];
  reason?: string;
}

export class Loader {
  /** Emits `window` (`WindowEvent`) after each message is dealt with. */
  readonly events = new EventEmitter();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private killed = false;
  private destinationHealthy = false;
  private queueHealthy = true;
  private lastFailure: string | null = null;
  private busy = false;

  constructor(
    private readonly cfg: LoaderConfig,
    private readonly queue: WindowQueue,
    private readonly target: LoadTarget,
    private readonly metrics: LoaderMetrics,
    private readonly log: Logger,
    private readonly hooks: LoaderHooks = {},
  ) {}

  /** Start consuming (after `target.init()` succeeded). */
  start(): void {
    this.destinationHealthy = true;
    this.metrics.destinationHealthy.set(1);
    if (this.cfg.healthCheck.intervalMs > 0) {
      this.healthTimer = setInterval(() => void this.checkHealth(), this.cfg.healthCheck.intervalMs);
      this.healthTimer.unref();
    }
    this.loop = this.run();
  }

  health(): { healthy: boolean; reasons: string[]; busy: boolean; lastFailure: string | null } {
    const reasons: string[] = [];
    if (!this.loop) reasons.push('not started');
    if (!this.destinationHealthy) reasons.push(`${this.target.kind} is not answering SELECT 1`);
    if (!this.queueHealthy) reasons.push('cannot receive from SQS');
    return { healthy: reasons.length === 0, reasons, busy: this.busy, lastFailure: this.lastFailure };
  }

  /** Stop after the window in progress (its retries' backoff is cut short and the message handed back). */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.healthTimer) clearInterval(this.healthTimer);
    await this.loop;
  }

  /** Stop at once and make no further SQS call (a crash, for tests): the message in flight is neither deleted nor handed back. */
  kill(): void {
    this.killed = true;
    this.abort.abort();
    if (this.healthTimer) clearInterval(this.healthTimer);
  }

  async checkHealth(): Promise<boolean> {
    // A load in progress shows the destination is answering, and a SELECT 1 would only queue behind it
    // (one Snowflake session; PGlite serialises connections) and time out.
    if (this.busy) return this.destinationHealthy;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.target.healthCheck(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`health check timed out after ${this.cfg.healthCheck.timeoutMs} ms`)), this.cfg.healthCheck.timeoutMs);
        }),
      ]);
      if (!this.destinationHealthy) this.log.info({ target: this.target.kind }, 'destination healthy again');
      this.destinationHealthy = true;
    } catch (err) {
      if (this.destinationHealthy) this.log.error({ target: this.target.kind, err: (err as Error).message }, `destination health check failed: ${(err as Error).message}`);
      this.destinationHealthy = false;
    } finally {
      clearTimeout(timer);
    }
    this.metrics.destinationHealthy.set(this.destinationHealthy ? 1 : 0);
    return this.destinationHealthy;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let msg: QueueMessage | null;
      try {
        msg = await this.queue.receive(signal);
        if (!this.queueHealthy) this.log.info('receiving from SQS again');
        this.queueHealthy = true;
      } catch (err) {
        if (signal.aborted) break;
        if (this.queueHealthy) this.log.error({ err: (err as Error).message }, `cannot receive from SQS: ${(err as Error).message}`);
        this.queueHealthy = false;
        await sleep(1_000, signal);
        continue;
      }
      if (!msg || this.killed) continue;
      this.busy = true;
      try {
        await this.handle(msg);
      } catch (err) {
        // handle() deals with everything it expects; this is a bug, keep the loop alive
        this.log.error({ err: (err as Error)?.stack ?? String(err), messageId: msg.id }, 'unexpected error while handling a message');
      } finally {
        this.busy = false;
      }
    }
  }

  private emit(e: WindowEvent): void {
    this.events.emit('window', e);
  }

  private async handle(msg: QueueMessage): Promise<void> {
    let window: LoadWindow;
    try {
      const message = parseShreddingComplete(msg.body);
      if (isEmptyWindow(message)) {
        await this.queue.delete(msg);
        this.metrics.windows.inc({ outcome: 'empty' });
        this.log.info({ messageId: msg.id, base: message.base }, 'empty window acknowledged without loading');
        this.emit({ outcome: 'empty', messageId: msg.id, base: message.base });
        return;
      }
      window = prepareWindow(message);
    } catch (err) {
      if (err instanceof ShreddingCompleteError) return this.deadLetter(msg, `malformed shredding_complete message: ${err.message}`);
      if (err instanceof WindowRejected) return this.deadLetter(msg, `window cannot be loaded: ${err.message}`);
      throw err;
    }

    const every = Math.max(1_000, (this.cfg.sqs.visibilitySeconds > 60 ? this.cfg.sqs.visibilitySeconds - 30 : this.cfg.sqs.visibilitySeconds / 2) * 1000);
    const extender = setInterval(() => {
      if (this.killed) return;
      this.queue.extend(msg).catch((err: Error) => this.log.warn({ messageId: msg.id, err: err.message }, 'could not extend the message visibility'));
    }, every);
    const started = Date.now();
    this.log.info({ messageId: msg.id, base: window.base, delivery: msg.receiveCount, columns: window.columns.length }, 'loading window');
    try {
      await this.hooks.beforeLoad?.(window);
      const result = await withRetries(this.cfg.retries, () => this.target.load(window), {
        retryable: (err) => !(err instanceof WindowRejected),
        signal: this.abort.signal,
        onRetry: (err, attempt, delay) => {
          this.metrics.retries.inc();
          this.log.warn({ base: window.base, attempt, delayMs: delay, err: (err as Error).message }, `load attempt ${attempt} failed, retrying: ${(err as Error).message}`);
        },
      });
      await this.hooks.afterLoad?.(window, result);
      if (this.killed) return;
      clearInterval(extender);
      await this.queue.delete(msg).catch((err: Error) =>
        // the window is committed: a redelivery finds it in the manifest and is acked then
        this.log.warn({ messageId: msg.id, err: err.message }, 'could not delete the message; its redelivery will be a no-op'),
      );
      this.metrics.columnsAdded.inc(result.columnsAdded.length);
      this.lastFailure = null;
      if (result.outcome === 'already-loaded') {
        this.metrics.windows.inc({ outcome: 'already_loaded' });
        this.log.warn({ messageId: msg.id, base: window.base }, 'window already loaded (found in the manifest): acknowledged without loading');
        this.emit({ outcome: 'already_loaded', messageId: msg.id, base: window.base, columnsAdded: result.columnsAdded });
      } else {
        const ms = Date.now() - started;
        const expected = window.message.count?.good;
        const duplicates = result.duplicates ?? 0;
        if (expected !== undefined && expected !== result.rows + duplicates)
          this.log.warn({ base: window.base, rows: result.rows, duplicates, countGood: expected }, `window loaded ${result.rows} rows (+${duplicates} duplicates skipped) but its message counts ${expected} good events`);
        this.metrics.loaded(window.message, result.rows, ms);
        this.metrics.duplicatesSkipped.inc(duplicates);
        this.log.info({ messageId: msg.id, base: window.base, rows: result.rows, duplicates, columnsAdded: result.columnsAdded, ms }, 'window loaded');
        this.emit({ outcome: 'loaded', messageId: msg.id, base: window.base, rows: result.rows, duplicates, ms, columnsAdded: result.columnsAdded });
      }
    } catch (err) {
      clearInterval(extender);
      if (this.killed) return;
      if (err instanceof WindowRejected) return this.deadLetter(msg, `window cannot be loaded: ${err.message}`, window.base);
      const reason = (err as Error)?.message ?? String(err);
      this.lastFailure = reason;
      this.metrics.windows.inc({ outcome: 'failed' });
      if (msg.receiveCount >= this.cfg.sqs.maxDeliveries) return this.deadLetter(msg, `load failed on ${msg.receiveCount} deliveries: ${reason}`, window.base);
      const delay = this.abort.signal.aborted ? 0 : this.cfg.sqs.retryDelaySeconds;
      this.log.error({ messageId: msg.id, base: window.base, delivery: msg.receiveCount, retryInSeconds: delay, err: reason }, `load failed, handing the message back: ${reason}`);
      await this.queue.release(msg, delay).catch((e: Error) => this.log.warn({ messageId: msg.id, err: e.message }, 'could not hand the message back; it reappears when its visibility expires'));
      this.emit({ outcome: 'failed', messageId: msg.id, base: window.base, reason });
    } finally {
      clearInterval(extender);
    }
  }

  private async deadLetter(msg: QueueMessage, reason: string, base?: string): Promise<void> {
    try {
      if (await this.queue.deadLetter(msg, reason)) {
        this.metrics.windows.inc({ outcome: 'dead_lettered' });
        this.log.error({ messageId: msg.id, base, deadLetterQueue: this.queue.deadLetterUrl, reason }, `message moved to the dead-letter queue: ${reason}`);
        this.emit({ outcome: 'dead_lettered', messageId: msg.id, base, reason });
        return;
      }
      this.log.error({ messageId: msg.id, base, reason }, `message cannot be loaded and there is no dead-letter queue, leaving it on the queue: ${reason}`);
      await this.queue.release(msg, this.cfg.sqs.retryDelaySeconds);
    } catch (err) {
      this.log.error({ messageId: msg.id, reason, err: (err as Error).message }, `could not dead-letter the message (${reason}): ${(err as Error).message}`);
    }
    this.emit({ outcome: 'failed', messageId: msg.id, base, reason });
  }
}
