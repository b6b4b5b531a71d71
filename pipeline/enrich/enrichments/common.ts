/** Helpers shared by the configurable enrichments: their failure identity and derived entities. */
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
}

export function enrichmentInfo(c: EnrichmentConfig, identifier = c.name): EnrichmentInformation {
  return { schemaKey: c.schema, identifier };
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
