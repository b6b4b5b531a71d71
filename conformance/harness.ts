/**
 * Reusable pipeline harness for conformance suites: start the whole pipeline on the emulator
 * (`startEmulate`, every stage a real child process), send tracker traffic over HTTP or put records
 * straight onto a stream, and read back every place an event can end up:
 *
 *   - rows in `atomic.events` (Snowflake emulator or Postgres), counted per event_id;
 *   - bad rows on bad-1 (collector and enrich) and bad-2 (the s3-loaders' own failures), read from the
 *     streams themselves with plain GetRecords (no lease table, no checkpoint: the test sees everything);
 *   - the s3-loader's bad-row archive under `s3://furrow/bad/`;
 *   - the transformer's per-event bad rows under `s3://furrow/transformed/run=…/output=bad/`;
 *   - windows the loader gave up on (its dead-letter queue).
 *
 * Warehouse rows are read with the fault suite's probes (conformance/faults/outcomes.ts).
 * `OutcomeReader.poll()` reads whatever is new since the last poll; bad rows are decoded once into a
 * `SeenBadRow` that names the event (event_id) and/or the input (a marker string the test put in the
 * User-Agent, the Thrift bytes or the record) it belongs to.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetRecordsCommand, type GetRecordsCommandOutput, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { startEmulate, type RunningEmulate } from '../emulator/emulate/index';
import { EMULATE_NAMES } from '../emulator/emulate/pipeline-config';
import { awsClients, emulatorSettings, type AwsClients } from '../pipeline/streams/aws-clients';
import { postgresProbe, snowflakeProbe, type WarehouseProbe } from './faults/outcomes';

// ---------------------------------------------------------------------------------------------------
// Starting the pipeline

export interface StartPipelineOptions {
  /** Self-describing JSON Schemas to publish to the Iglu Server before traffic starts. */
  schemas?: Record<string, unknown>[];
  /** Snowplow enrichment configs (self-describing JSON), as files in `--enrichments DIR`. */
  enrichments?: Record<string, unknown>[];
  /** Default: FURROW_CONFORMANCE_WAREHOUSE or 'snowflake' (what `npm run emulate` loads into). */
  warehouse?: 'snowflake' | 'postgres';
  windowSeconds?: number;
  /** Progress lines of `startEmulate`. */
  progress?: (line: string) => void;
}

export interface Pipeline {
  emulate: RunningEmulate;
  aws: AwsClients;
  collectorUrl: string;
  warehouse: 'snowflake' | 'postgres';
  /** Where config, logs (logs/<stage>.log) and emulate.json are. */
  stateDir: string;
  outcomes: OutcomeReader;
  /** The last warnings and errors a stage logged (logs/<stage>.log), for failure messages. */
  stageProblems(stage: string, max?: number): string[];
  /** Stop everything; the state directory (logs) is kept when FURROW_CONFORMANCE_KEEP is set. */
  stop(): Promise<void>;
}

/** `iglu:vendor/name/format/version` layout that `--schemas DIR` reads. */
function writeSchemas(dir: string, schemas: Record<string, unknown>[]): void {
  for (const s of schemas) {
    const self = s.self as { vendor: string; name: string; format: string; version: string };
    const d = join(dir, self.vendor, self.name, self.format);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, self.version), JSON.stringify(s, null, 2));
  }
}

