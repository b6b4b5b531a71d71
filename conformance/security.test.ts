/**
 * Security (issue #9):
 *  - the Iglu Server's auth matrix, one table: every caller (no key, empty, malformed, unknown, read and
 *    write keys of the schema's vendor and of another vendor, a revoked key, the super key) against every
 *    operation (public and private reads, lists, drafts, validation, publish POST/PUT public and private,
 *    in the key's vendor, a sibling prefix, a sub-vendor and another vendor, keygen, revoke, DELETE);
 *  - schema vendor/name values that try SQL injection: refused by the SchemaKey grammar at the Iglu
 *    Server, in Enrich and in the loader (which dead-letters the window and leaves atomic.events as it
 *    was, on Postgres and on the Snowflake emulator); awkward names the grammar allows (upper case,
 *    dashes, dots, SQL keywords, `--`, 150-character names) load into quoted columns with values intact;
 *  - registry lookups never leave the `schemas/` folder, whatever vendor an event names (`..`);
 *  - the collector's limits hold under slowloris clients (headers a byte at a time, idle sockets, slow
 *    bodies, keep-alive hogs, more connections than maxConnections): normal requests keep being served
 *    and every slow connection is closed by the collector's timeouts.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseTarget, type TestDatabase } from '../emulator/postgres/test-database';
import { startSnowflakeEmulator, type RunningSnowflakeEmulator } from '../emulator/snowflake/index';
import { connectSdk, type SdkConnection } from '../emulator/snowflake/test-helpers';
import { harness, type Harness, type TestCollector } from '../pipeline/collector/testkit';
import { decodeCollectorPayload } from '../pipeline/core/collector-payload';
import { IgluParseError, META_SCHEMA_URI, parseSchemaKey, VENDOR_PATTERN, NAME_PATTERN } from '../pipeline/core/schema-key';
import { postgresColumnName, transformSchema, type SnowplowEntity } from '../pipeline/core/wide-row';
import { enrichPayload } from '../pipeline/enrich/pipeline';
import { testIgluClient, testSettings, tp2Post } from '../pipeline/enrich/testing';
import { EmbeddedRepository, HttpRepository } from '../pipeline/iglu/repositories';
import { igluServerConfig } from '../pipeline/iglu/server/config';
import { startIgluServer, type RunningIgluServer } from '../pipeline/iglu/server/server';
import { PostgresStorage } from '../pipeline/iglu/server/storage';
import { DirectorySource, startStaticRegistry } from '../pipeline/iglu/server/static-registry';
import { selfDescribingSchema } from '../pipeline/iglu/testing';
import { startLoader, type RunningLoader } from '../pipeline/loader/main';
import type { WindowEvent } from '../pipeline/loader/loader';
import { createQueues, nextWindows, pipelineConfig, send, wideRowEvent, writeWindow, type Entity } from '../pipeline/loader/testkit';
import { emulatorSettings, s3Client, sqsClient } from '../pipeline/streams/aws-clients';
import { conformanceProfile } from './report/profile';
import { checkInvariant } from './report/recorder';
import { exchange, request } from './raw-http';

const profile = conformanceProfile();
const SEED = profile.seed;
console.log(`security: profile ${profile.size}, seed ${SEED} (replay: npm run conformance -- --seed ${SEED} security)`);

const SUPER = '7f3c1a2e-9b4d-4e6f-8a1c-2d3e4f5a6b7c';
const silent = pino({ level: 'silent' });

let tdb: TestDatabase;
let iglu: RunningIgluServer;
let h: Harness;

beforeAll(async () => {
  tdb = await openTestDatabase('security');
  const storage = new PostgresStorage(tdb.pool, tdb.schema);
  await storage.setup();
  iglu = await startIgluServer(igluServerConfig({ port: 0, superApiKey: SUPER, database: { url: tdb.url, schema: tdb.schema, poolSize: 2 } }), { logger: silent });
  h = await harness();
}, 180_000);

afterAll(async () => {
  await iglu?.stop();
  await h?.stop();
  await tdb?.close();
});

interface Reply {
  status: number;
  body: any;
}
async function call(method: string, path: string, opts: { key?: string; body?: unknown } = {}): Promise<Reply> {
  const res = await fetch(`${iglu.url}${path}`, {
    method,
    headers: { ...(opts.key !== undefined ? { apikey: opts.key } : {}), 'content-type': 'application/json' },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}
const publish = (uri: string, key: string | undefined, isPublic = true) => call('POST', `/api/schemas?isPublic=${isPublic}`, { key, body: selfDescribingSchema(uri) });

// ---------------------------------------------------------------------------------------------------------
// Iglu Server auth matrix

describe('security: Iglu Server auth matrix', () => {
  it('every caller × operation gets exactly the status its permission allows (table)', async () => {
    const PRIVATE = 'iglu:com.fz/secret/jsonschema/1-0-0';
    const PUBLIC = 'iglu:com.fz.pub/page/jsonschema/1-0-0';
    expect((await publish(PUBLIC, SUPER)).status).toBe(201);
    expect((await publish(PRIVATE, SUPER, false)).status).toBe(201);
    expect((await call('PUT', '/api/drafts/com.fz/draft/jsonschema/1?isPublic=false', { key: SUPER, body: { type: 'object' } })).status).toBe(201);
    const keygen = async (vendorPrefix: string) => (await call('POST', '/api/auth/keygen', { key: SUPER, body: { vendorPrefix } })).body as { read: string; write: string };
    const own = await keygen('com.fz');
    const other = await keygen('com.other');
    const revoked = await keygen('com.fz');
    expect((await call('DELETE', `/api/auth/keygen?key=${revoked.write}`, { key: SUPER })).status).toBe(200);

    const actors: Record<string, string | undefined> = {
      'no key': undefined,
      'empty key': '',
      'malformed key': "' OR '1'='1",
      'unknown key': randomUUID(),
      'read key, own vendor': own.read,
      'read key, other vendor': other.read,
      'write key, own vendor': own.write,
      'write key, other vendor': other.write,
      'revoked write key': revoked.write,
      'super key': SUPER,
      'super key, upper case': SUPER.toUpperCase(),
    };
    const names = Object.keys(actors);
    const slug = (a: string) => a.replace(/[^a-z]+/gi, '_').toLowerCase();
    const includes = (r: Reply, uri: string) => (r.status === 200 ? (Array.isArray(r.body) && r.body.includes(uri) ? 'listed' : 'hidden') : String(r.status));
    // Expected outcome per operation: a default, then the callers that differ from it.
    const readers = ['read key, own vendor', 'write key, own vendor', 'super key', 'super key, upper case'];
    const ownWriters = ['write key, own vendor', 'super key', 'super key, upper case'];
    const supers = ['super key', 'super key, upper case'];
    const expectFor = (dflt: string, ...overrides: [string[], string][]) => (actor: string) => overrides.find(([who]) => who.includes(actor))?.[1] ?? dflt;
    type Op = { op: string; run: (key: string | undefined, actor: string) => Promise<string>; expected: (actor: string) => string };
    const st = async (p: Promise<Reply>) => String((await p).status);
    const ops: Op[] = [
      { op: 'GET a public schema', run: (k) => st(call('GET', '/api/schemas/com.fz.pub/page/jsonschema/1-0-0', { key: k })), expected: expectFor('200') },
      { op: 'GET a private schema', run: (k) => st(call('GET', '/api/schemas/com.fz/secret/jsonschema/1-0-0', { key: k })), expected: expectFor('404', [readers, '200'], [['malformed key'], '400']) },
      { op: 'GET a private schema (repr=meta)', run: (k) => st(call('GET', '/api/schemas/com.fz/secret/jsonschema/1-0-0?repr=meta', { key: k })), expected: expectFor('404', [readers, '200'], [['malformed key'], '400']) },
      { op: 'list all schemas', run: async (k) => includes(await call('GET', '/api/schemas', { key: k }), PRIVATE), expected: expectFor('hidden', [readers, 'listed'], [['malformed key'], '400']) },
      { op: "list the private schema's vendor", run: async (k) => includes(await call('GET', '/api/schemas/com.fz', { key: k }), PRIVATE), expected: expectFor('404', [readers, 'listed'], [['malformed key'], '400']) },
      {
        op: 'validate an instance against a private schema',
        run: (k) => st(call('POST', '/api/validation/validate/instance', { key: k, body: { schema: PRIVATE, data: { id: 'x' } } })),
        expected: expectFor('404', [readers, '200'], [['malformed key'], '400']),
      },
      { op: 'GET a private draft', run: (k) => st(call('GET', '/api/drafts/com.fz/draft/jsonschema/1', { key: k })), expected: expectFor('404', [readers, '200'], [['malformed key'], '400']) },
      {
        op: 'list drafts',
        run: async (k) => {
          const r = await call('GET', '/api/drafts', { key: k });
          return r.status === 200 ? ((r.body as { self: { name: string } }[]).some((d) => d.self.name === 'draft') ? 'listed' : 'hidden') : String(r.status);
        },
        expected: expectFor('hidden', [readers, 'listed'], [['malformed key'], '400']),
      },
      { op: 'POST a public schema, own vendor', run: (k, a) => st(publish(`iglu:com.fz/pub_${slug(a)}/jsonschema/1-0-0`, k)), expected: expectFor('403', [ownWriters, '201'], [['malformed key'], '400']) },
      { op: 'POST a private schema, own vendor', run: (k, a) => st(publish(`iglu:com.fz/priv_${slug(a)}/jsonschema/1-0-0`, k, false)), expected: expectFor('403', [ownWriters, '201'], [['malformed key'], '400']) },
      {
        op: 'PUT a schema by path, own vendor',
        run: (k, a) => st(call('PUT', `/api/schemas/com.fz/put_${slug(a)}/jsonschema/1-0-0?isPublic=true`, { key: k, body: { type: 'object' } })),
        expected: expectFor('403', [ownWriters, '201'], [['malformed key'], '400']),
      },
      { op: 'POST in a sub-vendor (com.fz.web)', run: (k, a) => st(publish(`iglu:com.fz.web/s_${slug(a)}/jsonschema/1-0-0`, k)), expected: expectFor('403', [ownWriters, '201'], [['malformed key'], '400']) },
      { op: 'POST in a sibling prefix (com.fzz)', run: (k, a) => st(publish(`iglu:com.fzz/s_${slug(a)}/jsonschema/1-0-0`, k)), expected: expectFor('403', [supers, '201'], [['malformed key'], '400']) },
      {
        op: 'POST in another vendor (com.other)',
        run: (k, a) => st(publish(`iglu:com.other/s_${slug(a)}/jsonschema/1-0-0`, k)),
        expected: expectFor('403', [supers, '201'], [['write key, other vendor'], '201'], [['malformed key'], '400']),
      },
      { op: 'PUT a draft, own vendor', run: (k, a) => st(call('PUT', `/api/drafts/com.fz/d_${slug(a)}/jsonschema/1`, { key: k, body: { type: 'object' } })), expected: expectFor('403', [ownWriters, '201'], [['malformed key'], '400']) },
      { op: 'mint keys (POST /api/auth/keygen)', run: (k) => st(call('POST', '/api/auth/keygen', { key: k, body: { vendorPrefix: 'com.fz' } })), expected: expectFor('403', [supers, '200'], [['malformed key'], '400']) },
      {
        op: 'revoke a key (DELETE /api/auth/keygen)',
        run: async (k) => st(call('DELETE', `/api/auth/keygen?key=${(await keygen('com.victim')).write}`, { key: k })),
        expected: expectFor('403', [supers, '200'], [['malformed key'], '400']),
      },
      { op: 'DELETE a schema (patches off)', run: (k) => st(call('DELETE', '/api/schemas/com.fz.pub/page/jsonschema/1-0-0', { key: k })), expected: expectFor('401', [supers, '405'], [['malformed key'], '400']) },
      {
        op: 'GET /api/meta/server (authInfo.schema)',
        run: async (k) => {
          const r = await call('GET', '/api/meta/server', { key: k });
          return r.status === 200 ? String(r.body.authInfo.schema) : String(r.status);
        },
        expected: expectFor('null', [['read key, own vendor', 'read key, other vendor'], 'READ'], [['write key, own vendor', 'write key, other vendor', ...supers], 'CREATE_VENDOR'], [['malformed key'], '400']),
      },
    ];
    const table: string[] = [];
    const mismatches: string[] = [];
    await checkInvariant({ suite: 'security', invariant: `Iglu Server auth matrix: ${names.length} callers × ${ops.length} operations, each cell the status its permission allows (private schemas and drafts invisible without a read key of their vendor, writes only within the key's vendor prefix, keys minted and revoked only by the super key)`, cases: names.length * ops.length, seed: SEED }, async () => {
      for (const o of ops)
        for (const a of names) {
          const got = await o.run(actors[a], a);
          const want = o.expected(a);
          table.push(`${o.op} | ${a} | ${got}`);
          if (got !== want) mismatches.push(`${o.op} as ${a}: got ${got}, expected ${want}`);
        }
      expect(mismatches).toEqual([]);
      // and nothing an unauthorised caller tried is in the registry
      const all = (await call('GET', '/api/schemas', { key: SUPER })).body as string[];
      for (const a of names.filter((n) => !ownWriters.includes(n))) expect(all).not.toContain(`iglu:com.fz/pub_${slug(a)}/jsonschema/1-0-0`);
    });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------
// SQL injection through schema vendor/name

const HOSTILE_PARTS = [
  `com.acme"; DROP TABLE atomic.events; --`,
  `com.acme'; DROP TABLE atomic.events; --`,
  `x".events; DROP SCHEMA public CASCADE; --`,
  'com.acme;DROP',
  'com acme',
  'com.acme`x`',
  'com.acme)--',
  'com.acme$1',
  'com.acme\u0000',
  'com.acme\n',
  'ÄÖ',
  '"',
  "'",
  '',
  '*',
  '%22',
  'a/b',
  '\\',
  'events/**/',
];
const sqlish = fc.string({ unit: fc.constantFrom(...'aZ0._-"\';`$()/*\\ -\n\u0000é'.split('')), minLength: 0, maxLength: 16 });
const isValidKeyPart = (v: string, n: string) => VENDOR_PATTERN.test(v) && NAME_PATTERN.test(n);

