/**
 * Test kit for the loader: writes windows to S3 and seals them into SQS the way the transformer does
 * (spec §2.3-2.5), builds wide-row events, and captures the loader's log lines.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pino, { type Logger } from 'pino';
import { parsePipelineConfig, type PipelineConfig } from '../config/index';
import { serializeShreddingComplete, type ShreddingComplete } from '../core/shredding-complete';
import { ATOMIC_COLUMNS, transformSchema, type SnowplowEntity } from '../core/wide-row';
import type { Loader, WindowEvent } from './loader';

export interface Entity {
  schema: string;
  entity: SnowplowEntity;
  data: Record<string, unknown>;
}

/** One wide-row event: all 128 atomic keys (nulls kept), plus the self-describing columns of `entities`. */
export function wideRowEvent(i: number, entities: Entity[] = [], at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, i % 1000))): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const c of ATOMIC_COLUMNS) e[c.name] = null;
  Object.assign(e, {
    app_id: 'furrow-test',
    platform: 'web',
    etl_tstamp: at.toISOString(),
    collector_tstamp: at.toISOString(),
    dvce_created_tstamp: at.toISOString(),
    event: entities.some((x) => x.entity === 'SELF_DESCRIBING_EVENT') ? 'unstruct' : 'page_view',
    event_id: randomUUID(),
    txn_id: 100 + i,
    name_tracker: 'sp',
    v_tracker: 'js-4.0.0',
    v_collector: 'furrow-collector-0.1.0',
    v_etl: 'furrow-enrich-0.1.0',
    user_ipaddress: '10.0.0.1',
    domain_userid: `duid-${i % 7}`,
    domain_sessionidx: 1 + (i % 5),
    geo_country: 'FR',
    geo_latitude: 48.85,
    geo_longitude: 2.35,
    page_url: `https://example.com/p/${i}?q=1`,
    page_title: `Page \t"${i}"\n`,
    page_urlport: 443,
    se_value: i / 4,
    tr_total: 12.5,
    br_cookies: i % 2 === 0,
    dvce_ismobile: false,
    domain_sessionid: randomUUID(),
    derived_tstamp: at.toISOString(),
    true_tstamp: null,
  });
  for (const x of entities) {
    const m = /^iglu:([^/]+)\/([^/]+)\/[^/]+\/(\d+)-/.exec(x.schema)!;
    const col = transformSchema(x.entity === 'CONTEXT' ? 'contexts' : 'unstruct_event', m[1]!, m[2]!, m[3]!);
    if (x.entity === 'CONTEXT') ((e[col] ??= []) as unknown[]).push(x.data);
    else e[col] = x.data;
  }
  e.geo_location = '48.85,2.35';
  return e;
}

export interface WindowSpec {
  bucket?: string;
  /** Folder under the bucket, default `transformed`. */
  root?: string;
  events: Record<string, unknown>[];
  /** Schema keys in the window (the transformer's typesInfo). */
  types: { schemaKey: string; snowplowEntity: SnowplowEntity }[];
  compression?: 'GZIP' | 'NONE';
  /** Events per sink file. */
  perFile?: number;
}

/** Write the window's `output=good/sink-*.txt[.gz]` files and `shredding_complete.json`; return the message. */
export async function writeWindow(s3: S3Client, spec: WindowSpec): Promise<ShreddingComplete> {
  const bucket = spec.bucket ?? 'furrow';
  const compression = spec.compression ?? 'GZIP';
  const start = new Date();
  start.setUTCSeconds(0, 0);
  const runId = `run=${start.toISOString().slice(0, 16).replace(/[T:]/g, '-')}-00-${randomUUID()}`;
  const base = `s3://${bucket}/${spec.root ?? 'transformed'}/${runId}/`;
  const prefix = base.slice(`s3://${bucket}/`.length);
  const per = spec.perFile ?? 1000;
  for (let i = 0; i < spec.events.length; i += per) {
    const text = spec.events
      .slice(i, i + per)
      .map((e) => JSON.stringify(e))
      .join('\n');
    const body = compression === 'GZIP' ? gzipSync(text) : Buffer.from(text);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}output=good/sink-${randomUUID()}.txt${compression === 'GZIP' ? '.gz' : ''}`, Body: body }));
  }
  const tstamps = spec.events.map((e) => String(e.collector_tstamp)).sort();
  const message: ShreddingComplete = {
    base,
    compression,
    typesInfo: { transformation: 'WIDEROW', fileFormat: 'JSON', types: spec.types },
    timestamps: { jobStarted: start.toISOString(), jobCompleted: new Date().toISOString(), min: tstamps[0] ?? null, max: tstamps.at(-1) ?? null },
    processor: { artifact: 'furrow-transformer', version: '0.1.0' },
    count: { good: spec.events.length, bad: 0 },
  };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}shredding_complete.json`, Body: serializeShreddingComplete(message) }));
  return message;
}

/** Send a body to the FIFO queue as the transformer does (group `shredding`); a fresh dedup id unless given. */
export async function send(sqs: SQSClient, queueUrl: string, body: string | ShreddingComplete, dedupId = randomUUID()): Promise<void> {
  const text = typeof body === 'string' ? body : serializeShreddingComplete(body);
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: text, MessageGroupId: 'shredding', MessageDeduplicationId: dedupId }));
}

/** Create the bucket (idempotent) and a fresh FIFO queue + dead-letter queue pair. */
export async function createQueues(sqs: SQSClient, s3: S3Client, name: string): Promise<{ queueUrl: string; dlqUrl: string }> {
  await s3.send(new CreateBucketCommand({ Bucket: 'furrow' })).catch(() => {});
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
  const q = await sqs.send(new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: 'true' } }));
  return { queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** Messages on a queue, visible or in flight. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const r = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(r.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

export function pipelineConfig(awsEndpoint: string, loader: Record<string, unknown>): PipelineConfig {
  return parsePipelineConfig(
    JSON.stringify({
      aws: { region: 'us-east-1', endpoint: awsEndpoint, credentials: { accessKeyId: 'furrow', secretAccessKey: 'furrow' } },
      loader: { retries: { attempts: 2, backoffMs: 50, maxBackoffMs: 200 }, initRetries: { attempts: 3, backoffMs: 200 }, ...loader },
    }),
    'test',
    {},
  );
}

/** A pino logger that keeps every line (parsed) in `lines`. */
export function captureLogger(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Resolve with the next `n` window events of a loader (rejects after `timeoutMs`). */
export function nextWindows(loader: Loader, n: number, timeoutMs = 20_000): Promise<WindowEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: WindowEvent[] = [];
    const timer = setTimeout(() => {
      loader.events.off('window', on);
      reject(new Error(`timed out waiting for ${n} window(s); saw ${JSON.stringify(seen)}`));
    }, timeoutMs);
    function on(e: WindowEvent) {
      seen.push(e);
      if (seen.length >= n) {
        clearTimeout(timer);
        loader.events.off('window', on);
        resolve(seen);
      }
    }
    loader.events.on('window', on);
  });
}
