/**
 * UA parser (spec §5 #3; EN `registry/UaParserEnrichment`): parses `useragent` with `ua-parser-js` into a
 * `com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0` derived context. Unknown parts are
 * `Other` (family) or null (version parts), as ua-parser does. Results are cached per user agent (LRU).
 */
import { UAParser } from 'ua-parser-js';
import { enrichmentInfo, entity, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';
import { Lru } from './lru';

export const UA_PARSER_CONTEXT = 'iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0';

export interface UaParserContext {
  useragentFamily: string;
  useragentMajor: string | null;
  useragentMinor: string | null;
  useragentPatch: string | null;
  useragentVersion: string;
  osFamily: string;
  osMajor: string | null;
  osMinor: string | null;
  osPatch: string | null;
  osPatchMinor: string | null;
  osVersion: string;
  deviceFamily: string;
}

function parts(version: string | undefined): (string | null)[] {
  const p = (version ?? '').split(/[._]/).filter((x) => x.length > 0);
  return [p[0] ?? null, p[1] ?? null, p[2] ?? null, p[3] ?? null];
}

/** `Family 1.2.3` with the version parts present (ua-parser's `toVersionString`), or just the family. */
function versionString(family: string, p: (string | null)[]): string {
  const v = p.filter((x): x is string => x !== null).join('.');
  return v ? `${family} ${v}` : family;
}

export function parseUserAgent(ua: string): UaParserContext {
  const r = new UAParser(ua).getResult();
  const family = r.browser.name ?? 'Other';
  const [major, minor, patch] = parts(r.browser.version);
  const osFamily = r.os.name ?? 'Other';
  const [osMajor, osMinor, osPatch, osPatchMinor] = parts(r.os.version);
  const deviceFamily = r.device.model ?? (r.device.type === 'mobile' ? 'Generic Smartphone' : r.device.type === 'tablet' ? 'Generic Tablet' : 'Other');
  return {
    useragentFamily: family,
    useragentMajor: major ?? null,
    useragentMinor: minor ?? null,
    useragentPatch: patch ?? null,
    useragentVersion: versionString(family, [major ?? null, minor ?? null, patch ?? null]),
    osFamily,
    osMajor: osMajor ?? null,
    osMinor: osMinor ?? null,
    osPatch: osPatch ?? null,
    osPatchMinor: osPatchMinor ?? null,
    osVersion: versionString(osFamily, [osMajor ?? null, osMinor ?? null, osPatch ?? null, osPatchMinor ?? null]),
    deviceFamily,
  };
}


export function uaParser(c: EnrichmentConfig): Enrichment {
  const cache = new Lru<UaParserContext>(10_000);
  return {
    name: 'ua_parser_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const ua = ctx.event.useragent;
      if (ua === null || ua === '') return;
      let data = cache.get(ua);
      if (!data) {
        data = parseUserAgent(ua);
        cache.set(ua, data);
      }
      return { contexts: [entity(UA_PARSER_CONTEXT, data)] };
    },
  };
}
