import { IndexedMinHeap } from './heap';
import { MessageList, SqsMessage, type MessageData } from './message';
import { parseRedrivePolicy, type AttributeMap, type RedrivePolicy } from './attributes';

/** A FIFO message group: its undeleted messages in send order, and how many of them are in flight. */
interface FifoGroup {
  readonly id: string;
  readonly list: MessageList;
  inflight: number;
}

/** What FIFO deduplication remembers about a message it accepted. */
export interface DedupEntry {
  messageId: string;
  sequenceNumber: string;
  expiresAt: number;
}

/** What a FIFO receive with a ReceiveRequestAttemptId returned, so a retry can get the same messages. */
export interface ReceiveAttempt {
  /** The messages, each with the receive count and deadline it had when the attempt answered. */
  messages: { id: string; receiveCount: number; visibleAt: number }[];
  expiresAt: number;
}

export interface QueueInit {
  name: string;
  arn: string;
  fifo: boolean;
  attributes: AttributeMap;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  /** Distinguishes this queue from an earlier one of the same name (receipt handles name it). */
  incarnation: string;
  nextSequence?: string;
  lastPurgeAt?: number;
}

/** Where a message taken from the ready side went. */
export interface ReceiveOutcome {
  received: SqsMessage[];
  /** Messages over maxReceiveCount, handed to the dead-letter queue (with the sequence number the DLQ gave them). */
  moved: { message: SqsMessage; to: SqsQueue }[];
}

const FIRST_SEQUENCE = 10_000_000_000_000_000_000n; // 20 digits, so sequence numbers compare as strings too

/**
 * One queue's messages. Every message is in exactly one place by state:
 * - standard `ready`: the ready list (append on becoming visible, take from the head);
 * - FIFO `ready`: only its group's list; a group with a ready head and nothing in flight sits in `available`;
 * - `delayed` / `inflight`: the deadline heap keyed by `visibleAt` (FIFO messages also stay in their group list).
 * Receives promote due deadlines from the heap first, so nothing scans all messages. All methods take the
 * time explicitly so replaying the journal reproduces the same state.
 */
export class SqsQueue {
  readonly name: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly incarnation: string;
  readonly createdAt: number;
  lastModifiedAt: number;
  attributes: AttributeMap;
  tags: Record<string, string>;
  lastPurgeAt: number | undefined;
  deleted = false;

  // Parsed from `attributes` (see `configure`).
  visibilityTimeoutMs = 30_000;
  delayMs = 0;
  retentionMs = 345_600_000;
  receiveWaitSeconds = 0;
  maximumMessageSize = 1_048_576;
  contentBasedDeduplication = false;
  dedupPerGroup = false;
  redrive: RedrivePolicy | undefined;

  /** Every message by id, in arrival order (the retention sweep walks it from the oldest). */
  readonly messages = new Map<string, SqsMessage>();
  readyCount = 0;
  inflightCount = 0;
  delayedCount = 0;
  /** FIFO deduplication ids seen in the window, in arrival order (so expiry sweeps from the head). */
  readonly dedup = new Map<string, DedupEntry>();
  /** FIFO ReceiveRequestAttemptIds of the last 5 minutes, in arrival order (memory only, best effort). */
  readonly receiveAttempts = new Map<string, ReceiveAttempt>();

  private readonly readyList = new MessageList();
  private readonly groups = new Map<string, FifoGroup>();
  private readonly available = new Set<FifoGroup>();
  private readonly deadlines = new IndexedMinHeap<SqsMessage>((m) => m.visibleAt);
  private sequence: bigint;
  private readonly waiters = new Set<() => void>();

  constructor(init: QueueInit) {
    this.name = init.name;
    this.arn = init.arn;
    this.fifo = init.fifo;
    this.incarnation = init.incarnation;
    this.createdAt = init.createdAt;
    this.lastModifiedAt = init.lastModifiedAt;
    this.tags = { ...init.tags };
    this.lastPurgeAt = init.lastPurgeAt;
    this.sequence = init.nextSequence ? BigInt(init.nextSequence) : FIRST_SEQUENCE;
    this.attributes = {};
    this.configure(init.attributes);
  }

