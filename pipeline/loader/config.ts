/**
 * The `loader` section of the pipeline config. Defaults follow the Snowflake RDB loader (spec §3.8):
 * SQS visibility 5 min (extended while loading), receive wait 1 s, 3 immediate retries with exponential
 * backoff from 30 s, readiness retried at start-up.
 *
 *   "loader": {
 *     "target": { "type": "snowflake", "account": "furrow", "username": "loader", "password": "${SNOWFLAKE_PASSWORD}",
 *                 "accessUrl": "http://127.0.0.1:8085", "warehouse": "compute_wh", "database": "furrow", "schema": "atomic",
 *                 "stage": "furrow_transformed", "stageUrl": "s3://furrow/transformed/" },
 *     "deadLetterQueue": "furrow-loader-dlq.fifo"
 *   }
 *   or "target": { "type": "postgres", "url": "postgres://postgres@127.0.0.1:5433/postgres", "schema": "atomic" }
 */
import { ConfigError, section, type PipelineConfig } from '../config/index';

export interface SnowflakeTargetConfig {
  type: 'snowflake';
  account: string;
  username: string;
  password: string;
  /** Full URL of the service (`http://127.0.0.1:8085` for the emulator); else built from host/port/protocol, else from the account. */
  accessUrl?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  region?: string;
  warehouse: string;
  database: string;
  schema: string;
  role?: string;
  /** Stage the transformer's output is read through (`<schema>.<stage>`). */
  stage: string;
  /** When set, the loader creates the stage if missing: `CREATE STAGE IF NOT EXISTS … URL = '<stageUrl>'`. */
  stageUrl?: string;
  /** Storage integration for the created stage (real Snowflake needs one for a private bucket). */
  storageIntegration?: string;
  readyCheck: 'ResumeWarehouse' | 'Select1';
}

export interface PostgresTargetConfig {
  type: 'postgres';
  url: string;
  schema: string;
  /** `auto`: COPY FROM STDIN on a real Postgres, batched INSERT … jsonb_populate_recordset on PGlite (which cannot COPY over the wire). */
  loadMethod: 'auto' | 'copy' | 'insert';
  /** Rows per INSERT batch (insert method). */
  batchRows: number;
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface LoaderConfig {
  /** Queue name or URL (default: `names.queue`). */
  queue: string;
  /** Where malformed or unloadable messages go (name or URL); default: the queue's RedrivePolicy target, if any. */
  deadLetterQueue?: string;
  target: SnowflakeTargetConfig | PostgresTargetConfig;
  sqs: {
    visibilitySeconds: number;
    waitTimeSeconds: number;
    /** After the retries of one delivery fail, the message is made visible again after this long. */
    retryDelaySeconds: number;
    /** A message that failed this many deliveries goes to the dead-letter queue. */
    maxDeliveries: number;
  };
  /** Immediate retries of one load (Snowplow `retries`). */
  retries: RetryPolicy;
  /** Start-up: connect + create tables (Snowplow `initRetries`). */
  initRetries: RetryPolicy;
  healthCheck: { intervalMs: number; timeoutMs: number };
  addLoadTstampColumn: boolean;
  port: number;
  host: string;
  logLevel: string;
}

const IDENT = '^[A-Za-z_][A-Za-z0-9_$]*$';
const retry = (attempts: number, backoffMs: number, maxBackoffMs: number) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    attempts: { type: 'integer', minimum: 1, default: attempts },
    backoffMs: { type: 'integer', minimum: 0, default: backoffMs },
    maxBackoffMs: { type: 'integer', minimum: 0, default: maxBackoffMs },
  },
});

const snowflakeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'account', 'username', 'password', 'warehouse', 'database'],
  properties: {
    type: { const: 'snowflake' },
    account: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    username: { type: 'string', minLength: 1 },
    password: { type: 'string' },
    accessUrl: { type: 'string', pattern: '^https?://' },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    protocol: { enum: ['http', 'https'] },
    region: { type: 'string' },
    warehouse: { type: 'string', pattern: IDENT },
    database: { type: 'string', pattern: IDENT },
    schema: { type: 'string', pattern: IDENT, default: 'atomic' },
    role: { type: 'string', pattern: IDENT },
    stage: { type: 'string', pattern: IDENT, default: 'furrow_transformed' },
    stageUrl: { type: 'string', pattern: "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^'\\\\\\s]*)?$" },
    storageIntegration: { type: 'string', pattern: IDENT },
    readyCheck: { enum: ['ResumeWarehouse', 'Select1'], default: 'ResumeWarehouse' },
  },
};

const postgresSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'url'],
  properties: {
    type: { const: 'postgres' },
    url: { type: 'string', pattern: '^postgres(ql)?://' },
    schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$', default: 'atomic' },
    loadMethod: { enum: ['auto', 'copy', 'insert'], default: 'auto' },
    batchRows: { type: 'integer', minimum: 1, maximum: 100_000, default: 1_000 },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['target'],
  properties: {
    queue: { type: 'string', minLength: 1 },
    deadLetterQueue: { type: 'string', minLength: 1 },
    target: { type: 'object', required: ['type'], properties: { type: { enum: ['snowflake', 'postgres'] } } },
    sqs: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        visibilitySeconds: { type: 'integer', minimum: 1, maximum: 43_200, default: 300 },
        waitTimeSeconds: { type: 'integer', minimum: 0, maximum: 20, default: 1 },
        retryDelaySeconds: { type: 'integer', minimum: 0, maximum: 43_200, default: 30 },
        maxDeliveries: { type: 'integer', minimum: 1, default: 5 },
      },
    },
    retries: retry(3, 30_000, 20 * 60_000),
    initRetries: retry(10, 2_000, 60_000),
    healthCheck: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { intervalMs: { type: 'integer', minimum: 0, default: 60_000 }, timeoutMs: { type: 'integer', minimum: 1, default: 10_000 } },
    },
    addLoadTstampColumn: { type: 'boolean', default: true },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    host: { type: 'string', default: '127.0.0.1' },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
  },
};

export function loaderConfig(pipeline: PipelineConfig): LoaderConfig {
  const cfg = section<LoaderConfig>(pipeline, 'loader', schema);
  const t = (pipeline.loader as { target?: unknown } | undefined)?.target;
  cfg.target =
    cfg.target.type === 'snowflake'
      ? section<SnowflakeTargetConfig>({ ...pipeline, 'loader.target': t }, 'loader.target', snowflakeSchema)
      : section<PostgresTargetConfig>({ ...pipeline, 'loader.target': t }, 'loader.target', postgresSchema);
  cfg.queue ??= pipeline.names.queue;
  if (cfg.target.type === 'snowflake' && !cfg.target.accessUrl && !cfg.target.host && !cfg.target.account)
    throw new ConfigError('invalid config: loader.target needs accessUrl, host or account');
  return cfg;
}
