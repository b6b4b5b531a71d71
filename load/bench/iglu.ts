/**
 * `npm run bench -- iglu`: Iglu validation throughput on one core (this process, no workers).
 *
 * A typical tracked event is 7 entity validations: the payload_data 1-0-4 envelope (one event, 25
 * parameters), a contexts 1-0-1 wrapper with 3 entities (web_page + two custom entities), and an
 * unstruct_event wrapper with one custom event. Custom schemas sit in an in-memory repository, core
 * schemas in Furrow's embedded registry, as in the laptop pipeline.
 *
 * Figures: cached validations/s through `IgluClient.validateSelfDescribing` (the public async API:
 * envelope check, resolver cache, compiled-validator cache, report shaping); the same through the
 * resolver's synchronous cache peek (what enrich's hot path does); cold validations/s (a fresh client per
 * event: every schema resolved and compiled); resolver lookups/s on cache hits.
 * Floor/baseline, same run, same entities: bare ajv functions precompiled once and picked from a Map by
 * schema URI — no resolver, no envelope checks, no report shaping. The ratio says what our layer costs.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { IgluClient } from '../../pipeline/iglu/client';
import { EmbeddedRepository, InMemoryRepository, CORE_REGISTRY_ROOT } from '../../pipeline/iglu/repositories';
import { Resolver } from '../../pipeline/iglu/resolver';
import { newAjv } from '../../pipeline/iglu/validator';
import { META_SCHEMA_URI } from '../../pipeline/core/schema-key';
import type { Bench, BenchMetric } from './types';

const GOAL = 100_000;

function custom(name: string, properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return {
    $schema: META_SCHEMA_URI,
    description: `bench ${name}`,
    self: { vendor: 'com.acme', name, format: 'jsonschema', version: '1-0-0' },
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  };
}

const CUSTOM = [
  custom('user', { userId: { type: 'string', maxLength: 64 }, plan: { enum: ['free', 'pro', 'team'] }, age: { type: ['integer', 'null'], minimum: 0, maximum: 150 } }, ['userId']),
  custom(
    'product',
    { sku: { type: 'string', maxLength: 32 }, price: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 10 } },
    ['sku', 'price'],
  ),
  custom('button_click', { id: { type: 'string', maxLength: 64 }, label: { type: ['string', 'null'], maxLength: 255 }, value: { type: 'integer' } }, ['id']),
];

function newClient(): IgluClient {
  const repos = [
    new InMemoryRepository({ name: 'bench schemas', priority: 1, vendorPrefixes: ['com.acme'] }, CUSTOM),
    new EmbeddedRepository({ name: 'Furrow core schemas', priority: 0, vendorPrefixes: [] }, CORE_REGISTRY_ROOT),
  ];
  return new IgluClient(new Resolver(repos, { cacheSize: 500, cacheTtl: 600 }));
}

/** The 7 self-describing documents of one event, i (mod a few) varying values. */
function event(i: number): Array<{ schema: string; data: unknown }> {
  const pd = {
    e: 'ue', tv: 'js-3.24.0', tna: 'sp1', aid: 'shop-web', p: 'web', eid: `3f0c2e4a-1b2c-4d5e-8f90-${String(100000000000 + i).slice(-12)}`,
    dtm: String(1767323000000 + i), stm: String(1767323000100 + i), duid: 'a1b2c3d4-e5f6-4a1b-9c2d-3e4f5a6b7c8d', sid: '0f1e2d3c-4b5a-4968-8776-655443322110',
    vid: '3', lang: 'en-GB', cs: 'UTF-8', res: '1920x1080', vp: '1280x720', ds: '1280x4000', cd: '24', tz: 'Europe/London', cookie: '1',
    url: `https://shop.example.com/products?n=${i}`, refr: 'https://www.google.com/', page: 'Example Shop', ue_px: 'eyJ9', cx: 'eyJ9', uid: `user-${i % 5000}`,
  };
  const webPage = { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: '6c4f2a1e-9b8d-4c7e-a5f3-2e1d0c9b8a7f' } };
  const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: `user-${i % 5000}`, plan: 'pro', age: 20 + (i % 50) } };
  const product = { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: `SKU-${i % 997}`, price: 59.99, tags: ['running', 'trail'] } };
  const click = { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: `btn-${i % 40}`, label: 'Add to basket', value: i % 7 } };
  return [
    { schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [pd] },
    { schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1', data: [webPage, user, product] },
    webPage,
    user,
    product,
    { schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: click },
    click,
  ];
}

/**
 * Run `fn` (which performs `unitsPerCall` units) repeatedly for about `ms` of wall time; units per
 * CPU-second of this process (the machine is shared, so wall-clock rates mostly measure the neighbours).
 */
async function rate(ms: number, unitsPerCall: number, fn: (i: number) => unknown): Promise<{ cpu: number; wall: number }> {
  let i = 0;
  // Warm up first: let the JIT settle on this code path before anything is timed.
  const warmUntil = performance.now() + Math.min(400, ms / 2);
  while (performance.now() < warmUntil) {
    const r = fn(i++);
    if (r instanceof Promise) await r;
  }
  i = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 200; k++) {
      const r = fn(i++);
      if (r instanceof Promise) await r;
    }
    now = performance.now();
  }
  const used = process.cpuUsage(cpu0);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { cpu: (i * unitsPerCall) / cpuSeconds, wall: (i * unitsPerCall) / ((now - start) / 1000) };
}