/** Vendor/name pairs the SchemaKey grammar allows but that look dangerous or awkward in SQL. */
const AWKWARD: { vendor: string; name: string }[] = [
  { vendor: 'DROP-TABLE.atomic', name: 'events--' },
  { vendor: '1', name: 'Select' },
  { vendor: 'com.acme', name: 'ORDER' },
  { vendor: '_', name: '_' },
  { vendor: 'com.a-b.c', name: 'x-Y-z' },
];
/** Long names: 162-character columns on Postgres (hashed to 63 by the loader); the Snowflake emulator keeps
 * identifiers in Postgres too and cannot hold more than 63 characters, so it gets a 60-character one. */
const awkwardFor = (kind: 'postgres' | 'snowflake') => [...AWKWARD, kind === 'postgres' ? { vendor: 'A'.repeat(75), name: 'B'.repeat(75) } : { vendor: 'A'.repeat(24), name: 'B'.repeat(24) }];

describe('security: schema vendor/name values that try SQL injection', () => {
  it('the SchemaKey grammar refuses them in Iglu URIs, at the Iglu Server (POST, PUT, drafts, lists) and in Enrich; the registry tables survive', async () => {
    const counts: Record<string, number> = {};
    const rec = { suite: 'security', invariant: 'hostile schema vendor/name (quotes, semicolons, comments, NUL, spaces, slashes, non-ASCII): parseSchemaKey throws, the Iglu Server refuses POST (400) and PUT/draft PUT (4xx), lists never 5xx, Enrich emits a bad row and no event; iglu_schemas intact', cases: 0, seed: SEED, counts };
    await checkInvariant(rec, async () => {
      const before = Number((await tdb.pool.query(`SELECT count(*)::int AS n FROM "${tdb.schema}".iglu_schemas`)).rows[0].n);
      const settings = testSettings({ client: testIgluClient(), uuid: () => randomUUID() });
      const pairs: [string, string][] = [...HOSTILE_PARTS.map((p): [string, string] => [p, 'ok_name']), ...HOSTILE_PARTS.map((p): [string, string] => ['com.acme', p])];
      const generated = fc.sample(fc.tuple(sqlish, sqlish), { seed: SEED, numRuns: profile.runs(20, 400) });
      for (const [vendor, name] of [...pairs, ...generated]) {
        rec.cases++;
        const uri = `iglu:${vendor}/${name}/jsonschema/1-0-0`;
        if (isValidKeyPart(vendor, name)) {
          // grammar-valid: must parse, and its column must be a plain identifier
          expect(parseSchemaKey(uri).vendor).toBe(vendor);
          expect(transformSchema('contexts', vendor, name, 1)).toMatch(/^[a-z0-9_]+$/);
          counts['grammar-valid (column checked)'] = (counts['grammar-valid (column checked)'] ?? 0) + 1;
          continue;
        }
        counts.refused = (counts.refused ?? 0) + 1;
        expect(() => parseSchemaKey(uri), uri).toThrow(IgluParseError);
        const post = await call('POST', '/api/schemas?isPublic=true', { key: SUPER, body: { $schema: META_SCHEMA_URI, self: { vendor, name, format: 'jsonschema', version: '1-0-0' }, type: 'object' } });
        expect([400], `POST ${JSON.stringify(uri)} → ${post.status} ${JSON.stringify(post.body)}`).toContain(post.status);
        const enc = (s: string) => encodeURIComponent(s) || '%20';
        for (const [method, path] of [
          ['PUT', `/api/schemas/${enc(vendor)}/${enc(name)}/jsonschema/1-0-0?isPublic=true`],
          ['PUT', `/api/drafts/${enc(vendor)}/${enc(name)}/jsonschema/1?isPublic=true`],
          ['GET', `/api/schemas/${enc(vendor)}/${enc(name)}`],
          ['GET', `/api/schemas/${enc(vendor)}/${enc(name)}/jsonschema/1-0-0`],
        ] as const) {
          const r = await call(method, path, { key: SUPER, body: method === 'PUT' ? { type: 'object' } : undefined });
          // A write is refused (4xx; URLs resolve `..` segments, so a route may answer 405), a read never fails
          // with a 5xx (a `..` name may resolve to a list the caller may read).
          const refused = r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403;
          expect(method === 'PUT' ? refused : r.status < 500, `${method} ${path} → ${r.status}`).toBe(true);
          counts[`${method} → ${r.status}`] = (counts[`${method} → ${r.status}`] ?? 0) + 1;
        }
        // Enrich: an event naming the schema is a bad row, never an enriched event
        const event = { e: 'ue', p: 'web', tv: 'fz', ue_pr: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: uri, data: {} } }) };
        const out = await enrichPayload(tp2Post([event]), settings);
        expect(out.good).toHaveLength(0);
        expect(out.bad).toHaveLength(1);
      }
      const after = await tdb.pool.query(`SELECT count(*)::int AS n FROM "${tdb.schema}".iglu_schemas`);
      expect(Number(after.rows[0].n)).toBe(before);
      expect((await call('GET', '/api/meta/health/db')).status).toBe(200);
    });
  }, 120_000);

  describe.each(['postgres', 'snowflake'] as const)('loader → %s', (kind) => {
    let sf: RunningSnowflakeEmulator | undefined;
    let sdk: SdkConnection | undefined;
    let sqs: SQSClient;
    let s3: S3Client;
    let loader: RunningLoader;
    let queueUrl: string;
    let schema: string;

    beforeAll(async () => {
      sqs = sqsClient(emulatorSettings(h.emu.endpoint));
      s3 = s3Client(emulatorSettings(h.emu.endpoint));
      const id = randomUUID().slice(0, 8);
      const queues = await createQueues(sqs, s3, `sec-${kind}-${id}`);
      queueUrl = queues.queueUrl;
      let target: Record<string, unknown>;
      if (kind === 'postgres') {
        schema = `${tdb.schema}_atomic`;
        target = { type: 'postgres', url: tdb.url, schema };
      } else {
        sf = await startSnowflakeEmulator({ port: 0, s3: { endpoint: h.emu.endpoint } });
        sdk = await connectSdk(sf.url);
        schema = `atomic_sec_${id}`;
        target = { type: 'snowflake', account: 'furrow', username: 'loader', password: 'secret', accessUrl: sf.url, warehouse: 'compute_wh', database: 'furrow', schema, stage: 'transformed', stageUrl: 's3://furrow/transformed/' };
      }
      const config = pipelineConfig(h.emu.endpoint, {
        queue: queueUrl,
        deadLetterQueue: queues.dlqUrl,
        logLevel: 'silent',
        sqs: { visibilitySeconds: 30, waitTimeSeconds: 1, retryDelaySeconds: 1, maxDeliveries: 2 },
        target,
      });
      loader = await startLoader(config, { logger: silent });
    }, 180_000);

    afterAll(async () => {
      await loader?.stop();
      if (kind === 'postgres') await tdb.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await sdk?.destroy();
      await sf?.stop();
      sqs?.destroy();
      s3?.destroy();
    });

    const query = async (sql: string): Promise<Record<string, unknown>[]> => (kind === 'postgres' ? (await tdb.pool.query(sql)).rows : await sdk!.exec<Record<string, unknown>>(sql));
    const eventsTable = () => (kind === 'postgres' ? `"${schema}".events` : `${schema}.events`);
    const countEvents = async () => Number(Object.values((await query(`SELECT count(*) AS n FROM ${eventsTable()}`))[0]!)[0]);
    const columnNames = async () =>
      (kind === 'postgres'
        ? await query(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'events'`)
        : await query(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'EVENTS' AND table_schema = '${schema.toUpperCase()}'`)
      ).map((r) => String(Object.values(r)[0]).toLowerCase());

    it('hostile schema keys in a window are dead-lettered and atomic.events survives; awkward grammar-valid names load into quoted columns, values intact', async () => {
      const counts: Record<string, number> = {};
      const rec = { suite: 'security', invariant: `loader → ${kind === 'postgres' ? testDatabaseTarget() : 'Snowflake emulator'}: a window naming a hostile schema key is dead-lettered before any SQL, atomic.events keeps its rows and columns; grammar-valid awkward vendor/names (upper case, dashes, dots, SQL keywords, --, ${kind === 'postgres' ? '162-character column hashed to 63' : '60-character column'}) load into their quoted columns with values intact, and so do generated grammar-valid vendor/names`, cases: 0, seed: SEED, counts };
      await checkInvariant(rec, async () => {
        const entity = (vendor: string, name: string, e: SnowplowEntity, i: number): Entity => ({ schema: `iglu:${vendor}/${name}/jsonschema/1-0-0`, entity: e, data: { v: `${i}'); DROP TABLE x; --` } });
        // First an ordinary window so the table exists, then one with every awkward name.
        const names = awkwardFor(kind);
        const awkward = names.map((a, i) => entity(a.vendor, a.name, i % 2 ? 'CONTEXT' : 'SELF_DESCRIBING_EVENT', i));
        const events = awkward.map((e, i) => wideRowEvent(i, [e]));
        const good = await writeWindow(s3, { events, types: awkward.map((e) => ({ schemaKey: e.schema, snowplowEntity: e.entity })) });
        const loaded = nextWindows(loader.loader, 1, 60_000);
        await send(sqs, queueUrl, good);
        const first = (await loaded)[0]!;
        expect(first, JSON.stringify(first)).toMatchObject({ outcome: 'loaded', rows: names.length });
        const columns = await columnNames();
        const rowsBefore = await countEvents();
        expect(rowsBefore).toBe(names.length);
        for (const [i, e] of awkward.entries()) {
          const a = names[i]!;
          const col = transformSchema(e.entity === 'CONTEXT' ? 'contexts' : 'unstruct_event', a.vendor, a.name, 1);
          const physical = kind === 'postgres' ? postgresColumnName(col) : col;
          expect(columns, physical).toContain(physical);
          const quoted = kind === 'postgres' ? `"${physical}"` : `"${physical.toUpperCase()}"`;
          const [row] = await query(`SELECT ${quoted} AS v FROM ${eventsTable()} WHERE txn_id = ${100 + i}`);
          let v = Object.values(row!)[0];
          if (typeof v === 'string') v = JSON.parse(v);
          expect(v).toEqual(e.entity === 'CONTEXT' ? [e.data] : e.data);
          counts['awkward names loaded'] = (counts['awkward names loaded'] ?? 0) + 1;
        }
        rec.cases += names.length;

        // Generated grammar-valid vendor/names (dots, dashes, capitals, digits, lone `_`/`.`): one window, every
        // entity in its own quoted column (or sharing one with the names that snake-case the same), values intact.
        const generated = fc.sample(fc.tuple(fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/), fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/)), { seed: SEED, numRuns: profile.runs(8, 60) });
        const genEntities = generated.map(([v, n], j) => entity(v, n, 'CONTEXT', 1000 + j));
        const genWindow = await writeWindow(s3, { events: genEntities.map((e, j) => wideRowEvent(1000 + j, [e])), types: genEntities.map((e) => ({ schemaKey: e.schema, snowplowEntity: e.entity })) });
        const genLoaded = nextWindows(loader.loader, 1, 60_000);
        await send(sqs, queueUrl, genWindow);
        const genOutcome = (await genLoaded)[0]!;
        expect(genOutcome, JSON.stringify(genOutcome)).toMatchObject({ outcome: 'loaded', rows: generated.length });
        const genColumns = await columnNames();
        for (const [j, [v, n]] of generated.entries()) {
          const col = transformSchema('contexts', v, n, 1);
          const physical = kind === 'postgres' ? postgresColumnName(col) : col;
          expect(genColumns, `${v}/${n}`).toContain(physical);
          const [row] = await query(`SELECT ${kind === 'postgres' ? `"${physical}"` : `"${physical.toUpperCase()}"`} AS v FROM ${eventsTable()} WHERE txn_id = ${1100 + j}`);
          let value = Object.values(row!)[0];
          if (typeof value === 'string') value = JSON.parse(value);
          expect(value, `${v}/${n}`).toEqual([genEntities[j]!.data]);
        }
        rec.cases += generated.length;
        counts['generated names loaded'] = generated.length;
        const rowsAfterGenerated = await countEvents();
        expect(rowsAfterGenerated).toBe(rowsBefore + generated.length);

        // Each hostile key in its own window: every one is dead-lettered, nothing reaches SQL.
        const hostileKeys = [
          ...HOSTILE_PARTS.map((p) => `iglu:${p}/e/jsonschema/1-0-0`),
          ...HOSTILE_PARTS.map((p) => `iglu:com.acme/${p}/jsonschema/1-0-0`),
          `iglu:${'v'.repeat(150)}/${'n'.repeat(150)}/jsonschema/1-0-0`, // grammar-valid, but its column is longer than any warehouse allows
        ];
        // A window can fail before it is dead-lettered (one event per delivery): wait for the dead letters.
        const seen = new Promise<WindowEvent[]>((resolve, reject) => {
          const got: WindowEvent[] = [];
          const timer = setTimeout(() => reject(new Error(`timed out: ${got.filter((e) => e.outcome === 'dead_lettered').length}/${hostileKeys.length} dead-lettered; ${JSON.stringify(got.filter((e) => e.outcome !== 'dead_lettered'))}`)), 120_000);
          const on = (e: WindowEvent) => {
            got.push(e);
            if (e.outcome === 'loaded' || e.outcome === 'already_loaded') counts['hostile windows LOADED'] = (counts['hostile windows LOADED'] ?? 0) + 1;
            if (got.filter((x) => x.outcome === 'dead_lettered').length + (counts['hostile windows LOADED'] ?? 0) >= hostileKeys.length) {
              clearTimeout(timer);
              loader.loader.events.off('window', on);
              resolve(got.filter((x) => x.outcome !== 'failed'));
            }
          };
          loader.loader.events.on('window', on);
        });
        for (const schemaKey of hostileKeys) {
          // The transformer would never write such a key (the message builder validates it): forge the message.
          const w = await writeWindow(s3, { events: [wideRowEvent(999)], types: [] });
          const forged = { ...w, typesInfo: { ...w.typesInfo, types: [{ schemaKey, snowplowEntity: 'CONTEXT' }] } };
          await send(sqs, queueUrl, JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow.storage.rdbloader/shredding_complete/jsonschema/2-0-1', data: forged }));
        }
        const outcomes = await seen;
        rec.cases += hostileKeys.length;
        for (const o of outcomes) {
          expect(o.outcome, JSON.stringify(o)).toBe('dead_lettered');
          counts['hostile windows dead-lettered'] = (counts['hostile windows dead-lettered'] ?? 0) + 1;
        }
        expect(await countEvents()).toBe(rowsAfterGenerated);
        expect((await columnNames()).sort()).toEqual([...genColumns].sort());
      });
    }, 240_000);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Registry lookups stay inside schemas/

describe('security: registry lookups stay inside the schemas/ folder', () => {
  it('a vendor of `..` (allowed by the SchemaKey grammar) reads nothing outside schemas/, from the embedded repository, a static registry or over HTTP', async () => {
    await checkInvariant({ suite: 'security', invariant: 'schema lookups for vendor `.`/`..` (grammar-valid) never read outside the registry\'s schemas/ folder: embedded repository, static registry server, HTTP repository', cases: 3, seed: SEED }, async () => {
      const root = mkdtempSync(join(tmpdir(), 'furrow-traversal-'));
      try {
        // A schema-shaped file one level above schemas/: reachable as schemas/../outside/jsonschema/1-0-0.
        mkdirSync(join(root, 'outside', 'jsonschema'), { recursive: true });
        writeFileSync(join(root, 'outside', 'jsonschema', '1-0-0'), JSON.stringify(selfDescribingSchema('iglu:com.secret/outside/jsonschema/1-0-0')));
        mkdirSync(join(root, 'schemas'), { recursive: true });
        const key = parseSchemaKey('iglu:../outside/jsonschema/1-0-0');
        const ref = { name: 'r', priority: 0, vendorPrefixes: [] };
        const embedded = await new EmbeddedRepository(ref, root).lookup(key);
        expect(embedded.ok, 'embedded repository read a file outside schemas/').toBe(false);
        const registry = await startStaticRegistry(new DirectorySource(root));
        try {
          // raw requests: fetch() would drop the dot segments before sending
          for (const target of ['/schemas/../outside/jsonschema/1-0-0', '/schemas/%2E%2E/outside/jsonschema/1-0-0']) {
            const r = await exchange(registry.port, request('GET', target), { timeoutMs: 5000 });
            expect([400, 404], target).toContain(r.response?.status);
          }
          const viaHttp = await new HttpRepository(ref, { uri: registry.url }).lookup(key);
          expect(viaHttp.ok, 'HTTP repository fetched a path outside schemas/').toBe(false);
        } finally {
          await registry.stop();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Collector under slowloris

describe('security: collector limits under a slowloris client', () => {
  const TIMEOUT_MS = 1500;
  const MAX_CONNECTIONS = 64;
  let c: TestCollector;
  beforeAll(async () => {
    c = await h.start({ networking: { bodyReadTimeoutMs: TIMEOUT_MS, maxConnections: MAX_CONNECTIONS } });
  });

  /** A slow client: write `first`, then one byte of `drip` every `gapMs`, until the server closes. */
  function slowClient(first: string, drip: string, gapMs: number): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      let answer = '';
      let i = 0;
      let timer: NodeJS.Timeout | undefined;
      const socket: Socket = connect(c.running.port, '127.0.0.1', () => {
        if (first) socket.write(first);
        if (drip) timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), gapMs);
      });
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ closedAfterMs: Date.now() - started, answer });
      });
      // never more than a minute, whatever happens
      setTimeout(() => socket.destroy(), 60_000).unref();
    });
  }

  async function normalRequest(marker: string): Promise<number> {
    const r = await exchange(c.running.port, request('GET', `/i?sl=${marker}&e=pv&p=web&tv=sl`), { timeoutMs: 5000 });
    return r.response?.status ?? -1;
  }

  it('slow headers, idle sockets and slow bodies are closed by the timeouts while normal requests are served; keep-alive hogs make room at the limit; beyond maxConnections new sockets are refused, and service recovers', async () => {
    const counts: Record<string, number> = {};
    const rec = { suite: 'security', invariant: `collector (maxConnections ${MAX_CONNECTIONS}, bodyReadTimeoutMs ${TIMEOUT_MS}) under slowloris: every slow connection (headers a byte at a time, idle, partial request line, slow body) is closed within the timeout + slack; normal requests meanwhile get 200 and are recorded; with every slot held by idle keep-alive connections a new client still gets 200; a flood past maxConnections never holds more sockets than the limit, and service recovers`, cases: 0, seed: SEED, counts };
    await checkInvariant(rec, async () => {
      const SLOW = profile.runs(24, 56);
      const kinds = [
        { kind: 'headers a byte at a time', first: 'GET /i?e=pv HTTP/1.1\r\nHost: x\r\n', drip: 'X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n', gap: 100 },
        { kind: 'idle socket', first: '', drip: '', gap: 0 },
        { kind: 'partial request line', first: 'GET /com.snowplowanalytics.snowplow/tp2?e=p', drip: 'v', gap: 200 },
        { kind: 'slow body', first: 'POST /com.snowplowanalytics.snowplow/tp2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n', drip: '[', gap: 100 },
      ];
      const slow = Array.from({ length: SLOW }, (_, i) => kinds[i % kinds.length]!).map((k) => slowClient(k.first, k.drip, k.gap).then((r) => ({ ...k, ...r })));
      rec.cases += SLOW;
      await new Promise((r) => setTimeout(r, 200));
      // Normal traffic while the slow clients hold their sockets.
      const markers = Array.from({ length: profile.runs(10, 60) }, () => randomUUID());
      const statuses: number[] = [];
      for (const m of markers) statuses.push(await normalRequest(m));
      rec.cases += markers.length;
      expect(statuses.every((s) => s === 200), `normal requests during the attack: ${statuses.join(',')}`).toBe(true);
      const closed = await Promise.all(slow);
      const limit = TIMEOUT_MS + 8000; // the timeout, Node's check interval, and a loaded machine's slack
      for (const s of closed) {
        counts[`closed: ${s.kind}`] = (counts[`closed: ${s.kind}`] ?? 0) + 1;
        expect(s.closedAfterMs, `${s.kind} held its socket for ${s.closedAfterMs} ms`).toBeLessThan(limit);
        expect(s.answer === '' || /^HTTP\/1\.1 408 /.test(s.answer), `${s.kind}: ${s.answer.slice(0, 80)}`).toBe(true);
      }
      counts.maxSlowCloseMs = Math.max(...closed.map((s) => s.closedAfterMs));
      const recorded = (await c.readRaw()).map((r) => decodeCollectorPayload(r.data).querystring ?? '');
      for (const m of markers) expect(recorded.filter((q) => q.includes(`sl=${m}`)), m).toHaveLength(1);

      // Keep-alive hogs: every slot taken by a connection that finished a request and idles (idleTimeoutMs is
      // 610 s). At the limit the collector closes idle keep-alive sockets, so a new client still gets in.
      const hogs = await Promise.all(
        Array.from({ length: MAX_CONNECTIONS }, (_, i) =>
          exchange(c.running.port, Buffer.from(`GET /i?e=pv&sl=hog${i} HTTP/1.1\r\nHost: x\r\n\r\n`), { timeoutMs: 10_000, keep: true }),
        ),
      );
      rec.cases += hogs.length;
      expect(hogs.every((x) => x.response?.status === 200)).toBe(true);
      expect(await normalRequest(randomUUID()), 'a new client while keep-alive hogs hold every slot').toBe(200);
      counts.keepAliveHogsClosedToMakeRoom = hogs.filter((x) => x.socket?.destroyed || x.socket?.readableEnded).length;
      for (const x of hogs) x.socket?.destroy();

      // A flood past maxConnections: the collector never holds more than the limit, and recovers.
      const flood = Array.from({ length: MAX_CONNECTIONS + 40 }, () => slowClient('', '', 0));
      await new Promise((r) => setTimeout(r, 300));
      const held = await new Promise<number>((r) => c.running.server.server.getConnections((_e, n) => r(n)));
      counts.socketsHeldDuringFlood = held;
      expect(held).toBeLessThanOrEqual(MAX_CONNECTIONS);
      const floodClosed = await Promise.all(flood);
      rec.cases += flood.length;
      // refused sockets are closed without a byte; admitted idle ones get their 408 from the headers timeout
      counts.floodRefusedAtOnce = floodClosed.filter((f) => f.answer === '').length;
      counts.floodTimedOut408 = floodClosed.filter((f) => /^HTTP\/1\.1 408 /.test(f.answer)).length;
      expect(counts.floodRefusedAtOnce).toBeGreaterThanOrEqual(40);
      expect(counts.floodRefusedAtOnce + counts.floodTimedOut408).toBe(flood.length);
      expect(Math.max(...floodClosed.map((f) => f.closedAfterMs))).toBeLessThan(limit);
      expect(await normalRequest(randomUUID())).toBe(200);
    });
  }, 120_000);
});
