/**
 * PII pseudonymisation (spec §5 #20; EN `registry/pii/PiiPseudonymizerEnrichment`): runs after the
 * derived contexts are validated. Each configured atomic field (`pojo`) and each JSONPath inside
 * matching entities of contexts / derived_contexts / unstruct_event (`json`) is replaced by the hex
 * digest of `value + salt`. Only string values are hashed; empty values stay empty.
 * Supported JSONPath: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`; a path reaching an array hashes its
 * strings (Snowplow's ScrambleMapFunction). MD2 is refused at start-up (Node's OpenSSL has no MD2).
 *
 * `emitEvent: true` (EN `PiiPseudonymizerEnrichment.transformer`, `serializers.scala`, and the PII event of
 * Enrich 1.x–5.x `getPiiEvent`): when something was hashed, a `pii_transformation` 1-0-0 record of every
 * change (`pii.pojo` / `pii.json`, each newest first, plus the strategy's hash function) is left on the step
 * context; pipeline.ts turns it into a separate enriched event (`piiTransformationEvent`) with a
 * `parent_event` context pointing at the original, written to the optional PII stream.
 */
import { createHash } from 'node:crypto';
import { EnrichedEvent, FIELD_INDEX, formatTstamp, type FieldName } from '../../core/enriched-event';
import type { Processor } from '../../core/bad-rows';
import { CONTEXTS_SCHEMA, UNSTRUCT_SCHEMA } from '../sdj';
import { enrichmentInfo, EnrichmentConfigError, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';
import { columnEntities, criterionMatcher, parseJsonPath, type JsonColumn, type Token } from './json-path';

export const PII_TRANSFORMATION_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/pii_transformation/jsonschema/1-0-0';
export const PARENT_EVENT_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/parent_event/jsonschema/1-0-0';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** Replace every string reached by `tokens` under `node` with `f(value)`; returns the count. */
function rewrite(node: unknown, tokens: readonly Token[], f: (s: string) => string): number {
  if (tokens.length === 0 || node === null || typeof node !== 'object') return 0;
  const [t, ...rest] = tokens as [Token, ...Token[]];
  const obj = node as Record<string, unknown>;
  const keys: (string | number)[] =
    t.kind === 'wildcard' ? (Array.isArray(node) ? node.map((_, i) => i) : Object.keys(obj)) : t.kind === 'index' ? (Array.isArray(node) ? [t.index] : []) : Array.isArray(node) ? [] : [t.name];
  let n = 0;
  for (const k of keys) {
    const v = (obj as Record<string | number, unknown>)[k];
    if (v === undefined) continue;
    if (rest.length === 0) {
      if (typeof v === 'string' && v.length > 0) {
        (obj as Record<string | number, unknown>)[k] = f(v);
        n++;
      } else if (Array.isArray(v))
        v.forEach((x, i) => {
          if (typeof x === 'string' && x.length > 0) {
            v[i] = f(x);
            n++;
          }
        });
    } else n += rewrite(v, rest, f);
  }
  return n;
}


type Modified =
  | { rule: number; pojo: { fieldName: string; originalValue: string; modifiedValue: string } }
  | { rule: number; json: { fieldName: JsonColumn; originalValue: string; modifiedValue: string; jsonPath: string; schema: string } };

/** `pii_transformation` data: changes grouped as Snowplow's serializer folds them (each list newest first). */
export function piiTransformationData(modified: readonly Modified[], hashFunction: string): Record<string, unknown> {
  const pii: Record<string, unknown[]> = {};
  for (const m of [...modified].sort((a, b) => a.rule - b.rule))
    if ('pojo' in m) (pii.pojo ??= []).unshift(m.pojo);
    else (pii.json ??= []).unshift(m.json);
  return { pii, strategy: { pseudonymize: { hashFunction } } };
}

/**
 * The separate event Enrich emitted for a pii_transformation (`getPiiEvent`): platform `srv`, the original's
 * app_id/etl_tstamp/collector_tstamp, a fresh event_id, derived/true tstamp = now, the
 * pii_transformation as its self-describing event and a parent_event context with the original event_id
 * (and, unlike Enrich, the original's v_collector, so that the line parses).
 */
export function piiTransformationEvent(
  original: EnrichedEvent,
  data: Record<string, unknown>,
  s: { processor: Processor; now(): number; uuid(): string },
): EnrichedEvent {
  const e = new EnrichedEvent();
  const now = formatTstamp(s.now());
  e.app_id = original.app_id;
  e.platform = 'srv';
  e.etl_tstamp = original.etl_tstamp;
  e.collector_tstamp = original.collector_tstamp;
  e.event = 'pii_transformation';
  e.event_id = s.uuid();
  // Enrich leaves v_collector empty here; the analytics SDKs (and Furrow's loaders) refuse such a line, so
  // the event keeps the collector of the event it describes.
  e.v_collector = original.v_collector;
  e.v_etl = `${s.processor.artifact}-${s.processor.version}`;
  e.derived_tstamp = now;
  e.true_tstamp = now;
  e.event_vendor = 'com.snowplowanalytics.snowplow';
  e.event_name = 'pii_transformation';
  e.event_format = 'jsonschema';
  e.event_version = '1-0-0';
  e.unstruct_event = JSON.stringify({ schema: UNSTRUCT_SCHEMA, data: { schema: PII_TRANSFORMATION_SCHEMA, data } });
  e.contexts = JSON.stringify({ schema: CONTEXTS_SCHEMA, data: [{ schema: PARENT_EVENT_SCHEMA, data: { parentEventId: original.event_id } }] });
  return e;
}

export function pii(c: EnrichmentConfig): Enrichment {
  const strategy = (c.parameters.strategy as { pseudonymize: { hashFunction: string; salt: string } }).pseudonymize;
  const algorithm = HASHES[strategy.hashFunction];
  if (!algorithm) throw new EnrichmentConfigError(c.source, 'data.parameters.strategy.pseudonymize.hashFunction', `${strategy.hashFunction} is not supported by Furrow (use MD5 or SHA-*)`);
  const salt = strategy.salt;
  const emitEvent = c.data?.emitEvent === true;
  const hash = (s: string) => createHash(algorithm).update(s + salt, 'utf8').digest('hex');
  const atomic: Array<{ rule: number; field: FieldName; index: number }> = [];
  const json: Array<{ rule: number; column: JsonColumn; matches: (schema: string) => boolean; path: Token[]; jsonPath: string }> = [];
  ((c.parameters.pii as Array<{ pojo?: { field: string }; json?: { field: JsonColumn; schemaCriterion: string; jsonPath: string } }>) ?? []).forEach((p, i) => {
    if (p.pojo) atomic.push({ rule: i, field: p.pojo.field as FieldName, index: FIELD_INDEX[p.pojo.field as FieldName] });
    else if (p.json) {
      try {
        json.push({ rule: i, column: p.json.field, matches: criterionMatcher(p.json.schemaCriterion), path: parseJsonPath(p.json.jsonPath), jsonPath: p.json.jsonPath });
      } catch (err) {
        throw new EnrichmentConfigError(c.source, `data.parameters.pii[${i}].json`, (err as Error).message);
      }
    }
  });
  return {
    name: 'pii_enrichment_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const modified: Modified[] | null = emitEvent ? [] : null;
      const v = ctx.event.values;
      for (const a of atomic) {
        const s = v[a.index];
        if (s === null || s === undefined || s === '') continue;
        const h = hash(s);
        v[a.index] = h;
        modified?.push({ rule: a.rule, pojo: { fieldName: a.field, originalValue: s, modifiedValue: h } });
      }
      for (const column of ['contexts', 'derived_contexts', 'unstruct_event'] as const) {
        const rules = json.filter((r) => r.column === column);
        const text = ctx.event[column];
        if (!rules.length || !text) continue;
        const doc = JSON.parse(text) as { data: unknown };
        const entities = columnEntities(column, doc);
        let changed = 0;
        for (const e of entities)
          for (const r of rules) {
            if (!e || typeof e.schema !== 'string' || !r.matches(e.schema)) continue;
            const schema = e.schema;
            const f = (original: string) => {
              const h = hash(original);
              modified?.push({ rule: r.rule, json: { fieldName: column, originalValue: original, modifiedValue: h, jsonPath: r.jsonPath, schema } });
              return h;
            };
            changed += rewrite({ $: e.data }, [{ kind: 'name', name: '$' }, ...r.path], f);
          }
        if (changed) ctx.event[column] = JSON.stringify(doc);
      }
      if (modified?.length) ctx.piiTransformation = piiTransformationData(modified, strategy.hashFunction);
    },
  };
}
