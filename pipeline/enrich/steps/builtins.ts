/**
 * The built-in (non-configurable) steps of phase 2 (spec §4.4; EN `EnrichmentManager.accState`,
 * `PageEnrichments`, `EventEnrichments.getDerivedTimestamp`, `SchemaEnrichment`, `CrossNavigationEnrichment`).
 * Each mutates the event and returns failures; none throws on bad input.
 */
import { enrichmentFailure, inputData, type EnrichmentFailureMessage } from '../../core/bad-rows-enrich';
import { FIELD_INDEX, parseTstamp, type EnrichedEvent, type FieldName } from '../../core/enriched-event';
import { makeTsvSafe, msToTstamp, parseJavaLong, ParseFailure } from '../../core/tracker-protocol';
import type { BuiltinStep, StepContext } from '../enrichments/registry';
import { splitQuery } from '../querystring';
import { effectivePort, parseUri, UriParseError, type ParsedUri } from '../uri';

function fail(...f: EnrichmentFailureMessage[]) {
  return { failures: f };
}

/** `v_collector` must be set (the collector name, or the `cv` parameter). */
export const collectorVersion: BuiltinStep = {
  name: 'collector_version',
  run({ event }) {
    if (event.v_collector === null || event.v_collector === '') return fail(enrichmentFailure(inputData('v_collector', null, 'should be set')));
  },
};

const URI_FIELDS = {
  page: ['page_urlscheme', 'page_urlhost', 'page_urlport', 'page_urlpath', 'page_urlquery', 'page_urlfragment'].map((f) => FIELD_INDEX[f as FieldName]),
  refr: ['refr_urlscheme', 'refr_urlhost', 'refr_urlport', 'refr_urlpath', 'refr_urlquery', 'refr_urlfragment'].map((f) => FIELD_INDEX[f as FieldName]),
};

/** EN `explodeUri`: scheme, host, port (443/80 default), raw path/query/fragment made TSV-safe. */
function setUriFields(e: EnrichedEvent, u: ParsedUri, prefix: 'page' | 'refr'): void {
  const v = e.values;
  const [scheme, host, port, path, query, fragment] = URI_FIELDS[prefix] as [number, number, number, number, number, number];
  v[scheme] = u.scheme;
  v[host] = u.host;
  v[port] = String(effectivePort(u));
  v[path] = makeTsvSafe(u.rawPath);
  v[query] = makeTsvSafe(u.rawQuery);
  v[fragment] = makeTsvSafe(u.rawFragment);
}

function parseOrFail(text: string): ParsedUri | EnrichmentFailureMessage {
  try {
    return parseUri(text);
  } catch (err) {
    if (!(err instanceof UriParseError)) throw err;
    return enrichmentFailure({ error: err.message });
  }
}

/** `page_url` = tracker `url`, else the HTTP Referer header; exploded into the page_url* fields. */
export const pageUri: BuiltinStep = {
  name: 'page_uri',
  run(ctx) {
    const { event } = ctx;
    const text = event.page_url ?? ctx.raw.context.refererUri;
    if (text === null) return;
    const u = parseOrFail(text);
    if (!('text' in u)) return fail(u);
    event.page_url = u.text;
    setUriFields(event, u, 'page');
    ctx.pageUri = u;
  },
};

/** Milliseconds of a raw `dtm`/`stm` parameter, when its column was set from it. */
function paramMs(ctx: StepContext, param: string, column: string | null): number {
  if (column === null) return NaN;
  const v = ctx.raw.parameters.get(param);
  const ms = v == null ? undefined : parseJavaLong(v);
  return ms === undefined ? parseTstamp(column) : ms;
}

/** `derived_tstamp`: true_tstamp; else collector − (sent − created) when created < sent; else collector. */
export const derivedTstamp: BuiltinStep = {
  name: 'derived_tstamp',
  run(ctx) {
    const { event } = ctx;
    if (event.true_tstamp !== null) {
      event.derived_tstamp = event.true_tstamp;
      return;
    }
    const collector = event.collector_tstamp;
    if (collector !== null && event.dvce_sent_tstamp !== null && event.dvce_created_tstamp !== null) {
      // The columns were formatted from these parameters in phase 1: use the numbers, not the text.
      const c = paramMs(ctx, 'dtm', event.dvce_created_tstamp);
      const s = paramMs(ctx, 'stm', event.dvce_sent_tstamp);
      if (c < s) {
        const derived = ctx.raw.context.timestamp - (s - c);
        const text = msToTstamp(String(derived));
        if (text instanceof ParseFailure) return fail(enrichmentFailure({ error: `exception calculating derived timestamp: ${text.message}` }));
        event.derived_tstamp = text;
        return;
      }
    }
    event.derived_tstamp = collector;
  },
};

