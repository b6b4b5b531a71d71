import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Journal } from '../journal';
import type { EdgeRequest, JsonService, ServiceContext } from '../types';
import { FIFO_DEFAULTS, STANDARD_DEFAULTS, normalizeAttributes, resolveRequestedAttributes, type AttributeCheckContext, type AttributeMap } from './attributes';
import {
  batchFailure,
  invalidParameterValue,
  invalidValue,
  missingParameter,
  queueDoesNotExist,
  receiptHandleIsInvalid,
  sqsError,
  type BatchFailure,
} from './errors';
import {
  batchEntries,
  optionalInt,
  optionalMap,
  optionalString,
  optionalStringList,
  queueNameFromUrl,
  requiredString,
  validateMessageAttributes,
  validateMessageBody,
  validateQueueName,
  validateToken,
} from './input';
import { waitForWake } from './long-poll';
import { md5OfAttributes, md5OfBody } from './md5';
import { decodeReceiptHandle, type MessageData, type SqsMessage } from './message';
import { applyRecord, snapshotRecords, type QueueSnapshot, type SqsRecord } from './persistence';
import { SqsQueue, type DedupEntry } from './queue';
import { renderMessage, renderQueueAttributes, resolveReceiveSelection, type ReceiveSelection } from './render';

export interface SqsOptions {
  /** FIFO deduplication interval; AWS's is 5 minutes. Tests shorten it. */
  deduplicationWindowMs?: number;
  /** After a PurgeQueue, another on the same queue fails with PurgeQueueInProgress for this long (AWS: 60 s). */
  purgeCooldownMs?: number;
  /** Clock override (tests); default the edge's `ctx.now()`. */
  now?: () => number;
  /** How often expired messages and dedup ids are swept (default 1 s). */
  sweepIntervalMs?: number;
}

/** AWS's in-flight limits: past them a standard queue answers OverLimit and a FIFO queue returns nothing. */
const MAX_INFLIGHT_STANDARD = 120_000;
const MAX_INFLIGHT_FIFO = 20_000;
/** SendMessageBatch's total payload limit (the same as one message's). */
const MAX_BATCH_BYTES = 1_048_576;
const MAX_VISIBILITY_MS = 43_200_000;
/** How long a FIFO ReceiveRequestAttemptId can be retried. */
const RECEIVE_ATTEMPT_MS = 5 * 60_000;

type Input = Record<string, unknown>;

/** A validated message ready to enqueue, or the earlier message a FIFO dedup id points to. */
interface PreparedSend {
  response: Record<string, string | undefined>;
  data?: MessageData;
  dedup?: [key: string, entry: DedupEntry];
}

/**
 * SQS over the AWS JSON 1.0 protocol, as `@aws-sdk/client-sqs` speaks it. Queues live in memory
 * (`SqsQueue`); with a data dir every acknowledged mutation is journaled before the answer and replayed at
 * start, and the journal is compacted from a snapshot at start, on close and when it outgrows the state.
 */
export class SqsService implements JsonService {
  readonly name = 'sqs' as const;
  private readonly queues = new Map<string, SqsQueue>();
  private readonly journal: Journal<SqsRecord> | null;
  private readonly now: () => number;
  private readonly dedupWindowMs: number;
  private readonly purgeCooldownMs: number;
  private readonly sweepTimer: NodeJS.Timeout;
  private journalLines = 0;
  private compactAt = 50_000;
  private closed = false;

