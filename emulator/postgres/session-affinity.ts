/**
 * pglite-socket runs every connection on PGlite's single session and, outside an explicit transaction,
 * interleaves connections message by message. The extended protocol (Parse, Bind, Describe, Execute …
 * Sync) keeps state in the session between those messages (the unnamed statement and portal, the
 * implicit transaction), so two connections interleaving them bind one's parameters to the other's
 * statement, or run one's query inside the other's transaction. This replaces the socket server's queue
 * policy: a connection that has started an extended-protocol exchange (or holds a transaction open)
 * keeps the session until its Sync (or its transaction ends); the others wait. A connection that goes
 * away mid-exchange gets a Sync sent on its behalf so the session is left clean.
 */
import type { PGlite } from '@electric-sql/pglite';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

/** The shape of pglite-socket's QueryQueueManager that this relies on (checked at install time). */
interface SocketQueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

const code = (c: string) => c.charCodeAt(0);
/** Frontend messages that leave extended-protocol state in the session until the next Sync. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map(code));
const SYNC = code('S');
const SIMPLE_QUERY = code('Q');
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

export function installSessionAffinity(server: unknown): void {
  const q = (server as { queryQueue?: SocketQueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function' || typeof q.clearTransactionIfNeeded !== 'function')
    throw new Error('pglite-socket changed: its query queue is not the expected shape (emulator/postgres/session-affinity.ts)');
  /** The connection in the middle of an extended-protocol exchange, if any. */
  let midExchange: number | null = null;

  q.processQueue = async function processQueue(): Promise<void> {
    if (q.processing || q.queue.length === 0) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const owner = midExchange ?? (q.db.isInTransaction() ? q.lastHandlerId : null);
        let index = 0;
        if (owner !== null) {
          index = q.queue.findIndex((m) => m.handlerId === owner);
          // The owner's next message is not here yet: wait for it (its enqueue runs this again).
          if (index === -1) break;
        }
        const item = q.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await q.db.runExclusive(() =>
            q.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        }
        const type = item.message[0]!;
        if (EXTENDED.has(type)) midExchange = item.handlerId;
        else if ((type === SYNC || type === SIMPLE_QUERY) && midExchange === item.handlerId) midExchange = null;
        q.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };

  const clearTransaction = q.clearTransactionIfNeeded.bind(q);
  q.clearTransactionIfNeeded = async function clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (midExchange === handlerId) {
      midExchange = null;
      await q.db.runExclusive(() => q.db.execProtocolRaw(SYNC_MESSAGE)).catch(() => {});
    }
    await clearTransaction(handlerId);
    await q.processQueue();
  };
}
