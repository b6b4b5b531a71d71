import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient, s3Client } from '../streams/aws-clients';
import { parsePipelineConfig, type PipelineConfig } from '../config/index';
import { startS3Loader, type RunningS3Loader } from './main';
import { objectKey, partitionPath, schemaParts } from './naming';
import { s3LoaderConfig } from './config';

const waitFor = async (cond: () => Promise<boolean> | boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('s3-loader naming and config', () => {
  it('fills Snowplow S3 Loader 3.x placeholders and file names in UTC', () => {
    const at = new Date(Date.UTC(2026, 10, 27, 9, 5, 7));
    const s = schemaParts('iglu:com.snowplowanalytics.snowplow.badrows/schema_violations/jsonschema/2-0-1')!;
    expect(partitionPath('{vendor}.{schema}/model={model}/date={yyyy}-{MM}-{dd}/time={HH}{mm}{ss}', s, at)).toBe(
      'com.snowplowanalytics.snowplow.badrows.schema_violations/model=2/date=2026-11-27/time=090507',
    );
    expect(objectKey('bad/', 'p', 'x-', at, 'u', true)).toBe('bad/p/x-2026-11-27-090507-u.gz');
    expect(schemaParts('not a schema')).toBeNull();
  });

  it('derives defaults from the purpose and rejects schema partitions for enriched', () => {
    const cfg = parsePipelineConfig('{}');
    expect(s3LoaderConfig(cfg, 'self_describing')).toMatchObject({ purpose: 'bad', input: { stream: 'bad-1' }, output: { path: 's3://furrow/bad/', partitionFormat: '{vendor}.{schema}' }, badStream: 'bad-2' });
    expect(() => s3LoaderConfig(parsePipelineConfig('{"s3Loader":{"enriched":{"output":{"partitionFormat":"{vendor}"}}}}'), 'enriched')).toThrow(/only be partitioned by date/);
    expect(() => s3LoaderConfig(cfg, 'shredded')).toThrow(/unknown s3-loader purpose/);
    expect(() => s3LoaderConfig(parsePipelineConfig('{"s3Loader":{"raw":{"buffer":{"maxBytes":"big"}}}}'), 'raw')).toThrow(/s3Loader\.raw\.buffer\.maxBytes: must be integer/);
  });
});

describe('s3-loader on the emulator', () => {
  let emu: RunningEmulator;
  let kinesis: KinesisClient;
  let s3: S3Client;
  let pipeline: PipelineConfig;
  const running: RunningS3Loader[] = [];

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    kinesis = kinesisClient(emulatorSettings(emu.endpoint));
    s3 = s3Client(emulatorSettings(emu.endpoint));
    for (const s of ['raw', 'enriched', 'bad-1', 'bad-2']) await kinesis.send(new CreateStreamCommand({ StreamName: s, ShardCount: 2 }));
    await s3.send(new CreateBucketCommand({ Bucket: 'furrow' }));
    pipeline = parsePipelineConfig(
      JSON.stringify({
        aws: emulatorSettings(emu.endpoint),
        s3Loader: Object.fromEntries(['raw', 'enriched', 'bad'].map((p) => [p, { buffer: { maxRecords: 50, maxDelayMs: 200 }, logLevel: 'silent' }])),
      }),
    );
  });
  afterEach(async () => {
    await fetch(`${emu.endpoint}/_furrow/faults`, { method: 'DELETE' });
    await Promise.all(running.splice(0).map((r) => r.shutdown()));
  });
  afterAll(async () => {
    kinesis.destroy();
    s3.destroy();
    await emu.stop();
  });

  async function objects(prefix: string): Promise<{ key: string; lines: string[] }[]> {
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'furrow', Prefix: prefix }));
    return Promise.all(
      (list.Contents ?? []).map(async (o) => {
        const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'furrow', Key: o.Key! }))).Body!.transformToByteArray());
        return { key: o.Key!, lines: gunzipSync(body).toString('utf8').split('\n').filter(Boolean) };
      }),
    );
  }

  async function readStream(stream: string): Promise<string[]> {
    const out: string[] = [];
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      const recs = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
      out.push(...(recs.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8')));
    }
    return out;
  }

  const put = (stream: string, records: Buffer[]) =>
    kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records.map((d, i) => ({ Data: d, PartitionKey: `k${i}` })) }));

  it('archives enriched TSV as gzip lines, every record exactly once, and checkpoints after upload', async () => {
    const app = await startS3Loader(pipeline, 'enriched');
    running.push(app);
    const lines = Array.from({ length: 120 }, (_, i) => `app\tweb\t2026-11-27 10:00:00.000\t${i}`);
    await put('enriched', lines.map((l) => Buffer.from(l)));
    await waitFor(async () => (await objects('enriched/')).flatMap((o) => o.lines).length === 120, 10_000, '120 archived lines');
    const got = (await objects('enriched/')).flatMap((o) => o.lines);
    expect(got.sort()).toEqual([...lines].sort());
    for (const o of await objects('enriched/')) expect(o.key).toMatch(/^enriched\/\d{4}-\d{2}-\d{2}-\d{6}-[0-9a-f-]{36}\.gz$/);
    // Both shards got records, so both leases now hold a sequence-number checkpoint.
    await waitFor(async () => (await app.consumer.leases.list()).every((l) => /^\d+$/.test(l.checkpoint)), 5_000, 'checkpoints');
  });

  it('keeps records and does not checkpoint while S3 fails, reports unhealthy, then catches up', async () => {
    await fetch(`${emu.endpoint}/_furrow/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ service: 's3', operation: 'PutObject', error: '500' }] }) });
    const app = await startS3Loader(pipeline, 'raw');
    running.push(app);
    const payloads = Array.from({ length: 30 }, (_, i) => Buffer.from([0, 1, 2, 255, i]));
    await put('raw', payloads);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${app.port}/health`)).status === 503, 10_000, 'unhealthy');
    const leases = await app.consumer.leases.list();
    expect(leases.every((l) => l.checkpoint === 'TRIM_HORIZON')).toBe(true);
    await fetch(`${emu.endpoint}/_furrow/faults`, { method: 'DELETE' });
    await waitFor(async () => (await objects('raw/')).flatMap((o) => o.lines).length >= 30, 20_000, 'raw archive after recovery');
    // Raw Thrift is binary: one base64 line per record, decoding back to the exact bytes.
    const decoded = (await objects('raw/')).flatMap((o) => o.lines).map((l) => Buffer.from(l, 'base64').toString('hex'));
    expect(new Set(decoded)).toEqual(new Set(payloads.map((p) => p.toString('hex'))));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${app.port}/health`)).status === 200, 5_000, 'healthy again');
  });

  it('partitions bad rows by schema and sends unparsable records to bad-2 as generic_error with a base64 payload', async () => {
    const app = await startS3Loader(pipeline, 'bad');
    running.push(app);
    const row = (type: string) => JSON.stringify({ schema: `iglu:com.snowplowanalytics.snowplow.badrows/${type}/jsonschema/1-0-0`, data: { x: 1 } });
    await put('bad-1', [Buffer.from(row('size_violation')), Buffer.from(row('adapter_failures')), Buffer.from('not json {')]);
    await waitFor(async () => (await objects('bad/')).length === 2, 10_000, 'two partitions');
    const keys = (await objects('bad/')).map((o) => o.key).sort();
    expect(keys[0]).toMatch(/^bad\/com\.snowplowanalytics\.snowplow\.badrows\.adapter_failures\/.*\.gz$/);
    expect(keys[1]).toMatch(/^bad\/com\.snowplowanalytics\.snowplow\.badrows\.size_violation\/.*\.gz$/);
    let found: string[] = [];
    await waitFor(async () => (found = await readStream('bad-2')).length > 0, 10_000, 'a bad-2 record');
    const generic = JSON.parse(found[0]!);
    expect(generic.schema).toBe('iglu:com.snowplowanalytics.snowplow.badrows/generic_error/jsonschema/1-0-0');
    expect(generic.data.processor.artifact).toBe('furrow-s3-loader');
    expect(generic.data.failure.errors[0]).toMatch(/Can't parse JSON holding self-describing event/);
    expect(Buffer.from(generic.data.payload, 'base64').toString('utf8')).toBe('not json {');
  });
});
