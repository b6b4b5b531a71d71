/**
 * The Quick Start's default enrichment set (spec §5: campaign_attribution, event_fingerprint_config,
 * referer_parser, ua_parser_config; YAUAA is not implemented), with the parameters of Snowplow's example
 * configs, plus an IP lookups config builder for a local database directory.
 */
import { pathToFileURL } from 'node:url';

const SP = 'iglu:com.snowplowanalytics.snowplow';

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