  constructor(
    private readonly ctx: ServiceContext,
    opts: SqsOptions = {},
  ) {
    this.now = opts.now ?? (() => ctx.now());
    this.dedupWindowMs = opts.deduplicationWindowMs ?? 5 * 60_000;
    this.purgeCooldownMs = opts.purgeCooldownMs ?? 60_000;
    this.journal = ctx.journal<SqsRecord>('sqs');
    if (this.journal) {
      for (const rec of this.journal.read()) applyRecord(this.queues, rec, (n) => this.arnOf(n));
      this.compact();
    }
    this.sweepTimer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 1000);
    this.sweepTimer.unref();
  }

  handle(operation: string, input: Input, req: EdgeRequest): unknown {
    switch (operation) {
      case 'SendMessage':
        return this.sendMessage(input, req);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input, req);
      case 'ReceiveMessage':
        return this.receiveMessage(input, req);
      case 'DeleteMessage':
        return this.deleteMessage(input);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      case 'ChangeMessageVisibilityBatch':
        return this.changeMessageVisibilityBatch(input);
      case 'CreateQueue':
        return this.createQueue(input);
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'ListQueues':
        return this.listQueues(input);
      case 'DeleteQueue':
        return this.deleteQueue(input);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'SetQueueAttributes':
        return this.setQueueAttributes(input);
      case 'PurgeQueue':
        return this.purgeQueue(input);
      case 'TagQueue':
        return this.tagQueue(input);
      case 'UntagQueue':
        return this.untagQueue(input);
      case 'ListQueueTags':
        return this.listQueueTags(input);
      case 'ListDeadLetterSourceQueues':
        return this.listDeadLetterSourceQueues(input);
      case 'AddPermission':
      case 'RemovePermission':
        // No IAM here: permissions are accepted and have no effect.
        this.resolve(input);
        return {};
      case 'StartMessageMoveTask':
      case 'CancelMessageMoveTask':
      case 'ListMessageMoveTasks':
        throw sqsError('UnsupportedOperation', `${operation} is not supported by the Furrow emulator.`);
      default:
        throw sqsError('UnknownOperationException', `Unknown operation ${operation}.`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const q of this.queues.values()) q.wake(); // long polls see `closed` and return
    if (this.journal) this.compact();
  }

  // ---- queues ------------------------------------------------------------------------------------

  private createQueue(input: Input) {
    const name = requiredString(input, 'QueueName');
    const raw = optionalMap(input, 'Attributes') ?? {};
    const fifo = typeof raw.FifoQueue === 'string' && raw.FifoQueue.toLowerCase() === 'true';
    validateQueueName(name, fifo);
    const given = normalizeAttributes(raw, this.attributeContext(fifo, true));
    if (!fifo) delete given.FifoQueue; // AWS does not report FifoQueue for standard queues
    const tags = validateTags(optionalMap(input, 'tags') ?? {});
    const existing = this.queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(given))
        if ((existing.attributes[k] ?? '') !== v)
          throw sqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${k}`);
      return { QueueUrl: this.urlOf(name) };
    }
    const now = this.now();
    const snapshot: QueueSnapshot = {
      name,
      fifo,
      attributes: withoutEmpty({ ...(fifo ? FIFO_DEFAULTS : STANDARD_DEFAULTS), ...given }),
      tags,
      createdAt: now,
      lastModifiedAt: now,
      incarnation: randomBytes(6).toString('hex'),
    };
    this.append([{ op: 'createQueue', queue: snapshot }]);
    this.queues.set(name, new SqsQueue({ ...snapshot, arn: this.arnOf(name) }));
    return { QueueUrl: this.urlOf(name) };
  }

  private getQueueUrl(input: Input) {
    const name = requiredString(input, 'QueueName');
    optionalString(input, 'QueueOwnerAWSAccountId');
    if (!this.queues.has(name)) throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(name) };
  }

  private listQueues(input: Input) {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const max = optionalInt(input, 'MaxResults', 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
    const token = optionalString(input, 'NextToken');
    const names = [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
    return this.page(names, max, token, 'QueueUrls');
  }

  private deleteQueue(input: Input) {
    const q = this.resolve(input);
    this.append([{ op: 'deleteQueue', name: q.name }]);
    q.deleted = true;
    this.queues.delete(q.name);
    q.wake();
    return {};
  }

  private getQueueAttributes(input: Input) {
    const q = this.resolve(input);
    const names = resolveRequestedAttributes(input.AttributeNames);
    if (names.length === 0) return {};
    q.promote(this.now());
    const attributes = renderQueueAttributes(q, names);
    return Object.keys(attributes).length ? { Attributes: attributes } : {};
  }

  private setQueueAttributes(input: Input) {
    const q = this.resolve(input);
    if (input.Attributes === undefined) throw missingParameter('Attributes');
    const given = normalizeAttributes(input.Attributes, this.attributeContext(q.fifo, false));
    const attributes = withoutEmpty({ ...q.attributes, ...given });
    const now = this.now();
    this.append([{ op: 'setAttributes', name: q.name, attributes, at: now }]);
    q.configure(attributes);
    q.lastModifiedAt = now;
    return {};
  }

  private purgeQueue(input: Input) {
    const q = this.resolve(input);
    const now = this.now();
    if (q.lastPurgeAt !== undefined && now - q.lastPurgeAt < this.purgeCooldownMs)
      throw sqsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    this.append([{ op: 'purge', name: q.name, at: now }]);
    q.purge(now);
    return {};
  }

  private tagQueue(input: Input) {
    const q = this.resolve(input);
    const tags = { ...q.tags, ...validateTags(optionalMap(input, 'Tags') ?? {}) };
    if (Object.keys(tags).length > 50) throw invalidParameterValue('Too many tags added for queue. The limit is 50.');
    this.append([{ op: 'tags', name: q.name, tags }]);
    q.tags = tags;
    return {};
  }

  private untagQueue(input: Input) {
    const q = this.resolve(input);
    const keys = optionalStringList(input, 'TagKeys') ?? [];
    const tags = { ...q.tags };
    for (const k of keys) delete tags[k];
    this.append([{ op: 'tags', name: q.name, tags }]);
    q.tags = tags;
    return {};
  }

  private listQueueTags(input: Input) {
    const q = this.resolve(input);
    return Object.keys(q.tags).length ? { Tags: q.tags } : {};
  }

  private listDeadLetterSourceQueues(input: Input) {
    const q = this.resolve(input);
    const max = optionalInt(input, 'MaxResults', 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
    const token = optionalString(input, 'NextToken');
    const names = [...this.queues.values()]
      .filter((s) => s.redrive?.deadLetterTargetArn === q.arn)
      .map((s) => s.name)
      .sort();
    return this.page(names, max, token, 'queueUrls');
  }

  // ---- sending -----------------------------------------------------------------------------------

  private sendMessage(input: Input, req: EdgeRequest) {
    const q = this.resolve(input);
    const prepared = this.prepareSend(q, input, this.now(), senderIdOf(req, this.ctx.accountId));
    if (prepared.data) this.enqueue(q, [prepared]);
    return prepared.response;
  }

  private sendMessageBatch(input: Input, req: EdgeRequest) {
    const q = this.resolve(input);
    const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
    let total = 0;
    for (const e of entries) {
      if (typeof e.MessageBody === 'string') total += Buffer.byteLength(e.MessageBody);
      const attrs = validateMessageAttributesSafe(e.MessageAttributes);
      total += attrs;
    }
    if (total > MAX_BATCH_BYTES)
      throw sqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`);
    const now = this.now();
    const sender = senderIdOf(req, this.ctx.accountId);
    const Successful: Record<string, string | undefined>[] = [];
    const Failed: BatchFailure[] = [];
    const accepted: PreparedSend[] = [];
    for (const e of entries) {
      const id = e.Id as string;
      try {
        const prepared = this.prepareSend(q, e, now, sender);
        if (prepared.data) accepted.push(prepared);
        Successful.push({ Id: id, ...prepared.response });
      } catch (err) {
        Failed.push(batchFailure(id, err));
      }
    }
    this.enqueue(q, accepted);
    return { Successful, Failed };
  }

  /** Validate one message (SendMessage input or a batch entry) and build what enqueueing it needs. */
  private prepareSend(q: SqsQueue, e: Input, now: number, senderId: string): PreparedSend {
    const body = requiredString(e, 'MessageBody');
    validateMessageBody(body);
    const delay = optionalInt(e, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
    if (q.fifo && delay) throw invalidValue('DelaySeconds', delay, 'The request include parameter that is not valid for this queue type.');
    const attrs = validateMessageAttributes(e.MessageAttributes);
    const system = validateMessageAttributes(e.MessageSystemAttributes, true);
    const size = Buffer.byteLength(body) + (attrs?.size ?? 0);
    if (size > q.maximumMessageSize)
      throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${q.maximumMessageSize} bytes.`);
    const groupId = optionalString(e, 'MessageGroupId');
    let dedupId = optionalString(e, 'MessageDeduplicationId');
    if (groupId !== undefined) validateToken('MessageGroupId', groupId);
    if (dedupId !== undefined) validateToken('MessageDeduplicationId', dedupId);
    const md5 = md5OfBody(body);
    const response: Record<string, string | undefined> = {
      MD5OfMessageBody: md5,
      MD5OfMessageAttributes: attrs ? md5OfAttributes(attrs.attributes) : undefined,
      MD5OfMessageSystemAttributes: system ? md5OfAttributes(system.attributes) : undefined,
    };
    let dedup: PreparedSend['dedup'];
    if (q.fifo) {
      if (groupId === undefined) throw missingParameter('MessageGroupId');
      if (dedupId === undefined) {
        if (!q.contentBasedDeduplication)
          throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        dedupId = createHash('sha256').update(body, 'utf8').digest('hex');
      }
      const key = q.dedupPerGroup ? `${groupId}\n${dedupId}` : dedupId;
      const seen = q.dedup.get(key);
      if (seen && seen.expiresAt > now) {
        // Accepted, not delivered again: AWS answers with the first message's id and sequence number.
        response.MessageId = seen.messageId;
        response.SequenceNumber = seen.sequenceNumber;
        return { response };
      }
    } else if (dedupId !== undefined) {
      throw invalidValue('MessageDeduplicationId', dedupId, 'The request include parameter that is not valid for this queue type.');
    }
    const id = randomUUID();
    const sequenceNumber = q.fifo ? q.takeSequenceNumber() : undefined;
    if (q.fifo) {
      const key = q.dedupPerGroup ? `${groupId}\n${dedupId}` : dedupId!;
      dedup = [key, { messageId: id, sequenceNumber: sequenceNumber!, expiresAt: now + this.dedupWindowMs }];
      // Re-insert so the map stays in expiry order for the sweep; later batch entries see it at once.
      q.dedup.delete(key);
      q.dedup.set(key, dedup[1]);
    }
    const delayMs = delay !== undefined ? delay * 1000 : q.delayMs;
    response.MessageId = id;
    response.SequenceNumber = sequenceNumber;
    const data: MessageData = {
      id,
      body,
      md5OfBody: md5,
      attributes: attrs?.attributes,
      md5OfAttributes: response.MD5OfMessageAttributes,
      traceHeader: system?.attributes.AWSTraceHeader?.StringValue,
      sentAt: now,
      senderId,
      groupId,
      dedupId,
      sequenceNumber,
      enqueuedAt: now,
      receiveCount: 0,
      queueReceiveCount: 0,
      visibleAt: now + delayMs,
      state: delayMs > 0 ? 'delayed' : 'ready',
    };
    return { response, data, dedup };
  }

  private enqueue(q: SqsQueue, prepared: PreparedSend[]): void {
    if (prepared.length === 0) return;
    if (this.journal) {
      const dedup = prepared.flatMap((p) => (p.dedup ? [p.dedup] : []));
      this.append([{ op: 'send', name: q.name, messages: prepared.map((p) => p.data!), ...(dedup.length ? { dedup } : {}) }]);
    }
    for (const p of prepared) q.add(p.data!);
  }

  // ---- receiving ---------------------------------------------------------------------------------

  private receiveMessage(input: Input, req: EdgeRequest): unknown {
    const q = this.resolve(input);
    const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
    const visibility = optionalInt(input, 'VisibilityTimeout', 0, 43_200);
    const wait = optionalInt(input, 'WaitTimeSeconds', 0, 20) ?? q.receiveWaitSeconds;
    const attemptId = optionalString(input, 'ReceiveRequestAttemptId');
    if (attemptId !== undefined) validateToken('ReceiveRequestAttemptId', attemptId);
    const selection = resolveReceiveSelection(
      optionalStringList(input, 'AttributeNames'),
      optionalStringList(input, 'MessageSystemAttributeNames'),
      optionalStringList(input, 'MessageAttributeNames'),
    );
    if (q.fifo && attemptId !== undefined) {
      const retried = this.retryReceiveAttempt(q, attemptId, visibility, selection);
      if (retried) return retried;
    }
    const first = this.receiveNow(q, max, visibility, selection, attemptId);
    if (first || wait === 0) return first ?? {};
    return this.longPoll(q, max, visibility, selection, this.now() + wait * 1000, req.signal, attemptId);
  }

  /**
   * A FIFO retry with a ReceiveRequestAttemptId seen in the last 5 minutes gets the same messages and
   * receipt handles again, with the visibility timeout restarted, as long as none of them was deleted or
   * had its visibility changed since; otherwise it is an ordinary receive.
   */
  private retryReceiveAttempt(q: SqsQueue, attemptId: string, visibility: number | undefined, selection: ReceiveSelection) {
    const now = this.now();
    const prior = q.receiveAttempts.get(attemptId);
    if (!prior || prior.expiresAt <= now) return undefined;
    q.promote(now);
    const messages: SqsMessage[] = [];
    for (const p of prior.messages) {
      const m = q.messages.get(p.id);
      if (!m || m.state !== 'inflight' || m.receiveCount !== p.receiveCount || m.visibleAt !== p.visibleAt) return undefined;
      messages.push(m);
    }
    const until = now + (visibility !== undefined ? visibility * 1000 : q.visibilityTimeoutMs);
    this.applyVisibility(q, now, messages.map((m) => [m, until]));
    for (const p of prior.messages) p.visibleAt = until;
    return { Messages: messages.map((m) => renderMessage(q, m, selection)) };
  }

  /** Wait for messages until `deadline`, the client leaving, the queue's deletion or the service closing. */
  private async longPoll(
    q: SqsQueue,
    max: number,
    visibility: number | undefined,
    selection: ReceiveSelection,
    deadline: number,
    signal: AbortSignal,
    attemptId: string | undefined,
  ) {
    while (true) {
      const now = this.now();
      if (now >= deadline) return {};
      const next = q.nextDeadline();
      await waitForWake(q, Math.min(deadline, next ?? Infinity) - now, signal);
      if (signal.aborted || q.deleted || this.closed) return {};
      const got = this.receiveNow(q, max, visibility, selection, attemptId);
      if (got) return got;
    }
  }

  /** One receive attempt: the response, or undefined when nothing was receivable. */
  private receiveNow(q: SqsQueue, max: number, visibility: number | undefined, selection: ReceiveSelection, attemptId?: string) {
    if (q.inflightCount >= (q.fifo ? MAX_INFLIGHT_FIFO : MAX_INFLIGHT_STANDARD)) {
      if (q.fifo) return undefined;
      throw sqsError('OverLimit', `Too many messages in flight: the limit is ${MAX_INFLIGHT_STANDARD}.`);
    }
    const now = this.now();
    const until = now + (visibility !== undefined ? visibility * 1000 : q.visibilityTimeoutMs);
    const dlq = q.redrive ? this.queueByArn(q.redrive.deadLetterTargetArn) : undefined;
    const { received, moved } = q.receive(now, max, until, dlq);
    if (this.journal && (received.length || moved.length)) {
      const recs: SqsRecord[] = moved.map(({ message, to }) => ({
        op: 'deadLetter' as const,
        name: q.name,
        to: to.name,
        id: message.id,
        at: now,
        sequenceNumber: message.sequenceNumber,
      }));
      if (received.length) recs.push({ op: 'receive', name: q.name, at: now, until, ids: received.map((m) => m.id) });
      this.append(recs);
    }
    if (received.length === 0) return undefined;
    if (q.fifo && attemptId !== undefined) {
      q.receiveAttempts.delete(attemptId);
      q.receiveAttempts.set(attemptId, {
        messages: received.map((m) => ({ id: m.id, receiveCount: m.receiveCount, visibleAt: m.visibleAt })),
        expiresAt: now + RECEIVE_ATTEMPT_MS,
      });
    }
    return { Messages: received.map((m) => renderMessage(q, m, selection)) };
  }

  // ---- acknowledging -----------------------------------------------------------------------------

  private deleteMessage(input: Input) {
    const q = this.resolve(input);
    const m = this.messageToDelete(q, requiredString(input, 'ReceiptHandle'), this.now());
    if (m) this.removeMessages(q, [m]);
    return {};
  }

  private deleteMessageBatch(input: Input) {
    const q = this.resolve(input);
    const entries = batchEntries(input, 'DeleteMessageBatchRequestEntry');
    const now = this.now();
    const Successful: { Id: string }[] = [];
    const Failed: BatchFailure[] = [];
    const doomed: SqsMessage[] = [];
    for (const e of entries) {
      const id = e.Id as string;
      try {
        const m = this.messageToDelete(q, requiredString(e, 'ReceiptHandle'), now);
        if (m && !doomed.includes(m)) doomed.push(m);
        Successful.push({ Id: id });
      } catch (err) {
        Failed.push(batchFailure(id, err));
      }
    }
    this.removeMessages(q, doomed);
    return { Successful, Failed };
  }

  /**
   * The message a receipt handle deletes; undefined when it is already gone (deleting twice succeeds).
   * Standard queues delete with any handle issued for the message, as AWS usually does; FIFO queues require
   * the latest handle while the message is still in flight.
   */
  private messageToDelete(q: SqsQueue, handle: string, now: number): SqsMessage | undefined {
    const d = decodeReceiptHandle(handle);
    if (!d || d.incarnation !== q.incarnation) throw receiptHandleIsInvalid(handle);
    const m = q.messages.get(d.messageId);
    if (!m) return undefined;
    if (d.receiveCount > m.receiveCount) throw receiptHandleIsInvalid(handle);
    if (q.fifo) {
      q.promote(now);
      if (d.receiveCount !== m.receiveCount || m.state !== 'inflight') throw invalidValue('ReceiptHandle', handle, 'The receipt handle has expired.');
    }
    return m;
  }

  private removeMessages(q: SqsQueue, messages: SqsMessage[]): void {
    if (messages.length === 0) return;
    this.append([{ op: 'delete', name: q.name, ids: messages.map((m) => m.id) }]);
    for (const m of messages) q.remove(m);
  }

  private changeMessageVisibility(input: Input) {
    const q = this.resolve(input);
    const handle = requiredString(input, 'ReceiptHandle');
    if (input.VisibilityTimeout === undefined) throw missingParameter('VisibilityTimeout');
    const timeout = optionalInt(input, 'VisibilityTimeout', 0, 43_200)!;
    const now = this.now();
    const change = this.visibilityChange(q, handle, timeout, now);
    this.applyVisibility(q, now, [change]);
    return {};
  }

  private changeMessageVisibilityBatch(input: Input) {
    const q = this.resolve(input);
    const entries = batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry');
    const now = this.now();
    const Successful: { Id: string }[] = [];
    const Failed: BatchFailure[] = [];
    const changes: [SqsMessage, number][] = [];
    for (const e of entries) {
      const id = e.Id as string;
      try {
        const handle = requiredString(e, 'ReceiptHandle');
        const timeout = optionalInt(e, 'VisibilityTimeout', 0, 43_200) ?? 0;
        changes.push(this.visibilityChange(q, handle, timeout, now));
        Successful.push({ Id: id });
      } catch (err) {
        Failed.push(batchFailure(id, err));
      }
    }
    this.applyVisibility(q, now, changes);
    return { Successful, Failed };
  }

  /** Check that `handle` names the in-flight receive of a message, and compute its new deadline. */
  private visibilityChange(q: SqsQueue, handle: string, timeoutSeconds: number, now: number): [SqsMessage, number] {
    const d = decodeReceiptHandle(handle);
    if (!d || d.incarnation !== q.incarnation) throw receiptHandleIsInvalid(handle);
    q.promote(now);
    const m = q.messages.get(d.messageId);
    if (!m || d.receiveCount > m.receiveCount)
      throw invalidValue('ReceiptHandle', handle, 'Message does not exist or is not available for visibility timeout change.');
    if (m.state !== 'inflight') throw sqsError('MessageNotInflight', 'The message referred to is not in flight.');
    if (d.receiveCount !== m.receiveCount) throw invalidValue('ReceiptHandle', handle, 'The receipt handle has expired.');
    const until = now + timeoutSeconds * 1000;
    if (until - (m.lastReceiveAt ?? now) > MAX_VISIBILITY_MS)
      throw invalidValue('VisibilityTimeout', timeoutSeconds, 'Total VisibilityTimeout for the message is beyond the limit [43200 seconds]');
    return [m, until];
  }

  private applyVisibility(q: SqsQueue, now: number, changes: [SqsMessage, number][]): void {
    if (changes.length === 0) return;
    this.append([{ op: 'visibility', name: q.name, at: now, changes: changes.map(([m, until]) => [m.id, until]) }]);
    for (const [m, until] of changes) q.changeVisibility(m, now, until);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private resolve(input: Input): SqsQueue {
    const url = requiredString(input, 'QueueUrl');
    const q = this.queues.get(queueNameFromUrl(url));
    if (!q) throw queueDoesNotExist();
    return q;
  }

  private queueByArn(arn: string): SqsQueue | undefined {
    const q = this.queues.get(arn.slice(arn.lastIndexOf(':') + 1));
    return q && q.arn === arn ? q : undefined;
  }

  private attributeContext(fifo: boolean, creating: boolean): AttributeCheckContext {
    return { fifo, creating, queueByArn: (arn) => this.queueByArn(arn) };
  }

  private urlOf(name: string): string {
    return `${this.ctx.endpoint()}/${this.ctx.accountId}/${name}`;
  }

  private arnOf(name: string): string {
    return `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`;
  }

  /** One page of queue URLs; NextToken is the last name returned. Without MaxResults: up to 1000, no token. */
  private page(names: string[], max: number | undefined, token: string | undefined, field: string) {
    let start = 0;
    if (token !== undefined) {
      const after = Buffer.from(token, 'base64').toString('utf8');
      if (!after) throw invalidValue('NextToken', token, 'Invalid NextToken value.');
      start = names.findIndex((n) => n > after);
      if (start === -1) start = names.length;
    }
    const limit = max ?? 1000;
    const pageNames = names.slice(start, start + limit);
    const out: Record<string, unknown> = {};
    if (pageNames.length) out[field] = pageNames.map((n) => this.urlOf(n));
    if (max !== undefined && start + limit < names.length) out.NextToken = Buffer.from(pageNames[pageNames.length - 1]!, 'utf8').toString('base64');
    return out;
  }

  private sweep(): void {
    const now = this.now();
    for (const q of this.queues.values()) q.sweep(now);
  }

  private append(records: SqsRecord[]): void {
    if (!this.journal) return;
    this.journal.appendMany(records);
    this.journalLines += records.length;
    if (this.journalLines >= this.compactAt) this.maybeCompact();
  }

  /** Rewrite the journal from a snapshot when most of it describes messages that are long gone. */
  private maybeCompact(): void {
    let live = this.queues.size;
    for (const q of this.queues.values()) live += q.messages.size + q.dedup.size;
    if (this.journalLines > 2 * live + 10_000) this.compact();
    this.compactAt = this.journalLines + Math.max(50_000, live);
  }

  private compact(): void {
    if (!this.journal) return;
    let lines = 0;
    const counted = (function* (it: Iterable<SqsRecord>) {
      for (const r of it) {
        lines++;
        yield r;
      }
    })(snapshotRecords(this.queues));
    this.journal.compact(counted);
    this.journalLines = lines;
  }
}

function withoutEmpty(attrs: AttributeMap): AttributeMap {
  const out: AttributeMap = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== '') out[k] = v;
  return out;
}

function validateTags(raw: Record<string, unknown>): Record<string, string> {
  for (const [k, v] of Object.entries(raw)) {
    if (k.length < 1 || k.length > 128) throw invalidParameterValue(`Tag key ${k} must be 1 to 128 characters long.`);
    if (typeof v !== 'string' || v.length > 256) throw invalidParameterValue(`Tag value for ${k} must be a string of at most 256 characters.`);
  }
  const tags = { ...raw } as Record<string, string>;
  if (Object.keys(tags).length > 50) throw invalidParameterValue('Too many tags added for queue. The limit is 50.');
  return tags;
}

/** Bytes of an entry's message attributes toward the batch limit; malformed ones count 0 (the entry fails later). */
function validateMessageAttributesSafe(raw: unknown): number {
  try {
    return validateMessageAttributes(raw)?.size ?? 0;
  } catch {
    return 0;
  }
}

/** SenderId: the caller's access key id from the SigV4 Authorization header, else the account id. */
function senderIdOf(req: EdgeRequest, accountId: string): string {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const i = auth.indexOf('Credential=');
    if (i !== -1) {
      const end = auth.indexOf('/', i);
      if (end > i + 11) return auth.slice(i + 11, end);
    }
  }
  return accountId;
}
