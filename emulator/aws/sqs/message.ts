import type { HeapSlot } from './heap';
import type { MessageAttributeValue } from './md5';

/** ready = can be received now; delayed = DelaySeconds not over; inflight = received, visibility timeout running. */
export type MessageState = 'ready' | 'delayed' | 'inflight';

/** Everything about a message that is persisted (journal records carry exactly this). */
export interface MessageData {
  id: string;
  body: string;
  md5OfBody: string;
  attributes?: Record<string, MessageAttributeValue>;
  md5OfAttributes?: string;
  /** The AWSTraceHeader system attribute. */
  traceHeader?: string;
  sentAt: number;
  senderId: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** Start of the retention clock (the send time; reset when moved to a FIFO dead-letter queue, as AWS does). */
  enqueuedAt: number;
  /** Receives across all queues (ApproximateReceiveCount). */
  receiveCount: number;
  /** Receives in the current queue, compared with its maxReceiveCount (so chained DLQs do not skip a hop). */
  queueReceiveCount: number;
  firstReceiveAt?: number;
  lastReceiveAt?: number;
  /** When a delayed or in-flight message becomes visible (absolute ms, so it survives a restart). */
  visibleAt: number;
  state: MessageState;
  deadLetterSourceArn?: string;
}

/** A message in a queue: its data plus intrusive links into the queue's structures. */
export interface SqsMessage extends MessageData, HeapSlot {
  /** Links in the standard queue's ready list, or in the FIFO message group's list. */
  prev: SqsMessage | undefined;
  next: SqsMessage | undefined;
}

export function newMessage(data: MessageData): SqsMessage {
  return { ...data, prev: undefined, next: undefined, heapIndex: -1 };
}

export function messageData(m: SqsMessage): MessageData {
  const { prev: _p, next: _n, heapIndex: _h, ...data } = m;
  return data;
}

/** Doubly linked list through the messages' own `prev`/`next`: O(1) append, shift and removal from the middle. */
export class MessageList {
  head: SqsMessage | undefined;
  tail: SqsMessage | undefined;
  length = 0;

  push(m: SqsMessage): void {
    m.prev = this.tail;
    m.next = undefined;
    if (this.tail) this.tail.next = m;
    else this.head = m;
    this.tail = m;
    this.length++;
  }

  remove(m: SqsMessage): void {
    if (m.prev) m.prev.next = m.next;
    else this.head = m.next;
    if (m.next) m.next.prev = m.prev;
    else this.tail = m.prev;
    m.prev = m.next = undefined;
    this.length--;
  }
}

/**
 * Receipt handles name the queue incarnation, the message and which receive issued them, so a handle can be
 * checked (wrong queue, stale after a newer receive) without keeping every handle ever issued, and replaying
 * the journal reproduces the same handles.
 */
export function encodeReceiptHandle(incarnation: string, messageId: string, receiveCount: number): string {
  return Buffer.from(`${incarnation}|${messageId}|${receiveCount}`, 'utf8').toString('base64');
}

export interface DecodedReceiptHandle {
  incarnation: string;
  messageId: string;
  receiveCount: number;
}

export function decodeReceiptHandle(handle: string): DecodedReceiptHandle | undefined {
  if (handle.length === 0 || handle.length > 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('|');
  if (parts.length !== 3) return undefined;
  const receiveCount = Number(parts[2]);
  if (!parts[0] || !parts[1] || !Number.isInteger(receiveCount) || receiveCount < 1) return undefined;
  return { incarnation: parts[0], messageId: parts[1], receiveCount };
}
