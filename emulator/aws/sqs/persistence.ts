import type { AttributeMap } from './attributes';
import type { MessageData } from './message';
import { SqsQueue, type DedupEntry, type QueueInit } from './queue';

/** A queue's identity and settings as persisted (CreateQueue, and the head of every snapshot). */
/** A queue as journaled: its creation parameters minus the ARN (derived from name and account on replay). */
export type QueueSnapshot = Omit<QueueInit, 'arn'>;

/**
 * One journaled mutation. Each acknowledged SQS call appends its record before answering; replay applies
 * them in order through the same queue transitions, with the times recorded, so visibility deadlines and
 * receipt handles come back exactly. `message` and `dedup` only appear in compacted snapshots.
 */
export type SqsRecord =
  | { op: 'createQueue'; queue: QueueSnapshot }
  | { op: 'deleteQueue'; name: string }
  | { op: 'setAttributes'; name: string; attributes: AttributeMap; at: number }
  | { op: 'tags'; name: string; tags: Record<string, string> }
  | { op: 'send'; name: string; messages: MessageData[]; dedup?: [key: string, entry: DedupEntry][] }
  | { op: 'receive'; name: string; at: number; until: number; ids: string[] }
  | { op: 'deadLetter'; name: string; to: string; id: string; at: number; sequenceNumber?: string }
  | { op: 'delete'; name: string; ids: string[] }
  | { op: 'visibility'; name: string; at: number; changes: [id: string, until: number][] }
  | { op: 'purge'; name: string; at: number }
  | { op: 'message'; name: string; message: MessageData }
  | { op: 'dedup'; name: string; key: string; entry: DedupEntry };

export function queueSnapshot(q: SqsQueue): QueueSnapshot {
  return {
    name: q.name,
    fifo: q.fifo,
    attributes: q.attributes,
    tags: q.tags,
    createdAt: q.createdAt,
    lastModifiedAt: q.lastModifiedAt,
    incarnation: q.incarnation,
    nextSequence: q.nextSequence,
    lastPurgeAt: q.lastPurgeAt,
  };
}

/** Apply one record to `queues`. Records naming a queue that no longer exists are skipped. */
export function applyRecord(queues: Map<string, SqsQueue>, rec: SqsRecord, arnOf: (name: string) => string): void {
  if (rec.op === 'createQueue') {
    queues.set(rec.queue.name, new SqsQueue({ ...rec.queue, arn: arnOf(rec.queue.name) }));
    return;
  }
  const q = queues.get(rec.name);
  if (!q) return;
  switch (rec.op) {
    case 'deleteQueue':
      q.deleted = true;
      queues.delete(rec.name);
      return;
    case 'setAttributes':
      q.configure(rec.attributes);
      q.lastModifiedAt = rec.at;
      return;
    case 'tags':
      q.tags = rec.tags;
      return;
    case 'send':
      for (const m of rec.messages) {
        q.add(m);
        q.observeSequenceNumber(m.sequenceNumber);
      }
      for (const [key, entry] of rec.dedup ?? []) q.dedup.set(key, entry);
      return;
    case 'message':
      q.add(rec.message);
      q.observeSequenceNumber(rec.message.sequenceNumber);
      return;
    case 'dedup':
      q.dedup.set(rec.key, rec.entry);
      return;
    case 'receive':
      for (const id of rec.ids) {
        const m = q.messages.get(id);
        if (m) q.markReceived(m, rec.at, rec.until);
      }
      return;
    case 'deadLetter': {
      const m = q.messages.get(rec.id);
      const to = queues.get(rec.to);
      if (!m) return;
      q.remove(m);
      to?.acceptDeadLetter(m.data(), rec.at, q.arn, rec.sequenceNumber);
      return;
    }
    case 'delete':
      for (const id of rec.ids) {
        const m = q.messages.get(id);
        if (m) q.remove(m);
      }
      return;
    case 'visibility':
      for (const [id, until] of rec.changes) {
        const m = q.messages.get(id);
        if (m) q.changeVisibility(m, rec.at, until);
      }
      return;
    case 'purge':
      q.purge(rec.at);
      return;
  }
}

/** The whole state as records that replay to it: each queue, then its messages and live dedup ids. */
export function* snapshotRecords(queues: Map<string, SqsQueue>): Generator<SqsRecord> {
  for (const q of queues.values()) yield { op: 'createQueue', queue: queueSnapshot(q) };
  for (const q of queues.values()) {
    for (const m of q.messages.values()) yield { op: 'message', name: q.name, message: m.data() };
    for (const [key, entry] of q.dedup) yield { op: 'dedup', name: q.name, key, entry };
  }
}