export const bench: Bench = async ({ quick }) => {
  const ms = quick ? 600 : 3000;
  const corpus = Array.from({ length: 1000 }, (_, i) => event(i));
  const perEvent = corpus[0]!.length;
  const notes: string[] = [
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, one core used; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    `typical event = ${perEvent} entity validations (payload_data 1-0-4 + contexts wrapper with 3 entities + unstruct_event wrapper + its event); ${ms} ms per figure`,
    'floor = bare ajv validators precompiled once, picked from a Map by URI (no resolver, envelope checks or report shaping)',
    'rates are per CPU-second of this process (process.cpuUsage), so other load on the machine does not count against them; wall-clock rates are in the notes',
  ];

  // --- correctness guard: every entity of the corpus is valid, or the figures would measure error paths
  const client = newClient();
  for (const doc of corpus[0]!) {
    const r = await client.validateSelfDescribing(doc);
    if (!r.ok) throw new Error(`bench corpus entity is invalid: ${JSON.stringify(r.violation).slice(0, 300)}`);
  }

  // --- floor: precompiled ajv, Map lookup
  const ajv = newAjv();
  const fns = new Map<string, (d: unknown) => boolean>();
  for (const doc of corpus[0]!) {
    const found = await client.lookupSchema(doc.schema);
    if (!found.ok) throw new Error(`missing ${doc.schema}`);
    const { self: _s, $schema: _m, ...body } = found.schema;
    fns.set(doc.schema, ajv.compile(body) as (d: unknown) => boolean);
  }
  let sink = 0;
  const floor = await rate(ms, perEvent, (i) => {
    for (const doc of corpus[i % corpus.length]!) if (fns.get(doc.schema)!(doc.data)) sink++;
  });

  // --- cached, public async API
  const cached = await rate(ms, perEvent, async (i) => {
    for (const doc of corpus[i % corpus.length]!) if ((await client.validateSelfDescribing(doc)).ok) sink++;
  });

  // --- cached, synchronous peek + compiled validator (enrich's hot path)
  const peekSync = await rate(ms, perEvent, (i) => {
    for (const doc of corpus[i % corpus.length]!) {
      const resolved = client.resolver.peekSchema(doc.schema, true)!;
      const compiled = client.validator.compile(resolved.uri, resolved.schema);
      if (compiled.ok && compiled.validate(doc.data) === null) sink++;
    }
  });

  // --- cold: a fresh client (empty resolver and validator caches) per event
  const cold = await rate(quick ? 600 : 2000, perEvent, async (i) => {
    const fresh = newClient();
    for (const doc of corpus[i % corpus.length]!) if ((await fresh.validateSelfDescribing(doc)).ok) sink++;
  });

  // --- resolver lookups on cache hits
  const uris = corpus[0]!.map((d) => d.schema);
  const lookups = await rate(ms, uris.length, async () => {
    for (const u of uris) if ((await client.resolver.lookupSchema(u)).ok) sink++;
  });
  const peeks = await rate(ms, uris.length, () => {
    for (const u of uris) if (client.resolver.peekSchema(u)) sink++;
  });
  notes.push(`(checksum ${sink % 997}) compiled validators: ${client.validator.compilations}`);
  notes.push(
    `wall-clock rates: floor ${Math.round(floor.wall)}, cached async ${Math.round(cached.wall)}, cached sync ${Math.round(peekSync.wall)}, cold ${Math.round(cold.wall)} validations/s; lookups ${Math.round(lookups.wall)}/s`,
  );

  const m = (name: string, value: number, unit: string, baseline?: { name: string; value: number }, goal?: string, pass?: boolean): BenchMetric => ({
    name,
    value,
    unit,
    ...(baseline ? { baseline, ratio: value / baseline.value } : {}),
    ...(goal ? { goal, pass } : {}),
  });
  const floorRef = { name: 'precompiled bare ajv', value: floor.cpu };
  return {
    stage: 'iglu',
    metrics: [
      m('entity validations per CPU-s, cached (validateSelfDescribing, async)', cached.cpu, 'validations/s', floorRef, `>= ${GOAL.toLocaleString('en-US')} validations/s on one core`, cached.cpu >= GOAL),
      m('entity validations per CPU-s, cached (sync peek + compiled validator)', peekSync.cpu, 'validations/s', floorRef, `>= ${GOAL.toLocaleString('en-US')} validations/s on one core`, peekSync.cpu >= GOAL),
      m('typical events per CPU-s, cached (7 validations each)', cached.cpu / perEvent, 'events/s'),
      m('entity validations per CPU-s, cold (fresh resolver + ajv + compile per event)', cold.cpu, 'validations/s', { name: 'cached validateSelfDescribing', value: cached.cpu }),
      m('resolver lookups per CPU-s, cache hit (lookupSchema, async)', lookups.cpu, 'lookups/s', { name: 'peekSchema (sync)', value: peeks.cpu }),
    ],
    notes,
  };
};
