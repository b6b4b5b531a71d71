import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient, s3Client, sqsClient } from '../streams/aws-clients';
import { parsePipelineConfig } from '../config/index';
import { EnrichedEvent } from '../core/enriched-event';
import { parseShreddingComplete } from '../core/shredding-complete';
import { startTransformer } from './main';
import { runFolder, windowStart } from './processor';
import { transformLine } from './wide-row';

function event(i: number): string {
  const e = new EnrichedEvent();
  e.event_id = randomUUID();
  e.app_id = 'shop';
  e.collector_tstamp = `2026-11-27 10:00:0${i % 10}.000`;
  e.v_collector = 'c';
  e.v_etl = 'e';
  e.event = 'unstruct';
  e.unstruct_event = JSON.stringify({
    schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
    data: { schema: 'iglu:com.acme/button_press/jsonschema/1-0-2', data: { id: i } },
  });
  e.contexts = JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [{ schema: 'iglu:com.acme/user/jsonschema/2-1-0', data: { n: i } }] });
  return e.toTsv();
}

describe('transformer core', () => {
  it('names run folders like Snowplow and aligns windows to the window length', () => {
    expect(runFolder(Date.UTC(2021, 9, 15, 9, 10, 0), 'abc')).toBe('run=2021-10-15-09-10-00-abc');
    expect(windowStart(Date.UTC(2021, 9, 15, 9, 14, 59), 5 * 60_000)).toBe(Date.UTC(2021, 9, 15, 9, 10, 0));
  });

  it('turns a TSV line into wide-row JSON with its types, and a broken line into loader_parsing_error', () => {
    const good = transformLine(event(1), { artifact: 't', version: '1' });
    expect(good.kind).toBe('good');
    if (good.kind !== 'good') return;
    expect(JSON.parse(good.line)).toMatchObject({ app_id: 'shop', unstruct_event_com_acme_button_press_1: { id: 1 }, contexts_com_acme_user_2: [{ n: 1 }] });
    expect(good.types).toEqual([
      ['iglu:com.acme/user/jsonschema/2-1-0', 'CONTEXT'],
      ['iglu:com.acme/button_press/jsonschema/1-0-2', 'SELF_DESCRIBING_EVENT'],
    ]);
    const bad = transformLine('a\tb\tc', { artifact: 't', version: '1' });
    expect(bad.kind).toBe('bad');
    const row = JSON.parse(bad.line);
    expect(row.schema).toBe('iglu:com.snowplowanalytics.snowplow.badrows/loader_parsing_error/jsonschema/2-0-0');
    expect(row.data.failure).toEqual({ type: 'FieldNumberMismatch', fieldCount: 3 });
    expect(row.data.payload).toBe('a\tb\tc');
  });
});

