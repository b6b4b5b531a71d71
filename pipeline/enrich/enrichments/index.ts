/**
 * Enrichment configs → `Enrichment`s for the registry (spec §5). Each config is a self-describing JSON
 * (one file per enrichment, like Snowplow's `--enrichments DIR`), validated against its Iglu schema at
 * start-up; a problem is an `EnrichmentConfigError` naming the config and the field. `"enabled": false`
 * skips a config; an unknown name is ignored (Enrich does the same), as is a known one Furrow does not
 * implement yet (reported in `ignored`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trySchemaKey } from '../../core/schema-key';
import type { IgluClient } from '../../iglu/client';
import { apiRequest } from './api-request';
import { campaignAttribution } from './campaign-attribution';
import { currencyConversion } from './currency-conversion';
import { EnrichmentConfigError, type EnrichmentConfig, type EnrichmentOptions } from './common';
import { eventFingerprint } from './event-fingerprint';
import { iabSpidersAndRobots } from './iab-spiders-and-robots';
import { cookieExtractor, httpHeaderExtractor } from './header-extractors';
import { ipLookups } from './ip-lookups';
import { javascriptEnrichment } from './javascript';
import { pii } from './pii';
import { refererParser } from './referer-parser';
import { sqlQuery } from './sql-query';
import { ENRICHMENT_ORDER, type Enrichment, type EnrichmentName } from './registry';
import { uaParser } from './ua-parser';

export { EnrichmentConfigError, type EnrichmentOptions } from './common';

export type EnrichmentFactory = (c: EnrichmentConfig, options: EnrichmentOptions) => Enrichment;

export const FACTORIES: Partial<Record<EnrichmentName, EnrichmentFactory>> = {
  iab_spiders_and_robots_enrichment: iabSpidersAndRobots,
  ua_parser_config: uaParser,
  currency_conversion_config: currencyConversion,
  referer_parser: refererParser,
  campaign_attribution: campaignAttribution,
  event_fingerprint_config: eventFingerprint,
  cookie_extractor_config: cookieExtractor,
  http_header_extractor_config: httpHeaderExtractor,
  ip_lookups: (c) => ipLookups(c),
  javascript_script_config: (c) => javascriptEnrichment(c),
  sql_query_enrichment_config: sqlQuery,
  api_request_enrichment_config: apiRequest,
  pii_enrichment_config: pii,
};

export interface EnrichmentSource {
  /** File name, or `enrich.enrichments[i]`. */
  source: string;
  json: unknown;
}

/** `*.json` in `dir`, sorted by name (unparsable JSON is an error naming the file). */
export function readEnrichmentDir(dir: string): EnrichmentSource[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new EnrichmentConfigError(dir, '(directory)', (err as Error).message);
  }
  return names.map((n) => {
    const path = join(dir, n);
    try {
      return { source: path, json: JSON.parse(readFileSync(path, 'utf8')) as unknown };
    } catch (err) {
      throw new EnrichmentConfigError(path, '(file)', `not valid JSON: ${(err as Error).message}`);
    }
  });
}

/** Configs inlined in the pipeline config (`enrich.enrichments`). */
export function inlineSources(configs: readonly unknown[]): EnrichmentSource[] {
  return configs.map((json, i) => {
    const schema = (json as { schema?: unknown } | null)?.schema;
    const name = typeof schema === 'string' ? schema.split('/')[1] : undefined;
    return { source: `enrich.enrichments[${i}]${name ? ` (${name})` : ''}`, json };
  });
}

/** JSON pointer-ish `$.a.b` / `/a/b` paths of validator reports → `a.b`. */
function fieldOf(path: string | null | undefined): string {
  if (!path) return '(root)';
  const p = path.replace(/^\$\.?/, '').replace(/^\//, '').replace(/\//g, '.');
  return p || '(root)';
}

export interface BuiltEnrichments {
  enrichments: Enrichment[];
  /** Config names skipped because they are disabled, unknown or not implemented. */
  ignored: Array<{ source: string; name: string; reason: 'disabled' | 'unknown' | 'not implemented' }>;
}

export async function buildEnrichments(
  sources: readonly EnrichmentSource[],
  client: IgluClient,
  factories: Partial<Record<EnrichmentName, EnrichmentFactory>> = FACTORIES,
  options: EnrichmentOptions = {},
): Promise<BuiltEnrichments> {
  const out: BuiltEnrichments = { enrichments: [], ignored: [] };
  const seen = new Map<string, string>();
  for (const { source, json } of sources) {
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new EnrichmentConfigError(source, '(root)', 'must be a self-describing JSON object {schema, data}');
    const { schema, data } = json as { schema?: unknown; data?: unknown };
    if (typeof schema !== 'string') throw new EnrichmentConfigError(source, 'schema', 'must be an Iglu URI string');
    const key = trySchemaKey(schema);
    if (!key) throw new EnrichmentConfigError(source, 'schema', `'${schema}' is not a valid Iglu URI`);
    const name = key.name;
    if (!(ENRICHMENT_ORDER as readonly string[]).includes(name)) {
      out.ignored.push({ source, name, reason: 'unknown' });
      continue;
    }
    const v = await client.validateSelfDescribing(json);
    if (!v.ok) {
      const violation = v.violation as { error?: { error?: string; dataReports?: Array<{ path: string | null; message: string }>; lookupHistory?: unknown } };
      const reports = violation.error?.dataReports;
      if (reports?.length) {
        const first = reports[0]!;
        // A report at the root names the missing/extra property in its message (`$.emitEvent: is missing ...`).
        const named = fieldOf(first.path) === '(root)' ? /^\$\.([\w.[\]]+)/.exec(first.message)?.[1] : fieldOf(first.path);
        throw new EnrichmentConfigError(source, named ? `data.${named}` : 'data', reports.map((r) => r.message).join('; '));
      }
      throw new EnrichmentConfigError(source, 'schema', `cannot validate against ${schema}: ${v.kind}`);
    }
    const d = data as { enabled?: boolean; parameters?: Record<string, unknown> };
    if (d.enabled === false) {
      out.ignored.push({ source, name, reason: 'disabled' });
      continue;
    }
    const factory = factories[name as EnrichmentName];
    if (!factory) {
      out.ignored.push({ source, name, reason: 'not implemented' });
      continue;
    }
    const previous = seen.get(name);
    if (previous) throw new EnrichmentConfigError(source, 'schema', `${name} is already configured by ${previous}`);
    seen.set(name, source);
    const config: EnrichmentConfig = { source, schema, name, enabled: true, parameters: d.parameters ?? {}, data: d as Record<string, unknown> };
    try {
      out.enrichments.push(factory(config, options));
    } catch (err) {
      if (err instanceof EnrichmentConfigError) throw err;
      throw new EnrichmentConfigError(source, 'data.parameters', (err as Error).message);
    }
  }
  return out;
}
