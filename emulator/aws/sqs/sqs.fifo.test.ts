import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, sqsClient } from '../../../pipeline/streams/aws-clients';

const DEDUP_WINDOW_MS = 1000;
let emu: RunningEmulator;
let sqs: SQSClient;
let n = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fifoQueue(base: string, Attributes: Record<string, string> = {}): Promise<string> {
  const QueueName = `${base}-${++n}.fifo`;
  return (await sqs.send(new CreateQueueCommand({ QueueName, Attributes: { FifoQueue: 'true', ...Attributes } }))).QueueUrl!;
}

async function receive(QueueUrl: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}): Promise<Message[]> {
  return (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, ...extra }))).Messages ?? [];
}

async function send(QueueUrl: string, MessageBody: string, MessageGroupId: string, MessageDeduplicationId = MessageBody) {
  return sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, MessageGroupId, MessageDeduplicationId }));
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, sqs: { deduplicationWindowMs: DEDUP_WINDOW_MS } });
  sqs = sqsClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
});

afterAll(async () => {
  sqs.destroy();
  await emu.stop();
});

describe('SQS FIFO queues', () => {
  it('reports FIFO attributes', async () => {
    const url = await fifoQueue('attrs', { ContentBasedDeduplication: 'true' });
    const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
    expect(attrs).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true', DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: 'false' } }));
    await expect(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'false' } }))).rejects.toMatchObject({
      name: 'InvalidAttributeValue',
    });
  });

  it('delivers a group in order and holds the group while a message of it is in flight', async () => {
    const url = await fifoQueue('order');
    for (const body of ['a1', 'a2', 'a3']) await send(url, body, 'A');
    await send(url, 'b1', 'B');
    const first = await receive(url, { MaxNumberOfMessages: 1 });
    expect(first.map((m) => m.Body)).toEqual(['a1']);
    // Group A is locked by a1: only B can be delivered.
    const second = await receive(url);
    expect(second.map((m) => m.Body)).toEqual(['b1']);
    expect(await receive(url)).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]!.ReceiptHandle }));
    expect((await receive(url)).map((m) => m.Body)).toEqual(['a2', 'a3']);
  });

  it('redelivers the head of a group first after its visibility timeout, keeping order', async () => {
    const url = await fifoQueue('redeliver', { VisibilityTimeout: '1' });
    await send(url, 'x1', 'G');
    await send(url, 'x2', 'G');
    const [m1] = await receive(url, { MaxNumberOfMessages: 1 });
    expect(m1!.Body).toBe('x1');
    await sleep(1100);
    // The expired handle cannot delete any more: FIFO receipt handles are only good while in flight.
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m1!.ReceiptHandle }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const again = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(again.map((m) => [m.Body, m.Attributes!.ApproximateReceiveCount])).toEqual([
      ['x1', '2'],
      ['x2', '1'],
    ]);
  });

  it('deduplicates by MessageDeduplicationId within the window, then accepts again', async () => {
    const url = await fifoQueue('dedup');
    const a = await send(url, 'first', 'G', 'same-id');
    const b = await send(url, 'second', 'G', 'same-id');
    expect(b.MessageId).toBe(a.MessageId);
    expect(b.SequenceNumber).toBe(a.SequenceNumber);
    const got = await receive(url);
    expect(got.map((m) => m.Body)).toEqual(['first']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));
    // Still inside the window even though the first copy was deleted.
    expect((await send(url, 'third', 'G', 'same-id')).MessageId).toBe(a.MessageId);
    await sleep(DEDUP_WINDOW_MS + 100);
    const c = await send(url, 'fourth', 'G', 'same-id');
    expect(c.MessageId).not.toBe(a.MessageId);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['fourth']);
  });

  it('deduplicates on the SHA-256 of the body with ContentBasedDeduplication, an explicit id overriding it', async () => {
    const url = await fifoQueue('content', { ContentBasedDeduplication: 'true' });
    const a = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same body', MessageGroupId: 'G' }));
    const b = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same body', MessageGroupId: 'H' }));
    expect(b.MessageId).toBe(a.MessageId);
    const c = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same body', MessageGroupId: 'G', MessageDeduplicationId: 'explicit' }));
    expect(c.MessageId).not.toBe(a.MessageId);
    const got = await receive(url, { MessageSystemAttributeNames: ['MessageDeduplicationId'] });
    expect(got).toHaveLength(2);
    expect(got[0]!.Attributes!.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(got[1]!.Attributes!.MessageDeduplicationId).toBe('explicit');
  });

  it('scopes deduplication to the message group with DeduplicationScope=messageGroup', async () => {
    const url = await fifoQueue('scope', { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const a = await send(url, 'one', 'G', 'id');
    const b = await send(url, 'two', 'H', 'id');
    expect(b.MessageId).not.toBe(a.MessageId);
    expect((await send(url, 'three', 'G', 'id')).MessageId).toBe(a.MessageId);
  });

  it('gives increasing sequence numbers and reports group, dedup id and sequence number on receive', async () => {
    const url = await fifoQueue('seq');
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [0, 1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: `m${i}`, MessageGroupId: 'G', MessageDeduplicationId: `d${i % 3}` })),
      }),
    );
    // e3 repeats e0's dedup id inside the same batch: accepted, not enqueued again.
    const seqs = out.Successful!.map((s) => BigInt(s.SequenceNumber!));
    expect(seqs[1]! > seqs[0]! && seqs[2]! > seqs[1]!).toBe(true);
    expect(out.Successful![3]!.MessageId).toBe(out.Successful![0]!.MessageId);
    const got = await receive(url, { MessageSystemAttributeNames: ['All'] });
    expect(got.map((m) => m.Body)).toEqual(['m0', 'm1', 'm2']);
    expect(got.map((m) => m.Attributes!.SequenceNumber)).toEqual(out.Successful!.slice(0, 3).map((s) => s.SequenceNumber));
    expect(got[1]!.Attributes).toMatchObject({ MessageGroupId: 'G', MessageDeduplicationId: 'd1' });
  });

  it('requires MessageGroupId and a dedup id, and refuses per-message delays', async () => {
    const url = await fifoQueue('rules');
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }))).rejects.toMatchObject({
      name: 'MissingParameter',
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'G' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'G', MessageDeduplicationId: 'd', DelaySeconds: 5 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('only accepts a FIFO dead-letter queue, and moves a poison message there keeping its group', async () => {
    const std = (await sqs.send(new CreateQueueCommand({ QueueName: `std-${++n}` }))).QueueUrl!;
    const stdArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: std, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await expect(fifoQueue('bad-dlq', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: stdArn, maxReceiveCount: 1 }) })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const dlq = await fifoQueue('dlq');
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const src = await fifoQueue('src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    await send(src, 'poison', 'P');
    await send(src, 'next', 'P');
    const [first] = await receive(src, { MaxNumberOfMessages: 1 });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: src, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 }));
    // The poison message is over maxReceiveCount: it moves, and the rest of its group flows on.
    expect((await receive(src)).map((m) => m.Body)).toEqual(['next']);
    const dead = await receive(dlq, { MessageSystemAttributeNames: ['MessageGroupId'] });
    expect(dead.map((m) => [m.Body, m.Attributes!.MessageGroupId])).toEqual([['poison', 'P']]);
  });

  it('answers a retried ReceiveRequestAttemptId with the same messages and handles until one is modified', async () => {
    const url = await fifoQueue('attempt');
    await send(url, 'r1', 'G');
    await send(url, 'r2', 'H');
    const first = await receive(url, { ReceiveRequestAttemptId: 'try-1' });
    expect(first.map((m) => m.Body)).toEqual(['r1', 'r2']);
    const retry = await receive(url, { ReceiveRequestAttemptId: 'try-1' });
    expect(retry.map((m) => m.ReceiptHandle)).toEqual(first.map((m) => m.ReceiptHandle));
    expect(await receive(url, { ReceiveRequestAttemptId: 'try-2' })).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]!.ReceiptHandle }));
    // One of them was deleted: the same attempt id is now an ordinary receive (H is still in flight).
    expect(await receive(url, { ReceiveRequestAttemptId: 'try-1' })).toEqual([]);
  });

  it('wakes a long poll when deleting a message unlocks its group', async () => {
    const url = await fifoQueue('lp');
    await send(url, 'g1', 'G');
    await send(url, 'g2', 'G');
    const [m1] = await receive(url, { MaxNumberOfMessages: 1 });
    const t0 = Date.now();
    const polling = receive(url, { WaitTimeSeconds: 10 });
    await sleep(200);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m1!.ReceiptHandle }));
    expect((await polling).map((m) => m.Body)).toEqual(['g2']);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
