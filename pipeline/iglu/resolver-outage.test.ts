import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseTarget, type TestDatabase } from '../../emulator/postgres/test-database';
import { schemaKeyToUri } from '../core/schema-key';
import { IgluUnavailableError } from './errors';
import { HttpRepository } from './repositories';
import { Resolver } from './resolver';
import { igluServerConfig } from './server/config';
import { startIgluServer, type RunningIgluServer } from './server/server';
import { PostgresStorage } from './server/storage';
import { DirectorySource, startStaticRegistry, type RunningStaticRegistry } from './server/static-registry';
import { selfDescribingSchema, startFaultProxy, type FaultProxy } from './testing';

const SUPER = '0c4b6a2e-8f1d-4e3a-9b7c-5d2e1f0a9b8c';

describe(`resolver against a live Iglu Server (${testDatabaseTarget()}) and a static registry`, () => {
  let tdb: TestDatabase;
  let iglu: RunningIgluServer;
  let proxy: FaultProxy;
  let stat: RunningStaticRegistry;
  const dir = mkdtempSync(join(tmpdir(), 'furrow-static-'));
  let now = 1_000_000;
  const clock = () => now;

  const publish = async (uri: string, body: Record<string, unknown> = {}, isPublic = true) => {
    const res = await fetch(`${iglu.apiUrl}/schemas?isPublic=${isPublic}`, { method: 'POST', headers: { apikey: SUPER }, body: JSON.stringify(selfDescribingSchema(uri, body)) });
    expect(res.status).toBe(201);
  };
  const writeStatic = (uri: string, body: Record<string, unknown>) => {
    const m = /^iglu:(.+)$/.exec(uri)!;
    const file = join(dir, 'schemas', m[1]!);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify(selfDescribingSchema(uri, body)));
  };
  const server = (opts: { priority?: number; prefixes?: string[]; apikey?: string } = {}) =>
    new HttpRepository({ name: 'server', priority: opts.priority ?? 0, vendorPrefixes: opts.prefixes ?? [] }, { uri: `${proxy.url}/api`, apikey: opts.apikey, timeoutMs: 2000 });
  const staticRepo = (opts: { priority?: number; prefixes?: string[] } = {}) =>
    new HttpRepository({ name: 'static', priority: opts.priority ?? 1, vendorPrefixes: opts.prefixes ?? [] }, { uri: stat.url });

  beforeAll(async () => {
    tdb = await openTestDatabase('resolver');
    await new PostgresStorage(tdb.pool, tdb.schema).setup();
    iglu = await startIgluServer(igluServerConfig({ port: 0, superApiKey: SUPER, database: { url: tdb.url, schema: tdb.schema, poolSize: 2 } }), { logger: pino({ level: 'silent' }) });
    proxy = await startFaultProxy(iglu.url);
    stat = await startStaticRegistry(new DirectorySource(dir));
    await publish('iglu:com.acme/both/jsonschema/1-0-0', { description: 'from server' });
    writeStatic('iglu:com.acme/both/jsonschema/1-0-0', { description: 'from static' });
  }, 180_000); // PGlite's start-up is CPU-bound: seconds when idle, minutes on a saturated machine
  afterAll(async () => {
    await proxy?.stop();
    await stat?.stop();
    await iglu?.stop();
    await tdb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders by vendor prefix first, then ascending priority', async () => {
    const byPriority = await new Resolver([staticRepo({ priority: 1 }), server({ priority: 0 })], { cacheSize: 0 }).lookupSchema('iglu:com.acme/both/jsonschema/1-0-0');
    expect(byPriority.ok && byPriority.schema.description).toBe('from server');
    const byPrefix = await new Resolver([staticRepo({ priority: 9, prefixes: ['com.acme'] }), server({ priority: 0 })], { cacheSize: 0 }).lookupSchema('iglu:com.acme/both/jsonschema/1-0-0');
    expect(byPrefix.ok && byPrefix.schema.description).toBe('from static');
    const otherVendor = await new Resolver([staticRepo({ priority: 9, prefixes: ['com.other'] }), server({ priority: 0 })], { cacheSize: 0 }).lookupSchema('iglu:com.acme/both/jsonschema/1-0-0');
    expect(otherVendor.ok && otherVendor.schema.description).toBe('from server');
  });

  it('reads private schemas only with an API key', async () => {
    await publish('iglu:com.hidden/ev/jsonschema/1-0-0', {}, false);
    const keys = (await (await fetch(`${iglu.apiUrl}/auth/keygen`, { method: 'POST', headers: { apikey: SUPER }, body: JSON.stringify({ vendorPrefix: 'com.hidden' }) })).json()) as { read: string };
    expect((await new Resolver([server()], { cacheSize: 0 }).lookupSchema('iglu:com.hidden/ev/jsonschema/1-0-0')).ok).toBe(false);
    expect((await new Resolver([server({ apikey: keys.read })], { cacheSize: 0 }).lookupSchema('iglu:com.hidden/ev/jsonschema/1-0-0')).ok).toBe(true);
  });

  it('lists versions through the server list route, and by probing a static registry', async () => {
    // Published out of SchemaVer order (the server lists by creation time); the resolver sorts.
    await publish('iglu:com.acme/listed/jsonschema/1-0-0');
    await publish('iglu:com.acme/listed/jsonschema/2-0-0');
    await publish('iglu:com.acme/listed/jsonschema/1-1-0');
    const late = await fetch(`${iglu.apiUrl}/schemas?isPublic=true`, { method: 'POST', headers: { apikey: SUPER }, body: JSON.stringify(selfDescribingSchema('iglu:com.acme/listed/jsonschema/1-0-1')) });
    expect(late.status).toBe(409); // 1-1-0 exists: no more additions to revision 0
    await publish('iglu:com.acme/listed/jsonschema/1-1-1');
    const viaServer = await new Resolver([server()]).listSchemas('com.acme', 'listed', 1);
    expect(viaServer.ok && viaServer.keys.map(schemaKeyToUri)).toEqual(['iglu:com.acme/listed/jsonschema/1-0-0', 'iglu:com.acme/listed/jsonschema/1-1-0', 'iglu:com.acme/listed/jsonschema/1-1-1']);
    for (const v of ['1-0-0', '1-0-1', '1-1-0', '1-1-1']) writeStatic(`iglu:com.stat/listed/jsonschema/${v}`, {});
    const resolver = new Resolver([staticRepo()]);
    expect(schemaKeyToUri((await resolver.latestSchemaKey('com.stat', 'listed', 1))!)).toBe('iglu:com.stat/listed/jsonschema/1-1-1');
    expect(await resolver.latestSchemaKey('com.stat', 'listed', 2)).toBeUndefined();
  });

  it('survives the server going down mid-test: cached successes stay, unknown keys are unavailable (not bad rows), misses stay cached until TTL', async () => {
    await publish('iglu:com.acme/cached/jsonschema/1-0-0');
    await publish('iglu:com.acme/uncached/jsonschema/1-0-0');
    const resolver = new Resolver([server(), staticRepo()], { cacheSize: 100, cacheTtl: 60, now: clock });

    expect((await resolver.lookupSchema('iglu:com.acme/cached/jsonschema/1-0-0')).ok).toBe(true);
    const missing = await resolver.lookupSchema('iglu:com.acme/later/jsonschema/1-0-0');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.lookupHistory.map((h) => [h.repository, h.errors])).toEqual([
      ['server', [{ error: 'NotFound' }]],
      ['static', [{ error: 'NotFound' }]],
    ]);

    proxy.mode = 'reset';
    const before = proxy.requests.length;
    expect((await resolver.lookupSchema('iglu:com.acme/cached/jsonschema/1-0-0')).ok).toBe(true);
    expect(proxy.requests.length).toBe(before); // served from cache

    const err = await resolver.lookupSchema('iglu:com.acme/uncached/jsonschema/1-0-0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IgluUnavailableError);
    const history = (err as IgluUnavailableError).resolution.lookupHistory;
    expect(history.find((h) => h.repository === 'server')!.errors[0]).toMatchObject({ error: 'RepoFailure' });
    expect(history.find((h) => h.repository === 'static')!.errors).toEqual([{ error: 'NotFound' }]);

    // Past the TTL the cached success is refreshed, the refresh fails, and the success is kept.
    now += 61_000;
    const refreshed = proxy.requests.length;
    expect((await resolver.lookupSchema('iglu:com.acme/cached/jsonschema/1-0-0')).ok).toBe(true);
    expect(proxy.requests.length).toBe(refreshed + 1);

    proxy.mode = '503';
    now += 61_000;
    const e503 = await resolver.lookupSchema('iglu:com.acme/uncached/jsonschema/1-0-0').catch((e: unknown) => e);
    expect((e503 as IgluUnavailableError).resolution.lookupHistory.find((h) => h.repository === 'server')!.errors).toEqual(
      expect.arrayContaining([{ error: 'RepoFailure', message: 'Unexpected server response: 503' }]),
    );

    // Back up: the unavailable key resolves once its back-off has passed.
    proxy.mode = 'up';
    now += 61_000;
    expect((await resolver.lookupSchema('iglu:com.acme/uncached/jsonschema/1-0-0')).ok).toBe(true);

    // A miss stays cached until the TTL even after the schema is published.
    now += 61_000;
    const fresh = await resolver.lookupSchema('iglu:com.acme/later/jsonschema/1-0-0');
    expect(fresh.ok).toBe(false);
    await publish('iglu:com.acme/later/jsonschema/1-0-0');
    const sawRequests = proxy.requests.length;
    expect((await resolver.lookupSchema('iglu:com.acme/later/jsonschema/1-0-0')).ok).toBe(false);
    expect(proxy.requests.length).toBe(sawRequests);
    now += 61_000;
    expect((await resolver.lookupSchema('iglu:com.acme/later/jsonschema/1-0-0')).ok).toBe(true);
  });
});
