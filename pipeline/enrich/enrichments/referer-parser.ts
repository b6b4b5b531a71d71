/**
 * Referer parser (spec §4.4 "Referrer", §5 #5; EN `registry/RefererParserEnrichment`, referer-parser):
 * classifies `page_referrer` into refr_medium / refr_source / refr_term. Same host as the page or one of
 * `internalDomains` → `internal`; a known host (exact, then host + first path segment, then parent
 * domains) → its medium and source, with the search term from the source's parameters; any other
 * http(s) referrer → `unknown`. The database is Furrow's bundled one (`referers-db.ts`) plus the config's
 * custom `referrers`; `database`/`uri` are accepted for compatibility but nothing is downloaded.
 */
import { FIELD_INDEX } from '../../core/enriched-event';
import { makeTsvSafe } from '../../core/tracker-protocol';
import { splitQuery } from '../querystring';
import { enrichmentInfo, type EnrichmentConfig } from './common';
import { REFERERS, type RefererDatabase } from './referers-db';
import type { Enrichment } from './registry';

export interface RefererMatch {
  medium: string;
  source: string | null;
  term: string | null;
}

interface Entry {
  medium: string;
  source: string;
  parameters: string[];
}

export class RefererLookup {
  private readonly byDomain = new Map<string, Entry>();

  constructor(...databases: RefererDatabase[]) {
    for (const db of databases)
      for (const [medium, sources] of Object.entries(db))
        for (const [source, s] of Object.entries(sources))
          for (const d of s.domains) this.byDomain.set(d.toLowerCase(), { medium, source, parameters: s.parameters ?? [] });
  }

  private find(host: string, path: string | null): Entry | undefined {
    const seg = path ? path.split('/')[1] : undefined;
    let h = host.toLowerCase();
    for (;;) {
      if (seg) {
        const withPath = this.byDomain.get(`${h}/${seg}`);
        if (withPath) return withPath;
      }
      const e = this.byDomain.get(h);
      if (e) return e;
      const dot = h.indexOf('.');
      if (dot < 0 || h.indexOf('.', dot + 1) < 0) return undefined;
      h = h.slice(dot + 1);
    }
  }

  /** `null` for a non-http(s) or host-less referrer (fields left empty). */
  classify(
    refr: { scheme: string | null; host: string | null; rawPath: string | null; rawQuery: string | null },
    pageHost: string | null,
    internal: ReadonlySet<string>,
  ): RefererMatch | null {
    if ((refr.scheme !== 'http' && refr.scheme !== 'https') || !refr.host) return null;
    const host = refr.host.toLowerCase();
    if ((pageHost !== null && host === pageHost.toLowerCase()) || internal.has(host)) return { medium: 'internal', source: null, term: null };
    const e = this.find(host, refr.rawPath);
    if (!e) return { medium: 'unknown', source: null, term: null };
    let term: string | null = null;
    if (e.medium === 'search' && e.parameters.length && refr.rawQuery) {
      let q: { name: string; value: string | null }[];
      try {
        q = splitQuery(refr.rawQuery);
      } catch {
        q = [];
      }
      for (const p of e.parameters) {
        const hit = q.find((x) => x.name === p && x.value);
        if (hit) {
          term = hit.value;
          break;
        }
      }
    }
    return { medium: e.medium, source: e.source, term };
  }
}

export function refererParser(c: EnrichmentConfig): Enrichment {
  const internal = new Set(((c.parameters.internalDomains as string[] | undefined) ?? []).map((d) => d.toLowerCase()));
  const lookup = new RefererLookup(REFERERS, (c.parameters.referrers as RefererDatabase | undefined) ?? {});
  return {
    name: 'referer_parser',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const r = ctx.refererUri;
      if (!r) return;
      const m = lookup.classify(r, ctx.pageUri?.host ?? null, internal);
      if (!m) return;
      const v = ctx.event.values;
      v[FIELD_INDEX.refr_medium] = m.medium;
      v[FIELD_INDEX.refr_source] = makeTsvSafe(m.source);
      v[FIELD_INDEX.refr_term] = makeTsvSafe(m.term);
    },
  };
}
