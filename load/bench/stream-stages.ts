/**
 * `npm run bench -- load`, stream-stage sections: transformer events/s per CPU-second and s3-loader MB/s,
 * each against a floor measured in the same run on the same input.
 */
import { createHash, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { EnrichedEvent, FIELD_COUNT, ENRICHED_FIELDS } from '../../pipeline/core/enriched-event';
import { parsePipelineConfig } from '../../pipeline/config/index';
import { transformerConfig } from '../../pipeline/transformer/config';
import { TransformerProcessor } from '../../pipeline/transformer/processor';
import { referenceTransformLine } from '../../pipeline/transformer/wide-row';
import { s3LoaderConfig } from '../../pipeline/s3-loader/config';
import { S3LoaderProcessor } from '../../pipeline/s3-loader/processor';
import { KinesisProducer } from '../../pipeline/streams/kinesis-producer';
import type { ConsumedRecord, ShardContext } from '../../pipeline/streams/kinesis-consumer';
import { emulatorSettings, kinesisClient, s3Client, sqsClient } from '../../pipeline/streams/aws-clients';
import type { BenchMetric } from './types';
import type { LoadBenchContext } from './load';

/** A realistic enriched event: page view with 2 contexts, or a self-describing event. */
export function enrichedLine(i: number): string {
  const e = new EnrichedEvent();
  e.app_id = 'shop';
  e.platform = 'web';
  e.event_id = randomUUID();
  e.collector_tstamp = '2026-11-27 10:00:00.000';
  e.dvce_created_tstamp = '2026-11-27 09:59:59.900';
  e.v_collector = 'furrow-collector-0.1.0';
  e.v_etl = 'furrow-enrich-0.1.0';
  e.v_tracker = 'js-4.0.0';
  e.user_ipaddress = '203.0.113.7';
  e.domain_userid = randomUUID();
  e.network_userid = randomUUID();
  e.page_url = `https://shop.example/products/${i}?utm_source=news`;
  e.page_urlhost = 'shop.example';
  e.page_urlpath = `/products/${i}`;
  e.useragent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
  e.contexts = JSON.stringify({
    schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
    data: [
      { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: randomUUID() } },
      { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold', since: 2019 } },
    ],
  });
  if (i % 3 === 0) {
    e.event = 'unstruct';
    e.unstruct_event = JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
      data: { schema: 'iglu:com.acme/checkout/jsonschema/1-0-0', data: { total: i / 10, currency: 'EUR' } },
    });
  } else e.event = 'page_view';
  return e.toTsv();
}

const shard = (id = 'shardId-000000000000'): ShardContext => ({ shardId: id, millisBehindLatest: 0, checkpoint: async () => undefined });

function records(lines: string[]): ConsumedRecord[] {
  return lines.map((l, i) => ({ data: Buffer.from(l), partitionKey: `k${i}`, sequenceNumber: String(i + 1), approximateArrivalTimestamp: new Date(), shardId: 'shardId-000000000000' }));
}

/**
 * The AWS emulator in its own process, so the stage's CPU-seconds measured in this process are the stage's
 * alone (not the emulator's S3 serving).
 */
