import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../index';
import { emulatorSettings, sqsClient } from '../../../pipeline/streams/aws-clients';

let emu: RunningEmulator;
let sqs: SQSClient;
let n = 0;
const uniqueName = (base: string) => `${base}-${++n}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createQueue(base: string, Attributes?: Record<string, string>): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(base), Attributes }))).QueueUrl!;
}

async function attributes(QueueUrl: string, names: string[] = ['All']): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never }))).Attributes ?? {};
}

async function receive(QueueUrl: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}): Promise<Message[]> {
  return (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, ...extra }))).Messages ?? [];
}

/** An independent implementation of AWS's message-attribute digest, to check the emulator's against. */
function referenceAttributesMd5(attrs: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }>): string {
  const parts: Buffer[] = [];
  const withLength = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    withLength(Buffer.from(name));
    withLength(Buffer.from(a.DataType));
    if (a.BinaryValue) {
      parts.push(Buffer.from([2]));
      withLength(Buffer.from(a.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      withLength(Buffer.from(a.StringValue!));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sqs = sqsClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
});

afterAll(async () => {
  sqs.destroy();
  await emu.stop();
});

describe('SQS queues', () => {
  it('creates a queue idempotently and refuses the same name with different attributes', async () => {
    const name = uniqueName('idem');
    const a = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    expect(a.QueueUrl).toBe(`${emu.endpoint}/000000000000/${name}`);
    const b = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    expect(b.QueueUrl).toBe(a.QueueUrl);
    const err = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '46' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueNameExists);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(a.QueueUrl);
  });

  it('enforces queue name rules, including the .fifo suffix', async () => {
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'bad name!' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'x'.repeat(81) }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'no-suffix', Attributes: { FifoQueue: 'true' } }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'suffix-only.fifo' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const ok = await sqs.send(new CreateQueueCommand({ QueueName: `${'y'.repeat(75)}.fifo`, Attributes: { FifoQueue: 'true' } }));
    expect(ok.QueueUrl).toMatch(/\.fifo$/);
  });

  it('lists queues by prefix and pages with MaxResults/NextToken', async () => {
    const names = ['lst-a', 'lst-b', 'lst-c', 'lst-d', 'lst-e'];
    for (const QueueName of names) await sqs.send(new CreateQueueCommand({ QueueName }));
    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lst-' }));
    expect(all.QueueUrls?.map((u) => u.split('/').pop())).toEqual(names);
    expect(all.NextToken).toBeUndefined();
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lst-', MaxResults: 2, NextToken }));
      expect(page.QueueUrls!.length).toBeLessThanOrEqual(2);
      seen.push(...page.QueueUrls!.map((u) => u.split('/').pop()!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(seen).toEqual(names);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'no-such-prefix' }))).QueueUrls ?? []).toEqual([]);
  });

  it('deletes a queue, after which it raises the typed QueueDoesNotExist', async () => {
    const url = await createQueue('del');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    const err = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect(err).toMatchObject({ $metadata: { httpStatusCode: 400 }, Code: 'AWS.SimpleQueueService.NonExistentQueue' });
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: url.split('/').pop()! }))).rejects.toBeInstanceOf(QueueDoesNotExist);
  });

  it('resolves a queue from the last segment of its URL, whatever the host', async () => {
    const url = await createQueue('anyhost');
    const name = url.split('/').pop()!;
    const attrs = await attributes(`https://sqs.us-east-1.amazonaws.com/000000000000/${name}`, ['QueueArn']);
    expect(attrs.QueueArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${name}`);
  });

  it('reports all attributes with defaults, named ones alone, and sets attributes', async () => {
    const before = Math.floor(Date.now() / 1000);
    const url = await createQueue('attrs', { DelaySeconds: '0', MaximumMessageSize: '2048' });
    const all = await attributes(url);
    expect(all).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '30',
      MaximumMessageSize: '2048',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      DelaySeconds: '0',
    });
    expect(all.FifoQueue).toBeUndefined();
    expect(Number(all.CreatedTimestamp)).toBeGreaterThanOrEqual(before);
    expect(await attributes(url, ['VisibilityTimeout', 'QueueArn'])).toEqual({
      VisibilityTimeout: '30',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${url.split('/').pop()}`,
    });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '2' } }));
    expect(await attributes(url, ['VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds'])).toEqual({ VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '2' });
  });

  it('rejects unknown attribute names and out-of-range values with the typed errors', async () => {
    const url = await createQueue('badattrs');
    await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nope' as never] }))).rejects.toMatchObject({
      name: 'InvalidAttributeName',
    });
    await expect(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '43201' } }))).rejects.toMatchObject({
      name: 'InvalidAttributeValue',
    });
    await expect(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Bogus: '1' } as never }))).rejects.toMatchObject({
      name: 'InvalidAttributeName',
    });
    await expect(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: 'true' } }))).rejects.toMatchObject({
      name: 'InvalidAttributeName',
    });
    await expect(
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:missing', maxReceiveCount: 1 }) },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('tags queues and lists dead-letter source queues', async () => {
    const url = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('tags'), tags: { team: 'furrow' } })).then((r) => r.QueueUrl!);
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { env: 'test' } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['team'] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ env: 'test' });

    const dlq = await createQueue('dlq-of');
    const dlqArn = (await attributes(dlq, ['QueueArn'])).QueueArn!;
    const src = await createQueue('src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '3' }) });
    expect(JSON.parse((await attributes(src, ['RedrivePolicy'])).RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 });
    expect((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([src]);
  });
});

