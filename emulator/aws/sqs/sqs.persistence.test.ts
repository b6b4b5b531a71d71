import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, sqsClient } from '../../../pipeline/streams/aws-clients';

const running: { emu: RunningEmulator; client: SQSClient }[] = [];
const dirs: string[] = [];

async function start(dataDir: string) {
  const emu = await startEmulator({ port: 0, dataDir });
  const client = sqsClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  const handle = { emu, client };
  running.push(handle);
  return handle;
}

async function stop(h: { emu: RunningEmulator; client: SQSClient }) {
  h.client.destroy();
  await h.emu.stop();
  running.splice(running.indexOf(h), 1);
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'furrow-sqs-'));
  dirs.push(d);
  return d;
}

/** Queue URLs embed the endpoint, which changes with port 0: address queues by name on the new instance. */
const urlOn = (emu: RunningEmulator, url: string) => `${emu.endpoint}/000000000000/${url.split('/').pop()}`;

afterEach(async () => {
  for (const h of [...running].reverse()) await stop(h);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function counts(client: SQSClient, QueueUrl: string) {
  const a = (
    await client.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    )
  ).Attributes!;
  return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible), Number(a.ApproximateNumberOfMessagesDelayed)];
}

describe('SQS persistence with a data dir', () => {
  it('keeps queues, attributes, un-deleted messages, in-flight state and receipt handles across a clean restart', async () => {
    const dir = tempDir();
    const a = await start(dir);
    const std = (await a.client.send(new CreateQueueCommand({ QueueName: 'keep', Attributes: { VisibilityTimeout: '300', DelaySeconds: '0' } }))).QueueUrl!;
    const fifo = (await a.client.send(new CreateQueueCommand({ QueueName: 'keep.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const purged = (await a.client.send(new CreateQueueCommand({ QueueName: 'purged' }))).QueueUrl!;
    await a.client.send(new SendMessageBatchCommand({ QueueUrl: std, Entries: [0, 1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    await a.client.send(new SendMessageCommand({ QueueUrl: std, MessageBody: 'delayed', DelaySeconds: 600 }));
    await a.client.send(new SendMessageCommand({ QueueUrl: purged, MessageBody: 'gone' }));
    await a.client.send(new PurgeQueueCommand({ QueueUrl: purged }));
    const fifoSent = await a.client.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'f1', MessageGroupId: 'G', MessageDeduplicationId: 'd1' }));
    const got = (await a.client.send(new ReceiveMessageCommand({ QueueUrl: std, MaxNumberOfMessages: 3 }))).Messages!;
    expect(got).toHaveLength(3);
    await a.client.send(new DeleteMessageCommand({ QueueUrl: std, ReceiptHandle: got[0]!.ReceiptHandle }));
    await a.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: std, ReceiptHandle: got[1]!.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(await counts(a.client, std)).toEqual([2, 1, 1]);
    await stop(a);

    const b = await start(dir);
    const names = (await b.client.send(new ListQueuesCommand({}))).QueueUrls!.map((u) => u.split('/').pop());
    expect(names).toEqual(['keep', 'keep.fifo', 'purged']);
    const std2 = urlOn(b.emu, std);
    expect(await counts(b.client, std2)).toEqual([2, 1, 1]);
    expect(await counts(b.client, urlOn(b.emu, purged))).toEqual([0, 0, 0]);
    expect((await b.client.send(new GetQueueAttributesCommand({ QueueUrl: std2, AttributeNames: ['VisibilityTimeout'] }))).Attributes).toEqual({
      VisibilityTimeout: '300',
    });
    // The receipt handle issued before the restart still deletes the in-flight message.
    await b.client.send(new DeleteMessageCommand({ QueueUrl: std2, ReceiptHandle: got[2]!.ReceiptHandle }));
    const again = (await b.client.send(new ReceiveMessageCommand({ QueueUrl: std2, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }))).Messages!;
    expect(again.map((m) => m.Body).sort()).toEqual(['b1', 'b3']);
    expect(again.find((m) => m.Body === 'b1')!.Attributes!.ApproximateReceiveCount).toBe('2');
    // FIFO: the dedup id is still remembered, and sequence numbers keep increasing.
    const fifo2 = urlOn(b.emu, fifo);
    const dup = await b.client.send(new SendMessageCommand({ QueueUrl: fifo2, MessageBody: 'f1-again', MessageGroupId: 'G', MessageDeduplicationId: 'd1' }));
    expect(dup.MessageId).toBe(fifoSent.MessageId);
    const next = await b.client.send(new SendMessageCommand({ QueueUrl: fifo2, MessageBody: 'f2', MessageGroupId: 'G', MessageDeduplicationId: 'd2' }));
    expect(BigInt(next.SequenceNumber!) > BigInt(fifoSent.SequenceNumber!)).toBe(true);
    expect((await b.client.send(new ReceiveMessageCommand({ QueueUrl: fifo2, MaxNumberOfMessages: 10 }))).Messages!.map((m) => m.Body)).toEqual(['f1', 'f2']);
  });

  it('replays an uncompacted journal (as after a crash) and lets visibility run out while down', async () => {
    const dir = tempDir();
    const a = await start(dir);
    const url = (await a.client.send(new CreateQueueCommand({ QueueName: 'crash', Attributes: { VisibilityTimeout: '1' } }))).QueueUrl!;
    await a.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    const got = (await a.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages!;
    await a.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));
    const journal = readFileSync(join(dir, 'sqs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string });
    expect(journal.map((r) => r.op)).toEqual(['createQueue', 'send', 'receive', 'delete']);

    // A second instance reads the journal as the first left it: no compaction happened (no clean stop).
    await new Promise((r) => setTimeout(r, 1100));
    const b = await start(dir);
    const url2 = urlOn(b.emu, url);
    const back = (await b.client.send(new ReceiveMessageCommand({ QueueUrl: url2, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] })))
      .Messages!;
    expect(back.map((m) => [m.Body, m.Attributes!.ApproximateReceiveCount])).toEqual([[got[1]!.Body, '2']]);
  });
});
