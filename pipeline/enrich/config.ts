/**
 * The `enrich` section of the pipeline config. Streams come from the shared `streams` section: `raw` in,
 * `enriched` for good TSV, `bad1` for bad rows (the Quick Start shares bad-1 between collector and enrich).
 * Key names follow Snowplow Enrich where one exists (spec §4.5 "Enrich config", §4.3).
 */
import { ConfigError, section, type PipelineConfig } from '../config/index';
import { ENRICHED_FIELDS, type FieldName } from '../core/enriched-event';

export interface EnrichConfig {
  /** `/health` and `/metrics` (0 = any free port). */
  host: string;
  port: number;
  /** Unhealthy when the slowest shard is this far behind (Snowplow: healthProbe.unhealthyLatency 2 min). */
  unhealthyLatencyMs: number;
  /** KCL application name = DynamoDB lease table. */
  applicationName: string;
  /** Where a brand-new application starts reading the raw stream. */
  initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Enriched field used as the good record's partition key (`output.good.partitionKey`); empty = random UUID. */
  partitionKey: string;
  /** Iglu resolver config: a path to a resolver-config JSON file, or the document itself; unset = Furrow's core schemas. */
  resolver?: string | Record<string, unknown>;
  /** Enrichment configs (self-describing JSON), as in `--enrichments DIR`; unknown names are ignored. */
  enrichments: Record<string, unknown>[];
  /** Open Exchange Rates API for the currency conversion enrichment (its config JSON has no URL key). */
  openExchangeRates: { url: string; timeoutMs: number };
  validation: {
    /** Deepest JSON nesting accepted in unstruct_event / contexts / bodies (Enrich reference.conf: 50). */
    maxJsonDepth: number;
    /** Let atomic field length violations through (counted, not failed). */
    acceptInvalid: boolean;
    /** Per-field overrides of the atomic length limits. */
    atomicFieldsLimits: Record<string, number>;
  };
  output: {
    /** Stream for the PII enrichment's pii_transformation events (`emitEvent`), as Enrich 3–5's `output.pii`; unset = not written. */
    pii?: string;
    /** Largest enriched TSV in bytes; larger events become size_violation. */
    maxRecordSize: number;
    /** Largest bad row in bytes; larger ones are replaced by a size_violation. */
    maxBadRowSize: number;
    buffer: { byteLimit: number; recordLimit: number; timeLimitMs: number };
    backoff: { minMs: number; maxMs: number };
  };
  input: { maxRecordsPerBatch: number; idleTimeBetweenReadsMs: number };
  /** Iglu outage retry (no bad row, no checkpoint meanwhile). */
  igluRetry: { minMs: number; maxMs: number };
  /** Bad-row `processor` and `v_etl` (`<artifact>-<version>`); version defaults to the package version. */
  processor: { artifact: string; version?: string };
  logLevel: string;
}

const limits = { type: 'object', additionalProperties: { type: 'integer', minimum: 1 }, default: {} };

export const ENRICH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    unhealthyLatencyMs: { type: 'integer', minimum: 1, default: 120_000 },
    applicationName: { type: 'string', minLength: 1, default: 'furrow-enrich' },
    initialPosition: { enum: ['TRIM_HORIZON', 'LATEST'], default: 'TRIM_HORIZON' },
    partitionKey: { type: 'string', default: '' },
    resolver: { anyOf: [{ type: 'string' }, { type: 'object' }] },
    enrichments: { type: 'array', items: { type: 'object' }, default: [] },
    openExchangeRates: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^https?://', default: 'https://openexchangerates.org/api/' },
        timeoutMs: { type: 'integer', minimum: 1, default: 5_000 },
      },
    },
    validation: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxJsonDepth: { type: 'integer', minimum: 1, default: 50 },
        acceptInvalid: { type: 'boolean', default: false },
        atomicFieldsLimits: limits,
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        pii: { type: 'string', minLength: 1 },
        maxRecordSize: { type: 'integer', minimum: 1000, maximum: 1048000, default: 1_000_000 },
        maxBadRowSize: { type: 'integer', minimum: 1000, maximum: 1048000, default: 1_000_000 },
        buffer: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            byteLimit: { type: 'integer', minimum: 1, default: 5_242_880 },
            recordLimit: { type: 'integer', minimum: 1, maximum: 500, default: 500 },
            timeLimitMs: { type: 'integer', minimum: 0, default: 200 },
          },
        },
        backoff: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { minMs: { type: 'integer', minimum: 1, default: 100 }, maxMs: { type: 'integer', minimum: 1, default: 10_000 } },
        },
      },
    },
    input: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxRecordsPerBatch: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
        idleTimeBetweenReadsMs: { type: 'integer', minimum: 0, default: 200 },
      },
    },
    igluRetry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { minMs: { type: 'integer', minimum: 1, default: 500 }, maxMs: { type: 'integer', minimum: 1, default: 30_000 } },
    },
    processor: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        artifact: { type: 'string', minLength: 1, default: 'furrow-enrich' },
        version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+.*$' },
      },
    },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
  },
};

export function enrichConfig(pipeline: PipelineConfig): EnrichConfig {
  const c = section<EnrichConfig>(pipeline, 'enrich', ENRICH_SCHEMA);
  if (c.partitionKey && !(ENRICHED_FIELDS as readonly string[]).includes(c.partitionKey))
    throw new ConfigError(`invalid config: enrich.partitionKey: '${c.partitionKey}' is not an enriched event field`);
  for (const k of Object.keys(c.validation.atomicFieldsLimits))
    if (!(ENRICHED_FIELDS as readonly string[]).includes(k)) throw new ConfigError(`invalid config: enrich.validation.atomicFieldsLimits: unknown field '${k}'`);
  return c;
}

export function partitionKeyField(c: EnrichConfig): FieldName | null {
  return c.partitionKey ? (c.partitionKey as FieldName) : null;
}