  /** Replace the attribute map and re-derive the parsed settings. */
  configure(attributes: AttributeMap): void {
    this.attributes = attributes;
    const int = (name: string, dflt: number) => (attributes[name] !== undefined ? Number(attributes[name]) : dflt);
    this.visibilityTimeoutMs = int('VisibilityTimeout', 30) * 1000;
    this.delayMs = int('DelaySeconds', 0) * 1000;
    this.retentionMs = int('MessageRetentionPeriod', 345_600) * 1000;
    this.receiveWaitSeconds = int('ReceiveMessageWaitTimeSeconds', 0);
    this.maximumMessageSize = int('MaximumMessageSize', 1_048_576);
    this.contentBasedDeduplication = attributes.ContentBasedDeduplication === 'true';
    this.dedupPerGroup = attributes.DeduplicationScope === 'messageGroup';
    this.redrive = parseRedrivePolicy(attributes.RedrivePolicy);
  }

  get nextSequence(): string {
    return this.sequence.toString();
  }

  takeSequenceNumber(): string {
    const s = this.sequence;
    this.sequence++;
    return s.toString();
  }

  /** Keep the counter past a sequence number seen while replaying. */
  observeSequenceNumber(seq: string | undefined): void {
    if (seq === undefined) return;
    const n = BigInt(seq);
    if (n >= this.sequence) this.sequence = n + 1n;
  }

  // ---- state transitions -------------------------------------------------------------------------

  /** Add a message in the state its data says (a send, a DLQ move, or a replayed snapshot). */
  add(data: MessageData): SqsMessage {
    const m = new SqsMessage(data);
    this.messages.set(m.id, m);
    if (this.fifo) this.group(m.groupId ?? '').list.push(m);
    this.enter(m);
    if (this.fifo) this.refreshGroup(m.groupId ?? '');
    if (m.state === 'ready') this.wake();
    return m;
  }

  /** Mark `m` received at `now`, invisible until `until`. */
  markReceived(m: SqsMessage, now: number, until: number): void {
    this.leave(m);
    m.receiveCount++;
    m.queueReceiveCount++;
    m.firstReceiveAt ??= now;
    m.lastReceiveAt = now;
    m.state = 'inflight';
    m.visibleAt = until;
    this.enter(m);
    if (this.fifo) this.refreshGroup(m.groupId ?? '');
  }

  /** ChangeMessageVisibility: in flight until `until`, or visible at once when `until <= now`. */
  changeVisibility(m: SqsMessage, now: number, until: number): void {
    this.leave(m);
    if (until <= now) {
      m.state = 'ready';
      m.visibleAt = now;
    } else {
      m.state = 'inflight';
      m.visibleAt = until;
    }
    this.enter(m);
    if (this.fifo) this.refreshGroup(m.groupId ?? '');
    if (m.state === 'ready') this.wake();
  }

  remove(m: SqsMessage): void {
    if (this.messages.get(m.id) !== m) return;
    this.leave(m);
    this.messages.delete(m.id);
    if (this.fifo) {
      const g = this.groups.get(m.groupId ?? '');
      if (g) {
        g.list.remove(m);
        this.refreshGroup(g.id);
      }
    }
  }

  purge(now: number): void {
    this.messages.clear();
    this.readyList.head = this.readyList.tail = undefined;
    this.readyList.length = 0;
    this.groups.clear();
    this.available.clear();
    this.deadlines.clear();
    this.readyCount = this.inflightCount = this.delayedCount = 0;
    this.lastPurgeAt = now;
  }

  /** Move due delayed / in-flight messages to the ready side. */
  promote(now: number): void {
    let woke = false;
    for (let m = this.deadlines.peek(); m && m.visibleAt <= now; m = this.deadlines.peek()) {
      this.leave(m);
      m.state = 'ready';
      this.enter(m);
      if (this.fifo) this.refreshGroup(m.groupId ?? '');
      woke = true;
    }
    if (woke) this.wake();
  }

