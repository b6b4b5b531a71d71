/**
 * The JSON side of the enrichments that read or rewrite entities (PII, API request, SQL query): Snowplow's
 * JSONPath subset, schema criteria with `*` versions, and the entities of a JSON column.
 */

/** The enriched-event columns that hold self-describing JSON. */
export type JsonColumn = 'contexts' | 'derived_contexts' | 'unstruct_event';

export type SelfDescribing = { schema?: string; data?: unknown };

/** The entities of a JSON column's parsed document: the one event of unstruct_event, the list otherwise. */
export function columnEntities(column: JsonColumn, doc: { data: unknown }): SelfDescribing[] {
  return (column === 'unstruct_event' ? [doc.data] : (doc.data as unknown[])) as SelfDescribing[];
}

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

/** All values a JSONPath reaches (no descent). */
export function selectJsonPath(doc: unknown, tokens: readonly Token[]): unknown[] {
  let cur: unknown[] = [doc];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const n of cur) {
      if (n === null || typeof n !== 'object') continue;
      if (t.kind === 'wildcard') next.push(...(Array.isArray(n) ? n : Object.values(n)));
      else if (t.kind === 'index') {
        if (Array.isArray(n) && t.index < n.length) next.push(n[t.index]);
      } else if (!Array.isArray(n) && t.name in n) next.push((n as Record<string, unknown>)[t.name]);
    }
    cur = next;
  }
  return cur;
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
