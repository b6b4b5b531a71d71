/**
 * Cookie extractor (spec §5 #9; EN `registry/CookieExtractorEnrichment`) and HTTP header extractor
 * (#10; EN `registry/HttpHeaderExtractorEnrichment`): read the request headers the collector recorded
 * ("Name: value" strings) and emit one `org.ietf/http_cookie` entity per configured cookie present, and
 * one `org.ietf/http_header` entity per header whose name matches `headersPattern`.
 */
import { enrichmentInfo, entity, EnrichmentConfigError, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';

export const HTTP_COOKIE_SCHEMA = 'iglu:org.ietf/http_cookie/jsonschema/1-0-0';
export const HTTP_HEADER_SCHEMA = 'iglu:org.ietf/http_header/jsonschema/1-0-0';

function splitHeader(h: string): [string, string] | null {
  const i = h.indexOf(':');
  if (i <= 0) return null;
  return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
}

export function cookieExtractor(c: EnrichmentConfig): Enrichment {
  const wanted = new Set((c.parameters.cookies as string[] | undefined) ?? []);
  return {
    name: 'cookie_extractor_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      if (wanted.size === 0) return;
      const out = [];
      for (const h of ctx.raw.context.headers) {
        const nv = splitHeader(h);
        if (!nv || nv[0].toLowerCase() !== 'cookie') continue;
        for (const part of nv[1].split(';')) {
          const eq = part.indexOf('=');
          if (eq <= 0) continue;
          const name = part.slice(0, eq).trim();
          if (!wanted.has(name)) continue;
          let value = part.slice(eq + 1).trim();
          if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
          out.push(entity(HTTP_COOKIE_SCHEMA, { name, value }));
        }
      }
      return out.length ? { contexts: out } : undefined;
    },
  };
}

export function httpHeaderExtractor(c: EnrichmentConfig): Enrichment {
  let pattern: RegExp;
  try {
    pattern = new RegExp(String(c.parameters.headersPattern));
  } catch (err) {
    throw new EnrichmentConfigError(c.source, 'data.parameters.headersPattern', `not a valid regular expression: ${(err as Error).message}`);
  }
  return {
    name: 'http_header_extractor_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const out = [];
      for (const h of ctx.raw.context.headers) {
        const nv = splitHeader(h);
        if (nv && pattern.test(nv[0])) out.push(entity(HTTP_HEADER_SCHEMA, { name: nv[0], value: nv[1] }));
      }
      return out.length ? { contexts: out } : undefined;
    },
  };
}