describe('SQS messages', () => {
  it('sends and receives String, Number and Binary attributes with AWS-exact MD5s (checked by the SDK and here)', async () => {
    const url = await createQueue('md5');
    const MessageAttributes = {
      city: { DataType: 'String', StringValue: 'Zürich' },
      count: { DataType: 'Number', StringValue: '42.5' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 250, 255]) },
      'custom.kind': { DataType: 'String.custom', StringValue: 'v' },
    };
    const body = 'héllo wörld ✓ 𝄞';
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body, 'utf8').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBe(referenceAttributesMd5(MessageAttributes));

    const [m] = await receive(url, { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
    expect(m!.Body).toBe(body);
    expect(m!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m!.MessageAttributes!.blob!.BinaryValue).toEqual(new Uint8Array([0, 1, 2, 250, 255]));
    expect(m!.MessageAttributes!.count).toEqual({ DataType: 'Number', StringValue: '42.5' });
    expect(m!.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'furrow' });
    expect(Number(m!.Attributes!.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(m!.Attributes!.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(m!.Attributes!.SentTimestamp));
  });

  it('returns only the requested message attributes, with the digest of those', async () => {
    const url = await createQueue('attrsel');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageAttributes: {
          'a.one': { DataType: 'String', StringValue: '1' },
          'a.two': { DataType: 'Number', StringValue: '2' },
          other: { DataType: 'String', StringValue: 'o' },
        },
      }),
    );
    const [m] = await receive(url, { MessageAttributeNames: ['a.*'], MessageSystemAttributeNames: ['SentTimestamp'] });
    expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(['a.one', 'a.two']);
    expect(m!.MD5OfMessageAttributes).toBe(
      referenceAttributesMd5({ 'a.one': { DataType: 'String', StringValue: '1' }, 'a.two': { DataType: 'Number', StringValue: '2' } }),
    );
    expect(Object.keys(m!.Attributes!)).toEqual(['SentTimestamp']);
  });

  it('rejects malformed messages with AWS errors', async () => {
    const url = await createQueue('badmsg', { MaximumMessageSize: '1024' });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0001 char' }))).rejects.toMatchObject({
      name: 'InvalidMessageContents',
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect((await attributes(url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');
  });

  it('answers SendMessageBatch per entry and rejects bad batches with the typed errors', async () => {
    const url = await createQueue('batch');
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok1', MessageBody: 'one' },
          { Id: 'bad', MessageBody: 'nul \u0000' },
          { Id: 'ok2', MessageBody: 'two', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id).sort()).toEqual(['ok1', 'ok2']);
    expect(out.Successful!.find((s) => s.Id === 'ok2')!.MD5OfMessageAttributes).toBe(referenceAttributesMd5({ k: { DataType: 'String', StringValue: 'v' } }));
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' })]);
    expect((await receive(url)).map((m) => m.Body).sort()).toEqual(['one', 'two']);

    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] }))).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }));
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven }))).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }] })),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'no spaces', MessageBody: 'a' }] }))).rejects.toMatchObject({
      name: 'InvalidBatchEntryId',
    });
    const big = 'x'.repeat(400_000);
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2].map((i) => ({ Id: `b${i}`, MessageBody: big })) })),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
  });

  it('bounds MaxNumberOfMessages to 1-10 and returns at most that many', async () => {
    const url = await createQueue('max');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `c${i}` })) }));
    expect(await receive(url, { MaxNumberOfMessages: 3 })).toHaveLength(3);
    expect(await receive(url)).toHaveLength(10);
    expect(await receive(url)).toHaveLength(2);
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 0 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('redelivers after the visibility timeout with a new receipt handle and a higher ApproximateReceiveCount', async () => {
    const url = await createQueue('redeliver', { VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const [first] = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] });
    expect(first!.Attributes!.ApproximateReceiveCount).toBe('1');
    expect(await receive(url)).toHaveLength(0);
    expect(await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    await sleep(1100);
    const [second] = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] });
    expect(second!.MessageId).toBe(first!.MessageId);
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    expect(second!.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first!.Attributes!.ApproximateFirstReceiveTimestamp);
  });

  it('honours a per-receive VisibilityTimeout override (0 makes the message visible at once)', async () => {
    const url = await createQueue('vtoverride', { VisibilityTimeout: '300' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'peek' }));
    expect(await receive(url, { VisibilityTimeout: 0 })).toHaveLength(1);
    const again = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(again[0]!.Attributes!.ApproximateReceiveCount).toBe('2');
  });

  it('deletes by receipt handle (single and batch), idempotently, and rejects garbage handles', async () => {
    const url = await createQueue('delete');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    const got = await receive(url, { VisibilityTimeout: 0 });
    expect(got).toHaveLength(3);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle })); // twice is fine
    const batch = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: got[1]!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(batch.Successful).toEqual([{ Id: 'a' }]);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'b', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' }))).rejects.toMatchObject({
      name: 'ReceiptHandleIsInvalid',
      $metadata: { httpStatusCode: 404 },
    });
    const left = await receive(url);
    expect(left.map((m) => m.Body)).toEqual([got[2]!.Body]);
  });

  it('changes visibility (single and batch) and refuses a message that is not in flight', async () => {
    const url = await createQueue('chvis', { VisibilityTimeout: '300' });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    const [a, b] = await receive(url);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a!.ReceiptHandle, VisibilityTimeout: 0 }));
    const back = await receive(url);
    expect(back.map((m) => m.MessageId)).toEqual([a!.MessageId]);
    // The old handle names an earlier receive: AWS answers that it has expired.
    await expect(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a!.ReceiptHandle, VisibilityTimeout: 10 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const out = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'b', ReceiptHandle: b!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'a', ReceiptHandle: back[0]!.ReceiptHandle, VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id).sort()).toEqual(['a', 'b']);
    expect(await attributes(url, ['ApproximateNumberOfMessages'])).toEqual({ ApproximateNumberOfMessages: '2' });
    await expect(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: b!.ReceiptHandle, VisibilityTimeout: 5 }))).rejects.toMatchObject({
      name: 'MessageNotInflight',
    });
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: b!.ReceiptHandle, VisibilityTimeout: 43_201 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('delays messages per message and per queue (ApproximateNumberOfMessagesDelayed)', async () => {
    const url = await createQueue('delay');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now' }));
    expect(await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'])).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    expect((await receive(url)).map((m) => m.Body)).toEqual(['now']);
    await sleep(1100);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['later']);

    const q2 = await createQueue('qdelay', { DelaySeconds: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: q2, MessageBody: 'queue-delayed' }));
    expect(await receive(q2)).toHaveLength(0);
    // A long poll wakes up when the delay ends.
    const t0 = Date.now();
    const got = await receive(q2, { WaitTimeSeconds: 5 });
    expect(got.map((m) => m.Body)).toEqual(['queue-delayed']);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('purges a queue and refuses a second purge within the cooldown', async () => {
    const url = await createQueue('purge');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    await receive(url, { MaxNumberOfMessages: 1 });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toMatchObject({
      name: 'PurgeQueueInProgress',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('moves a message to the dead-letter queue when it would be received more than maxReceiveCount times', async () => {
    const dlq = await createQueue('dlq');
    const dlqArn = (await attributes(dlq, ['QueueArn'])).QueueArn!;
    const src = await createQueue('redrive', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
    const srcArn = (await attributes(src, ['QueueArn'])).QueueArn!;
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) expect(await receive(src, { VisibilityTimeout: 0 })).toHaveLength(1);
    expect(await receive(src, { VisibilityTimeout: 0 })).toHaveLength(0);
    const [dead] = await receive(dlq, { MessageSystemAttributeNames: ['All'] });
    expect(dead!.MessageId).toBe(sent.MessageId);
    expect(dead!.Body).toBe('poison');
    expect(dead!.Attributes).toMatchObject({ ApproximateReceiveCount: '3', DeadLetterQueueSourceArn: srcArn });
  });

  it('expires messages past MessageRetentionPeriod', async () => {
    let skew = 0;
    const timeEmu = await startEmulator({ port: 0, sqs: { now: () => Date.now() + skew } });
    const client = sqsClient(emulatorSettings(timeEmu.endpoint, { maxAttempts: 1 }));
    try {
      const url = (await client.send(new CreateQueueCommand({ QueueName: 'retention', Attributes: { MessageRetentionPeriod: '60' } }))).QueueUrl!;
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
      skew = 30_000;
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'young' }));
      skew = 61_000;
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      expect(got.Messages?.map((m) => m.Body)).toEqual(['young']);
      skew = 200_000;
      expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }))).Messages).toBeUndefined();
    } finally {
      client.destroy();
      await timeEmu.stop();
    }
  });
});

