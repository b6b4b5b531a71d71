/**
 * PII pseudonymisation (spec §5 #20; EN `registry/pii/PiiPseudonymizerEnrichment`): runs after the
 * derived contexts are validated. Each configured atomic field (`pojo`) and each JSONPath inside
 * matching entities of contexts / derived_contexts / unstruct_event (`json`) is replaced by the hex
 * digest of `value + salt`. Only string values are hashed; empty values stay empty.
 * Supported JSONPath: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`. MD2 is refused at start-up (Node's
 * OpenSSL has no MD2). The `pii_transformation` event (`emitEvent`) is not emitted yet.
 */
import { createHash } from 'node:crypto';
import { FIELD_INDEX, type FieldName } from '../../core/enriched-event';
import { enrichmentInfo, EnrichmentConfigError, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

export type Token = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export function parseJsonPath(path: string): Token[] {
  if (!path.startsWith('$')) throw new Error(`JSONPath must start with $: ${path}`);
  const out: Token[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '*') {
        out.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      const m = /^[A-Za-z0-9_$-]+/.exec(path.slice(i + 1));
      if (!m) throw new Error(`unsupported JSONPath at ${i}: ${path}`);
      out.push({ kind: 'name', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed [ in JSONPath: ${path}`);
      const inner = path.slice(i + 1, end).trim();
      if (inner === '*') out.push({ kind: 'wildcard' });
      else if (/^\d+$/.test(inner)) out.push({ kind: 'index', index: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) out.push({ kind: 'name', name: inner.slice(1, -1) });
      else throw new Error(`unsupported JSONPath selector [${inner}]: ${path}`);
      i = end + 1;
    } else throw new Error(`unsupported JSONPath at ${i}: ${path}`);
  }
  return out;
}

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
      }
    } else n += rewrite(v, rest, f);
  }
  return n;
}

/** `iglu:vendor/name/format/m-r-a` with `*` wildcards in the version. */
export function criterionMatcher(criterion: string): (schema: string) => boolean {
  const m = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/([^-]+)-([^-]+)-([^-]+)$/.exec(criterion);
  if (!m) throw new Error(`not a schema criterion: ${criterion}`);
  const [, vendor, name, format, ...ver] = m as unknown as [string, string, string, string, string, string, string];
  return (schema) => {
    const s = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/(\d+)-(\d+)-(\d+)$/.exec(schema);
    if (!s || s[1] !== vendor || s[2] !== name || s[3] !== format) return false;
    return ver.every((v, i) => v === '*' || v === s[4 + i]);
  };
}

type JsonColumn = 'contexts' | 'derived_contexts' | 'unstruct_event';

export function pii(c: EnrichmentConfig): Enrichment {
  const strategy = (c.parameters.strategy as { pseudonymize: { hashFunction: string; salt: string } }).pseudonymize;
  const algorithm = HASHES[strategy.hashFunction];
  if (!algorithm) throw new EnrichmentConfigError(c.source, 'data.parameters.strategy.pseudonymize.hashFunction', `${strategy.hashFunction} is not supported by Furrow (use MD5 or SHA-*)`);
  const salt = strategy.salt;
  const hash = (s: string) => createHash(algorithm).update(s + salt, 'utf8').digest('hex');
  const atomic: number[] = [];
  const json: Array<{ column: JsonColumn; matches: (schema: string) => boolean; path: Token[] }> = [];
  ((c.parameters.pii as Array<{ pojo?: { field: string }; json?: { field: JsonColumn; schemaCriterion: string; jsonPath: string } }>) ?? []).forEach((p, i) => {
    if (p.pojo) atomic.push(FIELD_INDEX[p.pojo.field as FieldName]);
    else if (p.json) {
      try {
        json.push({ column: p.json.field, matches: criterionMatcher(p.json.schemaCriterion), path: parseJsonPath(p.json.jsonPath) });
      } catch (err) {
        throw new EnrichmentConfigError(c.source, `data.parameters.pii[${i}].json`, (err as Error).message);
      }
    }
  });
  return {
    name: 'pii_enrichment_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const v = ctx.event.values;
      for (const idx of atomic) {
        const s = v[idx];
        if (s !== null && s !== undefined && s !== '') v[idx] = hash(s);
      }
      for (const column of ['contexts', 'derived_contexts', 'unstruct_event'] as const) {
        const rules = json.filter((r) => r.column === column);
        const text = ctx.event[column];
        if (!rules.length || !text) continue;
        const doc = JSON.parse(text) as { data: unknown };
        const entities = (column === 'unstruct_event' ? [doc.data] : (doc.data as unknown[])) as Array<{ schema?: string; data?: unknown }>;
        let changed = 0;
        for (const e of entities)
          for (const r of rules) if (e && typeof e.schema === 'string' && r.matches(e.schema)) changed += rewrite({ $: e.data }, [{ kind: 'name', name: '$' }, ...r.path], hash);
        if (changed) ctx.event[column] = JSON.stringify(doc);
      }
    },
  };
}
