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

/**
 * A message in a queue: its data plus intrusive links into the queue's structures. A class with every
 * field assigned in one order keeps all messages on one hidden class (hot paths stay monomorphic).
 */
export class SqsMessage implements MessageData, HeapSlot {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue> | undefined;
  md5OfAttributes: string | undefined;
  traceHeader: string | undefined;
  sentAt: number;
  senderId: string;
  groupId: string | undefined;
  dedupId: string | undefined;
  sequenceNumber: string | undefined;
  enqueuedAt: number;
  receiveCount: number;
  queueReceiveCount: number;
  firstReceiveAt: number | undefined;
  lastReceiveAt: number | undefined;
  visibleAt: number;
  state: MessageState;
  deadLetterSourceArn: string | undefined;
  /** Links in the standard queue's ready list, or in the FIFO message group's list. */
  prev: SqsMessage | undefined = undefined;
  next: SqsMessage | undefined = undefined;
  heapIndex = -1;

  constructor(d: MessageData) {
    this.id = d.id;
    this.body = d.body;
    this.md5OfBody = d.md5OfBody;
    this.attributes = d.attributes;
    this.md5OfAttributes = d.md5OfAttributes;
    this.traceHeader = d.traceHeader;
    this.sentAt = d.sentAt;
    this.senderId = d.senderId;
    this.groupId = d.groupId;
    this.dedupId = d.dedupId;
    this.sequenceNumber = d.sequenceNumber;
    this.enqueuedAt = d.enqueuedAt;
    this.receiveCount = d.receiveCount;
    this.queueReceiveCount = d.queueReceiveCount;
    this.firstReceiveAt = d.firstReceiveAt;
    this.lastReceiveAt = d.lastReceiveAt;
    this.visibleAt = d.visibleAt;
    this.state = d.state;
    this.deadLetterSourceArn = d.deadLetterSourceArn;
  }

  /** The persisted part (what journal records carry). */
  data(): MessageData {
    return {
      id: this.id,
      body: this.body,
      md5OfBody: this.md5OfBody,
      attributes: this.attributes,
      md5OfAttributes: this.md5OfAttributes,
      traceHeader: this.traceHeader,
      sentAt: this.sentAt,
      senderId: this.senderId,
      groupId: this.groupId,
      dedupId: this.dedupId,
      sequenceNumber: this.sequenceNumber,
      enqueuedAt: this.enqueuedAt,
      receiveCount: this.receiveCount,
      queueReceiveCount: this.queueReceiveCount,
      firstReceiveAt: this.firstReceiveAt,
      lastReceiveAt: this.lastReceiveAt,
      visibleAt: this.visibleAt,
      state: this.state,
      deadLetterSourceArn: this.deadLetterSourceArn,
    };
  }
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