async function childEmulator(): Promise<{ endpoint: string; s3: S3Client; sqs: SQSClient; stop(): Promise<void> }> {
  const port = await new Promise<number>((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => res(p));
    });
  });
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/furrow.mjs'), 'emulator', '--port', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${endpoint}/_furrow/health`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const s3 = s3Client(emulatorSettings(endpoint));
  const sqs = sqsClient(emulatorSettings(endpoint));
  return {
    endpoint,
    s3,
    sqs,
    async stop() {
      s3.destroy();
      sqs.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system) spent by this process while `fn` runs. */
async function cpuSeconds(fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** SHA-256 of every line, sorted: compares two sets of lines without holding both. */
function lineDigests(lines: Iterable<string>): string[] {
  const out: string[] = [];
  for (const l of lines) out.push(createHash('sha256').update(l).digest('base64'));
  return out.sort();
}

/**
 * One measured transformer run over `batches` into a fresh prefix: the CPU-seconds of this process (the
 * emulator is another process) from the first record to the sealed window, and the wide-row lines the
 * run left in S3 (read back afterwards, not timed).
 */
async function transformerRun(
  emu: { s3: S3Client; sqs: SQSClient },
  queueUrl: string,
  batches: ConsumedRecord[][],
  compression: 'GZIP' | 'NONE',
): Promise<{ cpu: number; output: () => Promise<string[]> }> {
  const prefix = `t-${compression.toLowerCase()}-${randomUUID().slice(0, 8)}/`;
  const config = transformerConfig(
    parsePipelineConfig(JSON.stringify({ transformer: { windowSeconds: 3600, output: { path: `s3://bench-transformer/${prefix}`, compression } } })),
  );
  const processor = new TransformerProcessor(config, emu.s3, emu.sqs, queueUrl, { artifact: 'bench', version: '0' });
  // The transformer's own CPU: parse, JSON, encode, gzip, SDK calls.
  const cpu = await cpuSeconds(async () => {
    for (const b of batches) await processor.processBatch(b, shard());
    await processor.close();
  });
  const output = async () => {
    const lines: string[] = [];
    const listed = await emu.s3.send(new ListObjectsV2Command({ Bucket: 'bench-transformer', Prefix: prefix }));
    for (const o of listed.Contents ?? []) {
      if (!o.Key!.includes('/output=good/')) continue;
      const body = Buffer.from(await (await emu.s3.send(new GetObjectCommand({ Bucket: 'bench-transformer', Key: o.Key! }))).Body!.transformToByteArray());
      for (const l of (o.Key!.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8').split('\n')) lines.push(l);
    }
    return lines;
  };
  return { cpu, output };
}

export async function transformerSection(ctx: LoadBenchContext): Promise<{ metrics: BenchMetric[]; notes: string[] }> {
  const n = ctx.quick ? 10_000 : 50_000;
  const lines = Array.from({ length: n }, (_, i) => enrichedLine(i));
  const emu = await childEmulator();
  await emu.s3.send(new CreateBucketCommand({ Bucket: 'bench-transformer' })).catch(() => undefined);
  const queueUrl = (await emu.sqs.send(new CreateQueueCommand({ QueueName: 'bench-transformer.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
  // Warm up (JIT, lazily loaded SDK code) on a first window that is not measured.
  const warmConfig = transformerConfig(parsePipelineConfig(JSON.stringify({ transformer: { windowSeconds: 3600, output: { path: 's3://bench-transformer/warm/' } } })));
  const warm = new TransformerProcessor(warmConfig, emu.s3, emu.sqs, queueUrl, { artifact: 'bench', version: '0' });
  await warm.processBatch(records(lines.slice(0, 2_000)), shard());
  await warm.close();
  const batches: ConsumedRecord[][] = [];
  const recs = records(lines);
  for (let i = 0; i < recs.length; i += 1_000) batches.push(recs.slice(i, i + 1_000));
  // The default (GZIP, what the goal is about), then the same input uncompressed.
  const gzip = await transformerRun(emu, queueUrl, batches, 'GZIP');
  const plain = await transformerRun(emu, queueUrl, batches, 'NONE');
  // Honesty check (not timed): the bucket holds exactly the reference wide rows of the corpus.
  const expected = lineDigests(lines.map((l) => referenceTransformLine(l, { artifact: 'bench', version: '0' }).line));
  for (const [name, run] of [
    ['GZIP', gzip],
    ['NONE', plain],
  ] as const) {
    const got = lineDigests(await run.output());
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i]))
      throw new Error(`transformer bench (${name}): the ${got.length} lines in S3 are not the reference wide rows of the ${n} events`);
  }
  await emu.stop();
  const ours = n / gzip.cpu;
  const uncompressed = n / plain.cpu;
  // Floor: the least work that turns a TSV line into a JSON line (split, name the fields, stringify).
  const floorCpu = await cpuSeconds(async () => {
    let bytes = 0;
    for (const l of lines) {
      const v = l.split('\t');
      const o: Record<string, string | null> = {};
      for (let i = 0; i < FIELD_COUNT; i++) o[ENRICHED_FIELDS[i]!] = v[i] || null;
      bytes += JSON.stringify(o).length;
    }
    if (bytes === 0) throw new Error('unreachable');
  });
  const floor = n / floorCpu;
  const floorBaseline = { name: 'floor: split TSV + name 131 fields + JSON.stringify', value: floor };
  return {
    metrics: [
      {
        name: `transformer events per CPU-second (${n.toLocaleString('en-US')} enriched events → wide-row JSON, gzip, S3 + seal)`,
        value: ours,
        unit: 'events/s/core',
        baseline: floorBaseline,
        ratio: ours / floor,
        goal: '>= 20,000 events/s/core',
        pass: ours >= 20_000,
      },
      {
        name: `transformer events per CPU-second, output.compression NONE (same events, uncompressed files)`,
        value: uncompressed,
        unit: 'events/s/core',
        baseline: floorBaseline,
        ratio: uncompressed / floor,
      },
    ],
    notes: [
      `transformer: ${gzip.cpu.toFixed(2)} CPU-s for ${n} events with GZIP (the default), ${plain.cpu.toFixed(2)} CPU-s with NONE ` +
        `(AWS emulator in a separate process; output checked line for line against the reference transform); floor ${floorCpu.toFixed(2)} CPU-s`,
    ],
  };
}

export async function s3LoaderSection(ctx: LoadBenchContext): Promise<{ metrics: BenchMetric[]; notes: string[] }> {
  const n = ctx.quick ? 20_000 : 100_000;
  const lines = Array.from({ length: n }, (_, i) => enrichedLine(i));
  const mb = lines.reduce((a, l) => a + l.length + 1, 0) / 1e6;
  await ctx.s3.send(new CreateBucketCommand({ Bucket: 'bench-s3-loader' })).catch(() => undefined);
  const pipeline = parsePipelineConfig(
    JSON.stringify({ aws: emulatorSettings(ctx.aws.endpoint), s3Loader: { enriched: { output: { path: 's3://bench-s3-loader/enriched/' }, buffer: { maxBytes: 8_000_000 } } } }),
  );
  const config = s3LoaderConfig(pipeline, 'enriched');
  const client = kinesisClient(pipeline.aws);
  const bad = new KinesisProducer({ client, streamName: 'unused' });
  const processor = new S3LoaderProcessor(config, ctx.s3, bad, { artifact: 'bench', version: '0' });
  const recs = records(lines);
  const t0 = performance.now();
  for (let i = 0; i < recs.length; i += 1_000) await processor.processBatch(recs.slice(i, i + 1_000), shard());
  await processor.close();
  const seconds = (performance.now() - t0) / 1000;
  await bad.close(1_000);
  client.destroy();
  // Floor: gzip of the same bytes, nothing else.
  const g0 = performance.now();
  gzipSync(Buffer.from(lines.join('\n') + '\n'), { level: 6 });
  const gzipSeconds = (performance.now() - g0) / 1000;
  const ours = mb / seconds;
  const floor = mb / gzipSeconds;
  return {
    metrics: [
      {
        name: `s3-loader enriched MB/s (${mb.toFixed(0)} MB of TSV → gzip files on the emulator's S3, checkpointed)`,
        value: ours,
        unit: 'MB/s',
        baseline: { name: 'floor: gzipSync of the same bytes', value: floor },
        ratio: ours / floor,
      },
    ],
    notes: [`s3-loader: ${seconds.toFixed(2)} s for ${mb.toFixed(1)} MB (${n} records); gzip alone ${gzipSeconds.toFixed(2)} s`],
  };
}