  /** When the next delayed or in-flight message becomes visible, if any. */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.visibleAt;
  }

  /**
   * Take up to `max` messages for a receive at `now`, invisible until `until`. Expired messages are dropped
   * and messages past maxReceiveCount go to `deadLetter` on the way. FIFO: whole runs of one group first,
   * then the next available group; a group with anything in flight is skipped.
   */
  receive(now: number, max: number, until: number, deadLetter: SqsQueue | undefined): ReceiveOutcome {
    this.promote(now);
    const out: ReceiveOutcome = { received: [], moved: [] };
    const take = (m: SqsMessage): void => {
      if (m.enqueuedAt + this.retentionMs <= now) {
        this.remove(m);
      } else if (deadLetter && this.redrive && m.queueReceiveCount >= this.redrive.maxReceiveCount) {
        this.remove(m);
        out.moved.push({ message: deadLetter.acceptDeadLetter(m, now, this.arn), to: deadLetter });
      } else {
        this.markReceived(m, now, until);
        out.received.push(m);
      }
    };
    if (!this.fifo) {
      while (out.received.length < max && this.readyList.head) take(this.readyList.head);
      return out;
    }
    while (out.received.length < max) {
      const g = this.available.values().next().value;
      if (!g) break;
      let m = g.list.head;
      let progressed = false;
      while (m && m.state === 'ready' && out.received.length < max) {
        const next = m.next;
        take(m);
        progressed = true;
        m = next;
      }
      if (!progressed) this.available.delete(g); // defensive: never spin on a group that cannot deliver
    }
    return out;
  }

  /**
   * Take in a message moved from a source queue past its maxReceiveCount. It keeps its id, body and
   * cumulative receive count; its per-queue count restarts. FIFO DLQs give it a new sequence number and
   * restart its retention clock (AWS resets the enqueue timestamp there).
   */
  acceptDeadLetter(source: MessageData, now: number, sourceArn: string, sequenceNumber?: string): SqsMessage {
    const seq = this.fifo ? (sequenceNumber ?? this.takeSequenceNumber()) : undefined;
    if (seq) this.observeSequenceNumber(seq);
    return this.add({
      ...source,
      sequenceNumber: seq,
      enqueuedAt: this.fifo ? now : source.enqueuedAt,
      queueReceiveCount: 0,
      state: 'ready',
      visibleAt: now,
      deadLetterSourceArn: sourceArn,
    });
  }

  /** Drop messages past the retention period and dedup ids past their window. Walks only from the oldest. */
  sweep(now: number): void {
    for (const m of this.messages.values()) {
      if (m.enqueuedAt + this.retentionMs > now) break;
      this.remove(m);
    }
    for (const [key, e] of this.dedup) {
      if (e.expiresAt > now) break;
      this.dedup.delete(key);
    }
    for (const [key, a] of this.receiveAttempts) {
      if (a.expiresAt > now) break;
      this.receiveAttempts.delete(key);
    }
  }

  // ---- long polling ------------------------------------------------------------------------------

  addWaiter(wake: () => void): void {
    this.waiters.add(wake);
  }

  removeWaiter(wake: () => void): void {
    this.waiters.delete(wake);
  }

  /** Wake every long poll on this queue (a message may have become receivable, or the queue went away). */
  wake(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  // ---- internals ---------------------------------------------------------------------------------

  private group(id: string): FifoGroup {
    let g = this.groups.get(id);
    if (!g) {
      g = { id, list: new MessageList(), inflight: 0 };
      this.groups.set(id, g);
    }
    return g;
  }

  /** A FIFO group can deliver when nothing of it is in flight and its oldest message is visible. */
  private refreshGroup(id: string): void {
    const g = this.groups.get(id);
    if (!g) return;
    if (g.list.length === 0 && g.inflight === 0) {
      this.groups.delete(id);
      this.available.delete(g);
      return;
    }
    const canDeliver = g.inflight === 0 && g.list.head?.state === 'ready';
    if (canDeliver) {
      if (!this.available.has(g)) {
        this.available.add(g);
        this.wake();
      }
    } else this.available.delete(g);
  }

  private enter(m: SqsMessage): void {
    switch (m.state) {
      case 'ready':
        this.readyCount++;
        if (!this.fifo) this.readyList.push(m);
        break;
      case 'delayed':
        this.delayedCount++;
        this.deadlines.push(m);
        break;
      case 'inflight':
        this.inflightCount++;
        this.deadlines.push(m);
        if (this.fifo) this.group(m.groupId ?? '').inflight++;
        break;
    }
  }

  private leave(m: SqsMessage): void {
    switch (m.state) {
      case 'ready':
        this.readyCount--;
        if (!this.fifo) this.readyList.remove(m);
        break;
      case 'delayed':
        this.delayedCount--;
        this.deadlines.remove(m);
        break;
      case 'inflight':
        this.inflightCount--;
        this.deadlines.remove(m);
        if (this.fifo) this.group(m.groupId ?? '').inflight--;
        break;
    }
  }
}