export async function startPipeline(o: StartPipelineOptions = {}): Promise<Pipeline> {
  const root = mkdtempSync(join(tmpdir(), 'furrow-conformance-'));
  const stateDir = join(root, 'state');
  const schemasDir = join(root, 'schemas');
  const enrichmentsDir = join(root, 'enrichments');
  mkdirSync(schemasDir, { recursive: true });
  mkdirSync(enrichmentsDir, { recursive: true });
  writeSchemas(schemasDir, o.schemas ?? []);
  (o.enrichments ?? []).forEach((e, i) => writeFileSync(join(enrichmentsDir, `${String(i).padStart(2, '0')}.json`), JSON.stringify(e, null, 2)));
  const env = process.env.FURROW_CONFORMANCE_WAREHOUSE;
  const warehouse = o.warehouse ?? (env === 'postgres' ? 'postgres' : 'snowflake');
  const emulate = await startEmulate({
    stateDir,
    schemasDir,
    enrichmentsDir,
    warehouse,
    windowSeconds: o.windowSeconds ?? 1,
    ports: { collector: 0, aws: 0, iglu: 0, postgres: 0, snowflake: 0 },
    progress: o.progress,
  });
  const aws = awsClients(emulatorSettings(emulate.urls.aws));
  const outcomes = new OutcomeReader({
    kinesis: aws.kinesis,
    s3: aws.s3,
    sqs: aws.sqs,
    bucket: EMULATE_NAMES.names.bucket,
    warehouse: warehouse === 'snowflake' ? snowflakeProbe(emulate.urls.snowflake!) : postgresProbe(emulate.urls.postgres),
  });
  return {
    emulate,
    aws,
    collectorUrl: emulate.urls.collector,
    warehouse,
    stateDir,
    outcomes,
    stageProblems(stage, max = 5) {
      let text: string;
      try {
        text = readFileSync(join(stateDir, 'logs', `${stage}.log`), 'utf8');
      } catch {
        return [];
      }
      const out: string[] = [];
      for (const line of text.split('\n')) {
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
          if ((j.level ?? 0) >= 40) out.push(`${stage}: ${j.msg ?? ''}${j.err && !String(j.msg).includes(String(j.err)) ? ` (${String(j.err)})` : ''}`.slice(0, 500));
        } catch {
          if (/error|fail/i.test(line)) out.push(`${stage}: ${line.slice(0, 500)}`);
        }
      }
      return out.slice(-max);
    },
    async stop() {
      await outcomes.close().catch(() => undefined);
      aws.destroy();
      await emulate.stop();
      if (process.env.FURROW_CONFORMANCE_KEEP) process.stdout.write(`conformance: pipeline state and logs kept in ${stateDir}\n`);
      else rmSync(root, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Sending

export const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
export const PAYLOAD_DATA_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';

export interface HttpInput {
  method: 'GET' | 'POST';
  /** Path, with the querystring if any. */
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** One request to the collector; resolves to the HTTP status (the body is drained). */
export async function sendHttp(collectorUrl: string, input: HttpInput, timeoutMs = 30_000): Promise<number> {
  const res = await fetch(collectorUrl + input.path, {
    method: input.method,
    headers: input.headers,
    body: input.method === 'POST' ? (input.body as BodyInit | undefined) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

/** Run `fn` over `items` with at most `concurrency` at once, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Put one record straight onto a stream (e.g. broken Thrift on `raw`), as a misbehaving producer would. */
export async function putRecord(kinesis: KinesisClient, stream: string, data: Buffer, partitionKey = 'conformance'): Promise<void> {
  await kinesis.send(new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: partitionKey }));
}

// ---------------------------------------------------------------------------------------------------
// Reading outcomes

export type BadRowPlace = 'bad-1' | 'bad-2' | 's3:bad' | 's3:transformed-bad';

export interface SeenBadRow {
  place: BadRowPlace;
  /** Bad-row type, e.g. `schema_violations` (`unparsable` when the record is not a bad row at all). */
  type: string;
  /** The event the row is about, when it names one (enriched/raw event_id, TSV column 7). */
  eventId: string | null;
  /** Searchable text: the row itself plus any base64 payload decoded (raw records, stream records). */
  text: string;
  /** The line as read. */
  json: string;
  /** S3 key or `stream/shard/sequence`. */
  from: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decode one bad row (or whatever a bad stream or archive holds) into a `SeenBadRow`. */
export function decodeBadRow(line: string, place: BadRowPlace, from: string): SeenBadRow {
  let row: { schema?: unknown; data?: { payload?: unknown } } | null;
  try {
    row = JSON.parse(line);
  } catch {
    row = null;
  }
  const type = /badrows\/([^/]+)\/jsonschema\//.exec(typeof row?.schema === 'string' ? row.schema : '')?.[1] ?? 'unparsable';
  const payload = row?.data?.payload;
  let eventId: string | null = null;
  let text = line;
  if (payload && typeof payload === 'object') {
    // schema_violations / enrichment_failures: the partially enriched event; loader rows: the event itself.
    const p = payload as { enriched?: { event_id?: unknown }; event_id?: unknown };
    const id = p.enriched?.event_id ?? p.event_id;
    if (typeof id === 'string') eventId = id;
  } else if (typeof payload === 'string') {
    // A TSV (enrich size_violation, loader_parsing_error): event_id is the 7th column.
    const col = payload.split('\t', 7)[6];
    if (col && UUID_RE.test(col)) eventId = col.toLowerCase();
    // Base64 of a record (collector_payload_format_violation, the s3-loader's generic_error).
    if ((type === 'collector_payload_format_violation' || type === 'generic_error') && /^[A-Za-z0-9+/=]*$/.test(payload))
      text += '\n' + Buffer.from(payload, 'base64').toString('latin1');
  }
  return { place, type, eventId, text, json: line, from };
}

/** Tails one Kinesis stream from TRIM_HORIZON with plain GetRecords (every shard). */
export class StreamTail {
  private iterators: Map<string, string> | null = null;

  constructor(
    private readonly kinesis: KinesisClient,
    readonly stream: string,
  ) {}

  private async init(): Promise<Map<string, string>> {
    const shards = (await this.kinesis.send(new ListShardsCommand({ StreamName: this.stream }))).Shards ?? [];
    const its = new Map<string, string>();
    for (const s of shards) {
      const it = await this.kinesis.send(new GetShardIteratorCommand({ StreamName: this.stream, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
      its.set(s.ShardId!, it.ShardIterator!);
    }
    return its;
  }

  /** Every record written since the last call. */
  async poll(): Promise<{ data: Buffer; from: string }[]> {
    this.iterators ??= await this.init();
    const out: { data: Buffer; from: string }[] = [];
    for (const [shard, iterator] of this.iterators) {
      let it: string | undefined = iterator;
      for (let page = 0; it && page < 100; page++) {
        const r: GetRecordsCommandOutput = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
        for (const rec of r.Records ?? []) out.push({ data: Buffer.from(rec.Data!), from: `${this.stream}/${shard}/${rec.SequenceNumber}` });
        it = r.NextShardIterator;
        if (it) this.iterators.set(shard, it);
        if (!r.Records?.length || r.MillisBehindLatest === 0) break;
      }
    }
    return out;
  }
}

/** Reads every new object under a prefix (gunzipped when the key ends in .gz), once. */
export class S3Tail {
  private readonly seen = new Set<string>();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly prefix: string,
    private readonly keep: (key: string) => boolean = () => true,
  ) {}

  async poll(): Promise<{ key: string; lines: string[] }[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r: ListObjectsV2CommandOutput = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (!this.seen.has(o.Key!) && this.keep(o.Key!)) keys.push(o.Key!);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    const out: { key: string; lines: string[] }[] = [];
    for (const key of keys) {
      const body = Buffer.from(await (await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body!.transformToByteArray());
      const text = (key.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8');
      this.seen.add(key);
      out.push({ key, lines: text.split('\n').filter((l) => l.length > 0) });
    }
    return out;
  }
}

export interface OutcomeReaderOptions {
  kinesis: KinesisClient;
  s3: S3Client;
  sqs: import('@aws-sdk/client-sqs').SQSClient;
  bucket: string;
  warehouse: WarehouseProbe;
  streams?: { bad1: string; bad2: string };
  deadLetterQueue?: string;
}

/**
 * Everything the pipeline has produced so far, read incrementally. Bad rows accumulate in `badRows`
 * (never forgotten, so a late second copy of an event is still seen); warehouse rows are queried by
 * app_id prefix on demand.
 */
export class OutcomeReader {
  readonly badRows: SeenBadRow[] = [];
  private readonly bad1: StreamTail;
  private readonly bad2: StreamTail;
  private readonly s3Bad: S3Tail;
  private readonly s3TransformedBad: S3Tail;
  private dlqUrl: string | null = null;

  constructor(private readonly o: OutcomeReaderOptions) {
    const streams = o.streams ?? { bad1: EMULATE_NAMES.streams.bad1, bad2: EMULATE_NAMES.streams.bad2 };
    this.bad1 = new StreamTail(o.kinesis, streams.bad1);
    this.bad2 = new StreamTail(o.kinesis, streams.bad2);
    this.s3Bad = new S3Tail(o.s3, o.bucket, 'bad/');
    this.s3TransformedBad = new S3Tail(o.s3, o.bucket, 'transformed/', (k) => k.includes('/output=bad/'));
  }

  /** Read everything new from bad-1, bad-2 and both S3 bad locations. */
  async poll(): Promise<void> {
    const [b1, b2, s3b, s3t] = await Promise.all([this.bad1.poll(), this.bad2.poll(), this.s3Bad.poll(), this.s3TransformedBad.poll()]);
    for (const r of b1) this.badRows.push(decodeBadRow(r.data.toString('utf8'), 'bad-1', r.from));
    for (const r of b2) this.badRows.push(decodeBadRow(r.data.toString('utf8'), 'bad-2', r.from));
    for (const f of s3b) for (const l of f.lines) this.badRows.push(decodeBadRow(l, 's3:bad', f.key));
    for (const f of s3t) for (const l of f.lines) this.badRows.push(decodeBadRow(l, 's3:transformed-bad', f.key));
  }

  /** event_id → rows in atomic.events, for events whose app_id starts with `appIdPrefix`. */
  warehouseCounts(appIdPrefix: string): Promise<Map<string, number>> {
    return this.o.warehouse.rowsPerEvent(appIdPrefix);
  }

  /** Messages (windows) on the loader's dead-letter queue: each is a window that will never load. */
  async deadLetteredWindows(): Promise<number> {
    this.dlqUrl ??= (await this.o.sqs.send(new GetQueueUrlCommand({ QueueName: this.o.deadLetterQueue ?? EMULATE_NAMES.deadLetterQueue }))).QueueUrl!;
    const a = await this.o.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  close(): Promise<void> {
    return this.o.warehouse.close();
  }
}
