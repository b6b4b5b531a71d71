import { ConfigError, section, type PipelineConfig } from '../config/index';
import { consumerInputSchema, type ConsumerInput } from '../config/consumer-input';

export type S3LoaderPurpose = 'raw' | 'enriched' | 'bad';

/** One s3-loader instance (the pipeline config holds one per purpose under `s3Loader.<purpose>`). */
export interface S3LoaderConfig {
  purpose: S3LoaderPurpose;
  /** Stream (default by purpose: raw / enriched / bad-1) and lease table (default `furrow-s3-loader-<purpose>`). */
  input: ConsumerInput;
  output: {
    /** `s3://bucket/prefix/`; default `s3://<bucket>/<purpose>/`. */
    path: string;
    /** Snowplow S3 Loader 3.x placeholders: {vendor} {schema} {name} {format} {model} (bad only) and {yyyy} {MM} {dd} {HH} {mm} {ss}. */
    partitionFormat: string;
    filenamePrefix: string;
    compression: 'gzip' | 'none';
  };
  /** Flush a file when any limit is reached (uncompressed bytes, records, age of the oldest record). */
  buffer: { maxBytes: number; maxRecords: number; maxDelayMs: number };
  /** Uploads in flight at once; more flushes wait (back-pressure). */
  uploadParallelism: number;
  /** Where records the loader cannot write go, as bad rows. Default `streams.bad2`. */
  badStream: string;
  /** /health and /metrics port (0 = any free port). */
  port: number;
  host: string;
  logLevel: string;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: consumerInputSchema(),
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: 'string', pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$' },
        partitionFormat: { type: 'string' },
        filenamePrefix: { type: 'string', default: '', pattern: '^[A-Za-z0-9._-]*$' },
        compression: { enum: ['gzip', 'none'], default: 'gzip' },
      },
    },
    buffer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBytes: { type: 'integer', minimum: 1, default: 25_000_000 },
        maxRecords: { type: 'integer', minimum: 1, default: 100_000 },
        maxDelayMs: { type: 'integer', minimum: 10, default: 180_000 },
      },
    },
    uploadParallelism: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
    badStream: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    host: { type: 'string', default: '127.0.0.1' },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
  },
};

const PURPOSES: Record<string, S3LoaderPurpose> = {
  raw: 'raw',
  enriched: 'enriched',
  enriched_events: 'enriched',
  bad: 'bad',
  self_describing: 'bad',
};

/** Resolve the `s3Loader.<purpose>` section with defaults derived from the purpose and the shared names. */
export function s3LoaderConfig(pipeline: PipelineConfig, purposeName: string): S3LoaderConfig {
  const purpose = PURPOSES[purposeName.toLowerCase()];
  if (!purpose) throw new ConfigError(`unknown s3-loader purpose '${purposeName}' (raw, enriched or bad)`);
  const sections = (pipeline.s3Loader ?? {}) as Record<string, unknown>;
  const own = section<Omit<S3LoaderConfig, 'purpose'>>({ ...pipeline, [`s3Loader.${purpose}`]: sections[purpose] ?? {} }, `s3Loader.${purpose}`, schema);
  const stream = { raw: pipeline.streams.raw, enriched: pipeline.streams.enriched, bad: pipeline.streams.bad1 }[purpose];
  if (purpose === 'enriched' && /\{(vendor|schema|name|format|model)\}/i.test(own.output.partitionFormat ?? ''))
    throw new ConfigError(`s3Loader.enriched.output.partitionFormat: enriched events can only be partitioned by date and time`);
  return {
    purpose,
    ...own,
    input: { ...own.input, stream: own.input.stream ?? stream, applicationName: own.input.applicationName ?? `furrow-s3-loader-${purpose}` },
    output: {
      ...own.output,
      path: own.output.path ?? `s3://${pipeline.names.bucket}/${purpose}/`,
      partitionFormat: own.output.partitionFormat ?? (purpose === 'bad' ? '{vendor}.{schema}' : ''),
    },
    badStream: own.badStream ?? pipeline.streams.bad2,
  };
}
