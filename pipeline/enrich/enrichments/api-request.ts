/**
 * API request enrichment (spec §5 #18; EN `registry/apirequest/ApiRequestEnrichment`): builds a URI from
 * a `{{key}}` template with values taken from atomic fields (`pojo`) or JSONPaths in entities (`json`),
 * calls the HTTP API (GET/POST/PUT, optional basic auth, a timeout), and turns JSONPaths of the response
 * into derived contexts. Responses are cached (`cache.size` entries, `cache.ttl` seconds). If an input is
 * missing, no request is made. Errors are enrichment failures unless `ignoreOnError`.
 *
 * Reach: only the origin (scheme, host, port) of the configured URI template; a value that would change
 * it is refused, and redirects are not followed.
 */
import { enrichmentFailure } from '../../core/bad-rows-enrich';
import { FIELD_INDEX, type EnrichedEvent, type FieldName } from '../../core/enriched-event';
import { enrichmentInfo, entity, EnrichmentConfigError, type EnrichmentConfig } from './common';
import { columnEntities, criterionMatcher, parseJsonPath, selectJsonPath, type JsonColumn, type Token } from './json-path';
import type { Enrichment } from './registry';
import { Lru } from './lru';

function jsonInput(e: EnrichedEvent, column: JsonColumn, matches: (s: string) => boolean, path: Token[]): string | null {
  const text = e[column];
  if (!text) return null;
  const doc = JSON.parse(text) as { data: unknown };
  const entities = columnEntities(column, doc);
  for (const en of entities) {
    if (!en || typeof en.schema !== 'string' || !matches(en.schema)) continue;
    const v = selectJsonPath(en.data, path)[0];
    if (v === undefined || v === null) continue;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return null;
}

interface Input {
  key: string;
  get(e: EnrichedEvent): string | null;
}

export function apiRequest(c: EnrichmentConfig): Enrichment {
  const p = c.parameters as {
    inputs: Array<{ key: string; pojo?: { field: string }; json?: { field: JsonColumn; schemaCriterion: string; jsonPath: string } }>;
    api: { http: { method: 'GET' | 'POST' | 'PUT'; uri: string; timeout: number; authentication: { httpBasic?: { username: string; password: string } } } };
    outputs: Array<{ schema: string; json?: { jsonPath: string } }>;
    cache: { size: number; ttl: number };
    ignoreOnError?: boolean | null;
  };
  const http = p.api.http;
  let origin: string;
  try {
    origin = new URL(http.uri.replace(/\{\{[^}]*\}\}/g, 'x')).origin;
  } catch {
    throw new EnrichmentConfigError(c.source, 'data.parameters.api.http.uri', `'${http.uri}' is not a URI`);
  }
  const inputs: Input[] = p.inputs.map((i, n) => {
    if (i.pojo) {
      const idx = FIELD_INDEX[i.pojo.field as FieldName];
      if (idx === undefined) throw new EnrichmentConfigError(c.source, `data.parameters.inputs[${n}].pojo.field`, `'${i.pojo.field}' is not an enriched event field`);
      return { key: i.key, get: (e) => e.values[idx] ?? null };
    }
    const j = i.json!;
    try {
      const matches = criterionMatcher(j.schemaCriterion);
      const path = parseJsonPath(j.jsonPath);
      return { key: i.key, get: (e) => jsonInput(e, j.field, matches, path) };
    } catch (err) {
      throw new EnrichmentConfigError(c.source, `data.parameters.inputs[${n}].json`, (err as Error).message);
    }
  });
  const outputs = p.outputs.map((o) => ({ schema: o.schema, path: parseJsonPath(o.json?.jsonPath ?? '$') }));
  const auth = http.authentication.httpBasic ? 'Basic ' + Buffer.from(`${http.authentication.httpBasic.username}:${http.authentication.httpBasic.password}`).toString('base64') : undefined;
  const cache = p.cache.size > 0 ? new Lru<{ at: number; body: unknown }>(p.cache.size) : null;
  const ttlMs = p.cache.ttl * 1000;
  const info = enrichmentInfo(c);

  async function call(url: string, body: string | undefined): Promise<unknown> {
    const key = `${http.method} ${url} ${body ?? ''}`;
    const hit = cache?.get(key);
    if (hit && (ttlMs === 0 || Date.now() - hit.at < ttlMs)) return hit.body;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method: http.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(http.timeout) });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) throw new Error(`API responded ${res.status}`);
    const parsed = JSON.parse(text) as unknown;
    cache?.set(key, { at: Date.now(), body: parsed });
    return parsed;
  }

  return {
    name: 'api_request_enrichment_config',
    info,
    async enrich(ctx) {
      const values: Record<string, string> = {};
      for (const i of inputs) {
        const v = i.get(ctx.event);
        if (v === null) return; // not all inputs available: no request (as Snowplow)
        values[i.key] = v;
      }
      let missing = false;
      const url = http.uri.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_, k: string) => {
        if (!(k in values)) missing = true;
        return encodeURIComponent(values[k] ?? '');
      });
      if (missing) return;
      const fail = (error: string) => (p.ignoreOnError ? undefined : { failures: [enrichmentFailure({ error }, info)] });
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return fail(`API request URI is invalid: ${url}`);
      }
      if (target.origin !== origin) return fail(`API request refused: ${target.origin} is not the configured host ${origin}`);
      let body: unknown;
      try {
        body = await call(target.href, http.method === 'GET' ? undefined : JSON.stringify(values));
      } catch (err) {
        const e = err as Error;
        return fail(`API request to ${origin} failed: ${e.name === 'TimeoutError' ? `timed out after ${http.timeout} ms` : e.message}`);
      }
      const contexts = [];
      for (const o of outputs) {
        const v = selectJsonPath(body, o.path)[0];
        if (v === undefined) return fail(`API response has nothing at ${JSON.stringify(o.path)} for ${o.schema}`);
        contexts.push(entity(o.schema, v));
      }
      return { contexts };
    },
  };
}