describe('SQS long polling', () => {
  it('returns as soon as a message is sent mid-wait', async () => {
    const url = await createQueue('lp-early');
    const t0 = Date.now();
    const polling = receive(url, { WaitTimeSeconds: 10 });
    await sleep(300);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake' }));
    const got = await polling;
    expect(got.map((m) => m.Body)).toEqual(['wake']);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('returns empty after WaitTimeSeconds, and uses the queue default ReceiveMessageWaitTimeSeconds', async () => {
    const url = await createQueue('lp-empty');
    let t0 = Date.now();
    expect(await receive(url, { WaitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);

    const waiting = await createQueue('lp-default', { ReceiveMessageWaitTimeSeconds: '1' });
    t0 = Date.now();
    expect(await receive(waiting)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    t0 = Date.now();
    expect(await receive(waiting, { WaitTimeSeconds: 0 })).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(900);
  });

  it('stops waiting when the client aborts, without consuming a later message', async () => {
    const url = await createQueue('lp-abort');
    const ac = new AbortController();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), { abortSignal: ac.signal }).catch((e: Error) => e);
    await sleep(200);
    ac.abort();
    expect(await polling).toBeInstanceOf(Error);
    await sleep(100);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'for-the-next-poller' }));
    expect((await receive(url)).map((m) => m.Body)).toEqual(['for-the-next-poller']);
  });

  it('serves concurrent long polls one message each without duplicates', async () => {
    const url = await createQueue('lp-many');
    const polls = Array.from({ length: 4 }, () => receive(url, { WaitTimeSeconds: 5, MaxNumberOfMessages: 1 }));
    await sleep(200);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    const bodies = (await Promise.all(polls)).flat().map((m) => m.Body);
    expect(bodies.sort()).toEqual(['b0', 'b1', 'b2', 'b3']);
  });
});