/** `page_referrer` exploded into the refr_url* fields (the referer parser slot follows). */
export const refererUri: BuiltinStep = {
  name: 'referer_uri',
  run(ctx) {
    const text = ctx.event.page_referrer;
    if (text === null) return;
    const u = parseOrFail(text);
    if (!('text' in u)) return fail(u);
    setUriFields(ctx.event, u, 'refr');
    ctx.refererUri = u;
  },
};

/** The page URL's querystring (raw encoding), for campaign attribution and `_sp`. */
export const pageQuery: BuiltinStep = {
  name: 'page_query',
  run(ctx) {
    if (ctx.pageUri && ctx.pageUri.rawQuery !== null) ctx.pageQuery = splitQuery(ctx.pageUri.rawQuery);
    else if (ctx.pageUri) ctx.pageQuery = [];
  },
};

const CROSS_NAV_PROPS = ['domain_user_id', 'timestamp', 'session_id', 'user_id', 'source_id', 'source_platform', 'reason'] as const;

function nonBlank(s: string): string | null {
  return s.trim().length ? s : null;
}

function decodeBase64(s: string): string | null {
  return nonBlank(Buffer.from(s, 'base64').toString('utf8'));
}

/**
 * Cross-domain `_sp=duid.tstamp[.session_id.user_id.source_id.source_platform.reason]`: always sets
 * `refr_domain_userid` and `refr_dvce_tstamp`; a malformed timestamp is an enrichment failure even when
 * the cross_navigation enrichment is not configured. More than 7 parts: ignored.
 */
export const crossDomain: BuiltinStep = {
  name: 'cross_domain',
  run(ctx) {
    if (!ctx.pageQuery) return;
    let sp: string | null | undefined;
    for (const p of ctx.pageQuery) if (p.name === '_sp') sp = p.value ?? '';
    if (sp === undefined || sp === null || sp === '') return;
    const parts = sp.split('.');
    if (parts.length > CROSS_NAV_PROPS.length) return;
    while (parts.length < CROSS_NAV_PROPS.length) parts.push('');
    const map = new Map<string, string | null>();
    map.set('domain_user_id', makeTsvSafe(parts[0]!));
    if (parts[1] === '') map.set('timestamp', null);
    else {
      const ts = msToTstamp(parts[1]!);
      if (ts instanceof ParseFailure) return fail(enrichmentFailure(inputData('sp_dtm', parts[1]!, ts.message)));
      map.set('timestamp', ts);
    }
    map.set('session_id', nonBlank(parts[2]!));
    map.set('user_id', decodeBase64(parts[3]!));
    map.set('source_id', decodeBase64(parts[4]!));
    map.set('source_platform', nonBlank(parts[5]!));
    map.set('reason', decodeBase64(parts[6]!));
    const duid = map.get('domain_user_id');
    const tstamp = map.get('timestamp');
    if (duid) ctx.event.refr_domain_userid = duid;
    if (tstamp) ctx.event.refr_dvce_tstamp = tstamp;
    ctx.crossDomain = map;
  },
};

const STANDARD_SCHEMAS: Readonly<Record<string, readonly [string, string]>> = {
  page_view: ['com.snowplowanalytics.snowplow', 'page_view'],
  page_ping: ['com.snowplowanalytics.snowplow', 'page_ping'],
  struct: ['com.google.analytics', 'event'],
  transaction: ['com.snowplowanalytics.snowplow', 'transaction'],
  transaction_item: ['com.snowplowanalytics.snowplow', 'transaction_item'],
};

/** event_vendor / name / format / version from the event type, or the unstruct event's schema. */
export const eventSchema: BuiltinStep = {
  name: 'event_schema',
  run(ctx) {
    const { event } = ctx;
    const type = event.event;
    const std = type === null ? undefined : STANDARD_SCHEMAS[type];
    if (std) {
      event.event_vendor = std[0];
      event.event_name = std[1];
      event.event_format = 'jsonschema';
      event.event_version = '1-0-0';
      return;
    }
    if (type === 'unstruct') {
      const ue = ctx.unstruct;
      if (ue) {
        event.event_vendor = ue.key.vendor;
        event.event_name = ue.key.name;
        event.event_format = ue.key.format;
        event.event_version = `${ue.key.version.model}-${ue.key.version.revision}-${ue.key.version.addition}`;
      }
      return;
    }
    return fail(
      enrichmentFailure(
        inputData(
          'event',
          type,
          `trying to extract the schema of the enriched event but event type [${type}] doesn't match any of page_view, page_ping, struct, transaction, transaction_item and unstruct`,
        ),
      ),
    );
  },
};

export const BUILTIN_STEPS: readonly BuiltinStep[] = [collectorVersion, pageUri, derivedTstamp, refererUri, pageQuery, crossDomain, eventSchema];
