/**
 * The pipeline config `npm run emulate` writes for its stages: the same format as on AWS (see
 * `furrow config render`), with loopback endpoints and laptop-sized buffers and windows so events show up
 * within seconds.
 */
import type { PipelineConfig } from '../../pipeline/config/index';
import { CORE_SCHEMAS_PATH } from '../../pipeline/iglu/repositories';

export interface EmulatePorts {
  collector: number;
  aws: number;
  iglu: number;
  postgres: number;
  snowflake: number;
  /** The in-process Micro API the collector forwards `/micro/*` to. */
  micro: number;
  /** /health and /metrics of the consumer stages, one each. */
  enrich: number;
  s3LoaderRaw: number;
  s3LoaderEnriched: number;
  s3LoaderBad: number;
  transformer: number;
  loader: number;
}

export const DEFAULT_PORTS: Pick<EmulatePorts, 'collector' | 'aws' | 'iglu' | 'postgres' | 'snowflake'> = {
  collector: 9090,
  aws: 4566,
  iglu: 8180,
  postgres: 5433,
  snowflake: 8085,
};

export interface EmulateConfigInput {
  ports: EmulatePorts;
  postgresUrl: string;
  warehouse: 'snowflake' | 'postgres';
  igluApiKey: string;
  /** Self-describing enrichment configs loaded from `--enrichments DIR`. */
  enrichments: Record<string, unknown>[];
  windowSeconds: number;
  /** The collector's ackMode; default buffered (answer once queued). */
  collectorAckMode?: 'buffered' | 'ack';
}

export const EMULATE_NAMES = {
  streams: { raw: 'raw', enriched: 'enriched', bad1: 'bad-1', bad2: 'bad-2' },
  names: { bucket: 'furrow', queue: 'furrow-loader.fifo' },
  deadLetterQueue: 'furrow-loader-dlq.fifo',
};

export function emulatePipelineConfig(i: EmulateConfigInput): PipelineConfig {
  const loopback = (port: number) => `http://127.0.0.1:${port}`;
  const consumer = { logLevel: 'info' };
  return {
    aws: { region: 'us-east-1', endpoint: loopback(i.ports.aws), credentials: { accessKeyId: 'furrow', secretAccessKey: 'furrow' } },
    streams: EMULATE_NAMES.streams,
    names: EMULATE_NAMES.names,
    collector: {
      port: i.ports.collector,
      interface: '127.0.0.1',
      microUpstream: loopback(i.ports.micro),
      // Events should reach the stream at once on a laptop: small batches, short timer.
      sink: { buffer: { timeLimitMs: 50 } },
      ...(i.collectorAckMode ? { ackMode: i.collectorAckMode } : {}),
    },
    enrich: {
      ...consumer,
      port: i.ports.enrich,
      resolver: {
        schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3',
        data: {
          // A short TTL so schemas reloaded from --schemas take effect within seconds.
          cacheSize: 500,
          cacheTtl: 2,
          repositories: [
            { name: 'Furrow core schemas', priority: 0, vendorPrefixes: [], connection: { embedded: { path: CORE_SCHEMAS_PATH } } },
            { name: 'Local Iglu Server', priority: 1, vendorPrefixes: [], connection: { http: { uri: `${loopback(i.ports.iglu)}/api`, apikey: i.igluApiKey } } },
          ],
        },
      },
      enrichments: i.enrichments,
      input: { idleTimeBetweenReadsMs: 50 },
      output: { buffer: { timeLimitMs: 50 } },
    },
    igluServer: {
      host: '127.0.0.1',
      port: i.ports.iglu,
      database: { url: i.postgresUrl, schema: 'iglu' },
      // A laptop registry: re-publishing a changed schema from --schemas overwrites it.
      patchesAllowed: true,
      superApiKey: i.igluApiKey,
    },
    s3Loader: Object.fromEntries(
      (['raw', 'enriched', 'bad'] as const).map((p) => [
        p,
        {
          ...consumer,
          port: { raw: i.ports.s3LoaderRaw, enriched: i.ports.s3LoaderEnriched, bad: i.ports.s3LoaderBad }[p],
          buffer: { maxBytes: 5_000_000, maxRecords: 10_000, maxDelayMs: 2_000 },
        },
      ]),
    ),
    transformer: { ...consumer, port: i.ports.transformer, windowSeconds: i.windowSeconds },
    loader: {
      logLevel: 'info',
      port: i.ports.loader,
      deadLetterQueue: EMULATE_NAMES.deadLetterQueue,
      // Laptop-sized recovery: a loader killed mid-load holds the FIFO queue's only message group until the
      // message's visibility ends (extended every 5 s while loading), and a failed load is retried within
      // seconds, not Snowplow's 30 s steps.
      sqs: { visibilitySeconds: 10, retryDelaySeconds: 2 },
      retries: { attempts: 3, backoffMs: 1_000, maxBackoffMs: 10_000 },
      target:
        i.warehouse === 'snowflake'
          ? {
              type: 'snowflake',
              account: 'furrow',
              username: 'furrow',
              password: 'furrow',
              accessUrl: loopback(i.ports.snowflake),
              warehouse: 'compute_wh',
              database: 'furrow',
              schema: 'atomic',
              stage: 'furrow_transformed',
              stageUrl: 's3://furrow/transformed/',
            }
          : { type: 'postgres', url: i.postgresUrl, schema: 'atomic' },
    },
  };
}