describe('SQS bad requests on the wire', () => {
  async function raw(operation: string, body: string): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const res = await fetch(`${emu.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` },
      body,
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  it('renders QueueDoesNotExist as JSON plus the x-amzn-query-error header', async () => {
    const r = await raw('GetQueueUrl', JSON.stringify({ QueueName: 'never-created' }));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
    expect(r.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.0');
  });

  it('treats a message attribute named __proto__ as an ordinary name (digest included)', async () => {
    const url = await createQueue('proto');
    const attrs = JSON.parse('{"__proto__":{"DataType":"String","StringValue":"v"}}') as Record<string, { DataType: string; StringValue: string }>;
    const r = await raw('SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attrs }));
    expect(r.status).toBe(200);
    expect(r.json.MD5OfMessageAttributes).toBe(referenceAttributesMd5(attrs));
    const [m] = await receive(url, { MessageAttributeNames: ['All'] });
    expect(Object.keys(m!.MessageAttributes ?? {})).toEqual(['__proto__']);
  });

  it('answers wrong types, missing fields, malformed JSON and unknown operations with 4xx, never a crash', async () => {
    const url = await createQueue('wire');
    const cases: [string, string, string][] = [
      ['ReceiveMessage', JSON.stringify({ QueueUrl: url, MaxNumberOfMessages: 'ten' }), 'InvalidParameterValue'],
      ['ReceiveMessage', JSON.stringify({ QueueUrl: url, MessageAttributeNames: 'All' }), 'InvalidParameterValue'],
      ['SendMessage', JSON.stringify({ QueueUrl: url }), 'MissingParameter'],
      ['SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: 5 }), 'InvalidParameterValue'],
      ['SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: 'nope' } }), 'InvalidParameterValue'],
      ['SendMessageBatch', JSON.stringify({ QueueUrl: url, Entries: 'x' }), 'InvalidParameterValue'],
      ['SendMessageBatch', JSON.stringify({ QueueUrl: url, Entries: [null] }), 'InvalidParameterValue'],
      ['DeleteMessage', JSON.stringify({ QueueUrl: url }), 'MissingParameter'],
      ['ChangeMessageVisibility', JSON.stringify({ QueueUrl: url, ReceiptHandle: 'abc' }), 'MissingParameter'],
      ['CreateQueue', JSON.stringify({ QueueName: 'q', Attributes: { VisibilityTimeout: 5 } }), 'InvalidAttributeValue'],
      ['CreateQueue', JSON.stringify({ QueueName: 'q', Attributes: [] }), 'InvalidParameterValue'],
      ['GetQueueAttributes', JSON.stringify({ QueueUrl: url, AttributeNames: 'All' }), 'InvalidParameterValue'],
      ['ListQueues', JSON.stringify({ MaxResults: 0 }), 'InvalidParameterValue'],
      ['GetQueueUrl', JSON.stringify({}), 'MissingParameter'],
      ['GetQueueUrl', '{not json', 'SerializationException'],
      ['CreateQueue', '{"QueueName":"q","Attributes":{"__proto__":"1"}}', 'InvalidAttributeName'],
      ['CreateQueue', '{"QueueName":"q","Attributes":{"constructor":"1"}}', 'InvalidAttributeName'],
      ['Frobnicate', '{}', 'UnknownOperationException'],
    ];
    for (const [op, body, code] of cases) {
      const r = await raw(op, body);
      expect({ op, body, status: r.status, type: r.json.__type }).toEqual({ op, body, status: 400, type: expect.stringMatching(new RegExp(`#?${code}$`)) });
    }
  });
});
