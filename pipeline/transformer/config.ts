import { section, type PipelineConfig } from '../config/index';
import { consumerInputSchema, type ConsumerInput } from '../config/consumer-input';

export interface TransformerConfig {
  /** Stream (default `streams.enriched`) and lease table (default `furrow-transformer`). */
  input: ConsumerInput;
  output: {
    /** `s3://bucket/prefix/` where run folders go; default `s3://<bucket>/transformed/`. */
    path: string;
    compression: 'GZIP' | 'NONE';
    /** Lines per sink file: a window folder gets a new `sink-<uuid>` file every this many lines. */
    bufferSize: number;
  };
  /** Processing-time window length: minutes in production (600 s default), seconds in the emulator. */
  windowSeconds: number;
  /** SQS FIFO queue for shredding_complete; default `names.queue`. */
  queue: string;
  /** Sink file writes in flight at once; beyond it reading waits (back-pressure). */
  maxPendingWrites: number;
  port: number;
  host: string;
  logLevel: string;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: consumerInputSchema('furrow-transformer'),
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: 'string', pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$' },
        compression: { enum: ['GZIP', 'NONE'], default: 'GZIP' },
        bufferSize: { type: 'integer', minimum: 1, default: 4096 },
      },
    },
    windowSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400, default: 600 },
    queue: { type: 'string', minLength: 1 },
    maxPendingWrites: { type: 'integer', minimum: 1, default: 8 },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    host: { type: 'string', default: '127.0.0.1' },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
  },
};

export function transformerConfig(pipeline: PipelineConfig): TransformerConfig {
  const c = section<TransformerConfig>(pipeline, 'transformer', schema);
  return {
    ...c,
    input: { ...c.input, stream: c.input.stream ?? pipeline.streams.enriched },
    output: { ...c.output, path: c.output.path ?? `s3://${pipeline.names.bucket}/transformed/` },
    queue: c.queue ?? pipeline.names.queue,
  };
}
