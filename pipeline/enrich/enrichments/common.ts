/** Helpers shared by the configurable enrichments: their failure identity, derived entities and local assets. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnrichmentInformation } from '../../core/bad-rows-enrich';
import { parseSchemaKey, type SchemaKey } from '../../core/schema-key';
import { derivedEntity, type ValidSdj } from '../sdj';

/** A parsed enrichment config: the self-describing envelope, unpacked and validated against its schema. */
export interface EnrichmentConfig {
  /** Where it came from (file name or `enrich.enrichments[i]`), for start-up errors. */
  source: string;
  /** The config's schema URI (`iglu:vendor/name/jsonschema/m-r-a`). */
  schema: string;
  name: string;
  enabled: boolean;
  parameters: Record<string, unknown>;
  /** The whole `data` object (for keys beside `parameters`, e.g. the PII config's `emitEvent`). */
  data?: Record<string, unknown>;
}

/** Furrow settings for enrichments that the Snowplow config JSON has no key for (from the `enrich` section). */
export interface EnrichmentOptions {
  /** Open Exchange Rates API root for currency conversion (default `https://openexchangerates.org/api/`). */
  openExchangeRatesUrl?: string;
  /** Timeout of one Open Exchange Rates request, ms (default 5,000). */
  openExchangeRatesTimeoutMs?: number;
}

/**
 * The `identifier` Snowplow Enrich puts on an enrichment's failures (EN `FailureDetails.EnrichmentInformation`
 * in each enrichment); enrichments Snowplow never fails keep their config name.
 */
export const SNOWPLOW_IDENTIFIERS: Readonly<Record<string, string>> = {
  iab_spiders_and_robots_enrichment: 'iab-spiders-and-robots',
  ua_parser_config: 'ua-parser',
  currency_conversion_config: 'currency-conversion',
  cross_navigation_config: 'cross-navigation',
  javascript_script_config: 'javascript-script',
  sql_query_enrichment_config: 'sql-query',
  api_request_enrichment_config: 'api-request',
};

export function enrichmentInfo(c: EnrichmentConfig, identifier = SNOWPLOW_IDENTIFIERS[c.name] ?? c.name): EnrichmentInformation {
  return { schemaKey: c.schema, identifier };
}

/**
 * Where a configured asset (`{database, uri}`: MaxMind databases, IAB lists) lives: `<uri>/<database>` for a
 * `file:` URI or a plain directory path. Remote URIs are refused: Furrow reads such files locally only.
 */
export function localAssetPath(source: string, field: string, spec: { database: string; uri: string }, what = 'this file'): string {
  const uri = spec.uri;
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^file:/i.test(uri))
    throw new EnrichmentConfigError(source, `${field}.uri`, `'${uri}' is remote; Furrow reads ${what} from local files only (file:///dir or a directory path)`);
  const dir = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  return join(dir, spec.database);
}

const keyCache = new Map<string, SchemaKey>();

/** A derived context `{schema, data}` for a fixed schema URI. */
export function entity(schema: string, data: unknown): ValidSdj {
  let key = keyCache.get(schema);
  if (!key) {
    key = parseSchemaKey(schema);
    keyCache.set(schema, key);
  }
  return derivedEntity(key, schema, data);
}

/** A start-up configuration problem: names the config source and the offending field. */
export class EnrichmentConfigError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    message: string,
  ) {
    super(`enrichment config ${source}: ${field}: ${message}`);
    this.name = 'EnrichmentConfigError';
  }
}
