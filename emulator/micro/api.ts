import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadFilter, GoodFilter, MicroStore } from './store';
import { PROJECT_ROOT } from '../../pipeline/runtime/project';

/** What the Micro API needs from the rest of the laptop pipeline. */
export interface MicroDeps {
  store: MicroStore;
  /** Resolve a schema through the pipeline's Iglu resolver: the schema JSON, or an error text. */
  igluLookup?: (uri: string) => Promise<{ schema: unknown } | { error: unknown }>;
  /** The warehouse row of an event, if loaded. */
  warehouseRow?: (eventId: string) => Promise<Record<string, unknown> | null>;
  /** Per-stage counters and lag for the UI. */
  status?: () => Promise<unknown>;
}

const ENDPOINTS = [
  'GET|POST /micro/all[?wait=N&timeout=MS]',
  'GET|POST /micro/good (filters: event_type, schema, contexts, limit; wait, timeout)',
  'GET|POST /micro/bad (filters: vendor, version, limit; wait, timeout)',
  'GET|POST /micro/reset',
  'GET /micro/iglu/{vendor}/{name}/{format}/{version}',
  'GET /micro/events/{event_id}',
  'GET /micro/status',
  'GET /micro/ui',
];

const MAX_BODY = 64 * 1024;
const MAX_WAIT_MS = 60_000;

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'access-control-allow-origin': '*' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') return {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new HttpError(400, `request body must be a JSON object: ${(err as Error).message}`);
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `${name} must be a non-negative integer`);
  return n;
}

/** Filters come from the JSON body (Micro's POST form) or the query string (GET, a Furrow extension). */
function filters(q: URLSearchParams, body: Record<string, unknown>) {
  const get = (k: string) => (body[k] !== undefined ? body[k] : (q.get(k) ?? undefined));
  const contexts = body.contexts ?? (q.getAll('contexts').length ? q.getAll('contexts').flatMap((c) => c.split(',')) : undefined);
  if (contexts !== undefined && (!Array.isArray(contexts) || contexts.some((c) => typeof c !== 'string')))
    throw new HttpError(400, 'contexts must be an array of schema URIs');
  const str = (k: string) => {
    const v = get(k);
    if (v !== undefined && typeof v !== 'string') throw new HttpError(400, `${k} must be a string`);
    return v as string | undefined;
  };
  return {
    good: { event_type: str('event_type'), schema: str('schema'), contexts: contexts as string[] | undefined, limit: int(get('limit'), 'limit') } as GoodFilter,
    bad: { vendor: str('vendor'), version: str('version'), limit: int(get('limit'), 'limit') } as BadFilter,
    wait: int(get('wait'), 'wait'),
    timeout: Math.min(int(get('timeout'), 'timeout') ?? 10_000, MAX_WAIT_MS),
  };
}

let uiHtml: string | undefined;

/**
 * Snowplow Micro's REST API (same paths and response shapes), plus what Micro's users ask for: waiting
 * until N events have arrived, lookup by event_id with where the event is, and a live UI.
 * Returns false when the path is not under /micro, so a host server can route other paths.
 */
export async function handleMicro(req: IncomingMessage, res: ServerResponse, deps: MicroDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://micro');
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '/micro' && !path.startsWith('/micro/')) return false;
  try {
    const body = await readJson(req);
    const f = filters(url.searchParams, body);
    const { store } = deps;
    switch (path) {
      case '/micro/all':
        if (f.wait !== undefined) await store.waitFor(f.wait, 'all', f.timeout);
        return send(res, 200, store.summary()), true;
      case '/micro/good':
        if (f.wait !== undefined) await store.waitFor(f.wait, 'good', f.timeout);
        return send(res, 200, store.goodEvents(f.good)), true;
      case '/micro/bad':
        if (f.wait !== undefined) await store.waitFor(f.wait, 'bad', f.timeout);
        return send(res, 200, store.badEvents(f.bad)), true;
      case '/micro/reset':
        store.reset();
        return send(res, 200, 'Reset completed', 'text/plain'), true;
      case '/micro/status':
        return send(res, 200, { summary: store.summary(), stages: deps.status ? await deps.status() : null }), true;
      case '/micro/ui':
        uiHtml ??= readFileSync(join(PROJECT_ROOT, 'emulator', 'micro', 'ui.html'), 'utf8');
        return send(res, 200, uiHtml, 'text/html; charset=utf-8'), true;
    }
    const iglu = /^\/micro\/iglu\/([^/]+)\/([^/]+)\/([^/]+)\/([0-9]+-[0-9]+-[0-9]+)$/.exec(path);
    if (iglu) {
      if (!deps.igluLookup) return send(res, 503, { error: 'no Iglu resolver configured' }), true;
      const uri = `iglu:${iglu.slice(1).map(decodeURIComponent).join('/')}`;
      const out = await deps.igluLookup(uri);
      return 'schema' in out ? send(res, 200, out.schema) : send(res, 404, out.error), true;
    }
    const ev = /^\/micro\/events\/([0-9a-fA-F-]{36})$/.exec(path);
    if (ev) {
      const id = ev[1]!.toLowerCase();
      if (f.wait !== undefined) {
        const deadline = Date.now() + f.timeout;
        while (!store.byEventId(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
      const good = store.byEventId(id);
      const row = deps.warehouseRow ? await deps.warehouseRow(id).catch(() => null) : null;
      if (!good && !row) return send(res, 404, { error: `no event with event_id ${id} (yet)`, stages: { enriched: false, loaded: false } }), true;
      return send(res, 200, { event: good ?? null, stages: { collected: true, enriched: Boolean(good), loaded: Boolean(row) }, warehouseRow: row }), true;
    }
    send(res, 404, { error: `unknown Micro endpoint ${path}`, endpoints: ENDPOINTS });
    return true;
  } catch (err) {
    if (err instanceof HttpError) send(res, err.status, { error: err.message });
    else send(res, 500, { error: (err as Error).message });
    return true;
  }
}