describe('transformer on the emulator', () => {
  let emu: RunningEmulator;
  let kinesis: KinesisClient;
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    const settings = emulatorSettings(emu.endpoint);
    kinesis = kinesisClient(settings);
    s3 = s3Client(settings);
    sqs = sqsClient(settings);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'enriched', ShardCount: 2 }));
    await s3.send(new CreateBucketCommand({ Bucket: 'furrow' }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'furrow-loader.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }))).QueueUrl!;
  });
  afterAll(async () => {
    for (const c of [kinesis, s3, sqs]) c.destroy();
    await emu.stop();
  });

  const text = async (key: string) => {
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'furrow', Key: key }))).Body!.transformToByteArray());
    return key.endsWith('.gz') ? gunzipSync(body).toString('utf8') : body.toString('utf8');
  };

  it('writes a window of wide rows and bad rows, seals it (file, checkpoint, message) and stays quiet when idle', async () => {
    const app = await startTransformer(
      parsePipelineConfig(JSON.stringify({ aws: emulatorSettings(emu.endpoint), transformer: { windowSeconds: 1, output: { bufferSize: 40 }, logLevel: 'silent' } })),
    );
    try {
      const lines = Array.from({ length: 100 }, (_, i) => event(i));
      await kinesis.send(new PutRecordsCommand({ StreamName: 'enriched', Records: [...lines, 'broken\tline'].map((l, i) => ({ Data: Buffer.from(l), PartitionKey: `k${i}` })) }));
      const messages: string[] = [];
      const deadline = Date.now() + 15_000;
      let counted = 0;
      while (counted < 101 && Date.now() < deadline) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        for (const m of out.Messages ?? []) {
          // FIFO: the 'shredding' group delivers the next window only after this one is deleted.
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          messages.push(m.Body!);
          const c = parseShreddingComplete(m.Body!).count!;
          counted += c.good + (c.bad ?? 0);
        }
      }
      expect(counted).toBe(101);
      const parsed = messages.map((m) => parseShreddingComplete(m));
      let goodLines = 0;
      let badLines: string[] = [];
      for (const m of parsed) {
        expect(m.base).toMatch(/^s3:\/\/furrow\/transformed\/run=\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\/$/);
        const prefix = m.base.replace('s3://furrow/', '');
        const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'furrow', Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
        // The seal file holds the very message that was sent.
        expect(parseShreddingComplete(await text(`${prefix}shredding_complete.json`))).toEqual(m);
        for (const k of keys.filter((k) => k.includes('output=good/'))) goodLines += (await text(k)).split('\n').length;
        for (const k of keys.filter((k) => k.includes('output=bad/'))) badLines = badLines.concat((await text(k)).split('\n'));
        expect(m.typesInfo).toMatchObject({ transformation: 'WIDEROW', fileFormat: 'JSON' });
        if (m.count!.good > 0)
          expect(m.typesInfo.types).toEqual([
            { schemaKey: 'iglu:com.acme/button_press/jsonschema/1-0-2', snowplowEntity: 'SELF_DESCRIBING_EVENT' },
            { schemaKey: 'iglu:com.acme/user/jsonschema/2-1-0', snowplowEntity: 'CONTEXT' },
          ]);
      }
      expect(goodLines).toBe(100);
      expect(badLines).toHaveLength(1);
      expect(JSON.parse(badLines[0]!).data.payload).toBe('broken\tline');
      // Checkpointed after the seal: both shards' leases hold sequence numbers.
      expect((await app.consumer.leases.list()).every((l) => /^\d+$/.test(l.checkpoint))).toBe(true);
      // Empty windows produce nothing.
      const idle = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 3 }));
      expect(idle.Messages ?? []).toHaveLength(0);
    } finally {
      await app.shutdown();
    }
  });

  it('checkpoints a window only after its message is sent: while SQS fails, a sealed window keeps its records uncheckpointed', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'enriched-sqs-down', ShardCount: 1 }));
    const app = await startTransformer(
      parsePipelineConfig(
        JSON.stringify({
          aws: emulatorSettings(emu.endpoint),
          streams: { enriched: 'enriched-sqs-down' },
          transformer: { windowSeconds: 1, logLevel: 'silent', input: { applicationName: 'transformer-sqs-down' } },
        }),
      ),
    );
    const sealFiles = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: 'furrow', Prefix: 'transformed/' }))).Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('shredding_complete.json'));
    const until = async (cond: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      const before = new Set(await sealFiles());
      emu.faults.add({ service: 'sqs', operation: 'SendMessage', error: '500' });
      await kinesis.send(new PutRecordsCommand({ StreamName: 'enriched-sqs-down', Records: [event(1), event(2)].map((l, i) => ({ Data: Buffer.from(l), PartitionKey: `k${i}` })) }));
      await until(async () => (await sealFiles()).some((k) => !before.has(k)), 'the window to be sealed in S3');
      await new Promise((r) => setTimeout(r, 1_000));
      // A crash now must re-read these records: the checkpoint has not moved.
      expect((await app.consumer.leases.list()).map((l) => l.checkpoint)).toEqual(['TRIM_HORIZON']);
      emu.faults.clear();
      await until(async () => /^\d+$/.test((await app.consumer.leases.list())[0]!.checkpoint), 'the checkpoint once the message is sent');
      let received = 0;
      for (let i = 0; i < 10 && received === 0; i++) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        for (const m of out.Messages ?? []) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          received += parseShreddingComplete(m.Body!).count!.good;
        }
      }
      expect(received).toBe(2);
    } finally {
      emu.faults.clear();
      await app.shutdown();
    }
  });
});
