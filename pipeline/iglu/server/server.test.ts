import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseTarget, type TestDatabase } from '../../../emulator/postgres/test-database';
import { selfDescribingSchema } from '../testing';
import { igluServerConfig } from './config';
import { startIgluServer, type RunningIgluServer } from './server';
import { PostgresStorage } from './storage';
import pino from 'pino';

const SUPER = '5a1d7a4e-2c9b-4d6f-9e1a-7b3c8d2e4f60';
const silent = pino({ level: 'silent' });

describe(`Iglu Server REST API on ${testDatabaseTarget()}`, () => {
  let tdb: TestDatabase;
  let iglu: RunningIgluServer;
  let patching: RunningIgluServer;

  const call = async (method: string, path: string, opts: { key?: string; body?: unknown; raw?: string } = {}) => {
    const res = await fetch(`${iglu.url}${path}`, {
      method,
      headers: { ...(opts.key ? { apikey: opts.key } : {}), 'content-type': 'application/json' },
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* text replies */
    }
    return { status: res.status, body, type: res.headers.get('content-type') ?? '' };
  };
  const publish = (uri: string, opts: { key?: string; isPublic?: boolean; body?: Record<string, unknown> } = {}) =>
    call('POST', `/api/schemas?isPublic=${opts.isPublic ?? true}`, { key: opts.key ?? SUPER, body: selfDescribingSchema(uri, opts.body) });

  beforeAll(async () => {
    tdb = await openTestDatabase('iglu');
    const storage = new PostgresStorage(tdb.pool, tdb.schema);
    await storage.setup();
    await storage.setup(); // idempotent
    const base = { port: 0, superApiKey: SUPER, database: { url: tdb.url, schema: tdb.schema, poolSize: 2 }, maxBodyBytes: 64 * 1024 };
    iglu = await startIgluServer(igluServerConfig(base), { logger: silent });
    patching = await startIgluServer(igluServerConfig({ ...base, patchesAllowed: true }), { logger: silent });
  }, 180_000); // PGlite's start-up is CPU-bound: seconds when idle, minutes on a saturated machine
  afterAll(async () => {
    await iglu?.stop();
    await patching?.stop();
    await tdb?.close();
  });

  it('refuses to start when the tables are missing and setup has not run', async () => {
    const other = await openTestDatabase('empty');
    try {
      await expect(startIgluServer(igluServerConfig({ port: 0, database: { url: other.url, schema: other.schema } }), { logger: silent })).rejects.toThrow(/iglu-server setup/);
    } finally {
      await other.close();
    }
  });

  it('answers health and metrics', async () => {
    expect(await call('GET', '/api/meta/health')).toMatchObject({ status: 200, body: 'OK' });
    expect(await call('GET', '/api/meta/health/db')).toMatchObject({ status: 200, body: 'OK' });
    expect((await call('GET', '/health')).status).toBe(200);
    const metrics = await call('GET', '/metrics');
    expect(metrics.body).toMatch(/iglu_http_requests_total\{method="GET",route="\/api\/meta",status="200"\}/);
    const server = await call('GET', '/api/meta/server', { key: SUPER });
    expect(server.body).toMatchObject({ database: 'postgres', patchesAllowed: false, authInfo: { vendor: '', schema: 'CREATE_VENDOR', key: ['CREATE', 'DELETE'] } });
  });

  it('publishes with the super key and serves canonical, meta and uri representations', async () => {
    const created = await publish('iglu:com.acme/page/jsonschema/1-0-0');
    expect(created).toMatchObject({ status: 201, body: { message: 'Schema created', updated: false, location: 'iglu:com.acme/page/jsonschema/1-0-0', status: 201 } });
    const canonical = await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0-0');
    expect(canonical.status).toBe(200);
    expect(Object.keys(canonical.body).slice(0, 2)).toEqual(['$schema', 'self']);
    expect(canonical.body).toMatchObject({ self: { vendor: 'com.acme', name: 'page', format: 'jsonschema', version: '1-0-0' }, type: 'object' });
    const meta = await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0-0?repr=meta');
    expect(meta.body.metadata).toMatchObject({ isPublic: true });
    expect(Date.parse(meta.body.metadata.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0-0?repr=uri')).body).toBe('iglu:com.acme/page/jsonschema/1-0-0');
    expect((await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0-0?repr=nope')).status).toBe(400);
    expect((await call('GET', '/api/schemas/com.acme/page')).body).toEqual(['iglu:com.acme/page/jsonschema/1-0-0']);
    expect((await call('GET', '/api/schemas/com.acme/page/jsonschema/1?repr=canonical')).body[0].self.version).toBe('1-0-0');
    expect(await call('GET', '/api/schemas/com.nobody')).toMatchObject({ status: 404, body: { message: 'No schemas available' } });
  });

  it('enforces version sequencing on publish', async () => {
    const g = 'iglu:com.acme.seq/ev/jsonschema';
    expect((await publish(`${g}/1-0-1`)).status).toBe(409);
    expect((await publish(`${g}/1-0-0`)).status).toBe(201);
    const dup = await publish(`${g}/1-0-0`);
    expect(dup).toMatchObject({ status: 409, body: { message: 'Schema already exists' } });
    expect((await publish(`${g}/1-0-2`)).body.message).toMatch(/Preceding SchemaVer in the group is missing/);
    expect((await publish(`${g}/1-0-1`)).status).toBe(201);
    expect((await publish(`${g}/1-2-0`)).status).toBe(409);
    expect((await publish(`${g}/1-1-0`)).status).toBe(201);
    const stale = await publish(`${g}/1-0-2`);
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/not sequential/);
    expect((await publish(`${g}/3-0-0`)).status).toBe(409);
    expect((await publish(`${g}/2-0-0`)).status).toBe(201);
    // Lists come in publication order, not SchemaVer order.
    expect((await call('GET', '/api/schemas/com.acme.seq/ev')).body).toEqual([`${g}/1-0-0`, `${g}/1-0-1`, `${g}/1-1-0`, `${g}/2-0-0`]);
  });

  it('keeps a group all public or all private', async () => {
    expect((await publish('iglu:com.acme.avail/ev/jsonschema/1-0-0', { isPublic: true })).status).toBe(201);
    const res = await publish('iglu:com.acme.avail/ev/jsonschema/1-0-1', { isPublic: false });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/Cannot add private schema, previous versions are public/);
  });

  it('accepts PUT with a bare body or a matching self, and rejects a mismatch', async () => {
    const bare = await call('PUT', '/api/schemas/com.acme/put/jsonschema/1-0-0?isPublic=true', { key: SUPER, body: { description: 'd', type: 'object' } });
    expect(bare.status).toBe(201);
    const mismatch = await call('PUT', '/api/schemas/com.acme/put/jsonschema/1-0-1?isPublic=true', { key: SUPER, body: selfDescribingSchema('iglu:com.acme/put/jsonschema/1-0-2') });
    expect(mismatch).toMatchObject({ status: 400, body: { uriSchemaKey: 'iglu:com.acme/put/jsonschema/1-0-1', payloadSchemaKey: 'iglu:com.acme/put/jsonschema/1-0-2' } });
    expect((await call('POST', '/api/schemas', { key: SUPER, body: { type: 'object' } })).body.message).toBe('Cannot decode JSON schema');
  });

  it('rejects schemas with lint errors, with a report', async () => {
    const res = await publish('iglu:com.acme/lint/jsonschema/1-0-0', { body: { properties: { a: { type: 'string', minLength: 5, maxLength: 2 } } } });
    expect(res.status).toBe(400);
    expect(res.body.report).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'ERROR', pointer: '/properties/a', message: expect.stringMatching(/minLength/) })]));
    const bad = await publish('iglu:com.acme/lint/jsonschema/1-0-0', { body: { type: 'objec' } });
    expect(bad.status).toBe(400);
  });

  it('requires a write key, and hides private schemas from anyone without a read key for the vendor', async () => {
    expect((await publish('iglu:com.priv/secret/jsonschema/1-0-0', { key: '' })).status).toBe(403);
    expect((await publish('iglu:com.priv/secret/jsonschema/1-0-0', { key: 'not-a-uuid' })).status).toBe(400);
    expect((await publish('iglu:com.priv/secret/jsonschema/1-0-0', { key: '00000000-0000-4000-8000-000000000000' })).status).toBe(403);
    expect((await publish('iglu:com.priv/secret/jsonschema/1-0-0', { isPublic: false })).status).toBe(201);

    const mine = (await call('POST', '/api/auth/keygen', { key: SUPER, body: { vendorPrefix: 'com.priv' } })).body as { read: string; write: string };
    const theirs = (await call('POST', '/api/auth/keygen', { key: SUPER, body: { vendorPrefix: 'com.other' } })).body as { read: string; write: string };
    expect(mine.read).toMatch(/^[0-9a-f-]{36}$/);

    const path = '/api/schemas/com.priv/secret/jsonschema/1-0-0';
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('GET', path, { key: '00000000-0000-4000-8000-000000000000' })).status).toBe(404); // unknown key = anonymous
    expect((await call('GET', path, { key: theirs.read })).status).toBe(404);
    expect((await call('GET', path, { key: mine.read })).status).toBe(200);
    expect((await call('GET', '/api/schemas')).body).not.toContain('iglu:com.priv/secret/jsonschema/1-0-0');
    expect((await call('GET', '/api/schemas', { key: mine.read })).body).toContain('iglu:com.priv/secret/jsonschema/1-0-0');
    expect((await call('POST', '/api/validation/validate/instance', { body: { schema: 'iglu:com.priv/secret/jsonschema/1-0-0', data: {} } })).status).toBe(404);

    // Read keys cannot write; write keys write within their prefix (whole dot-separated parts) only.
    expect((await publish('iglu:com.priv/other/jsonschema/1-0-0', { key: mine.read, isPublic: false })).status).toBe(403);
    expect((await publish('iglu:com.priv/other/jsonschema/1-0-0', { key: mine.write, isPublic: false })).status).toBe(201);
    expect((await publish('iglu:com.priv.web/other/jsonschema/1-0-0', { key: mine.write, isPublic: false })).status).toBe(201);
    expect((await publish('iglu:com.private/other/jsonschema/1-0-0', { key: mine.write })).status).toBe(403);
    expect((await publish('iglu:com.other/x/jsonschema/1-0-0', { key: mine.write })).status).toBe(403);
  });

  it('mints keys only with key permissions, stores them hashed, and revokes them', async () => {
    const pair = (await call('POST', '/api/auth/keygen', { key: SUPER, body: { vendorPrefix: 'com.keys' } })).body as { read: string; write: string };
    expect((await call('POST', '/api/auth/keygen', { key: pair.write, body: { vendorPrefix: 'com.keys' } })).status).toBe(403);
    expect((await call('POST', '/api/auth/keygen', { body: { vendorPrefix: '*' } })).status).toBe(403);
    expect((await call('POST', '/api/auth/keygen', { key: SUPER, body: { prefix: 'x' } })).status).toBe(400);
    const stored = await tdb.pool.query(`SELECT apikey::text AS k FROM "${tdb.schema}".iglu_permissions`);
    const all = stored.rows.map((r) => r.k);
    expect(all).not.toContain(pair.read);
    expect(all).not.toContain(pair.write);

    expect((await publish('iglu:com.keys/a/jsonschema/1-0-0', { key: pair.write, isPublic: false })).status).toBe(201);
    expect((await call('DELETE', `/api/auth/keygen?key=${pair.write}`, { key: pair.write })).status).toBe(403);
    expect((await call('DELETE', `/api/auth/keygen?key=${pair.write}`, { key: SUPER })).status).toBe(200);
    expect((await call('DELETE', `/api/auth/keygen?key=${pair.write}`, { key: SUPER })).status).toBe(404);
    expect((await publish('iglu:com.keys/a/jsonschema/1-0-1', { key: pair.write, isPublic: false })).status).toBe(403);
    expect((await call('GET', '/api/schemas/com.keys/a/jsonschema/1-0-0', { key: pair.read })).status).toBe(200);
  });

  it('validates instances and lints schemas on the validation endpoints', async () => {
    await publish('iglu:com.acme/valid/jsonschema/1-0-0', { body: { required: ['id'] } });
    const good = await call('POST', '/api/validation/validate/instance', { body: { schema: 'iglu:com.acme/valid/jsonschema/1-0-0', data: { id: 'x' } } });
    expect(good).toMatchObject({ status: 200, body: { message: 'Instance is valid iglu:com.acme/valid/jsonschema/1-0-0' } });
    const bad = await call('POST', '/api/validation/validate/instance', { body: { schema: 'iglu:com.acme/valid/jsonschema/1-0-0', data: { id: 'far too long', x: 1 } } });
    expect(bad.body.report).toEqual(
      expect.arrayContaining([
        { message: '$.x: is not defined in the schema and the schema does not allow additional properties', path: '$', keyword: 'additionalProperties', targets: ['x'] },
        expect.objectContaining({ path: '$.id', keyword: 'maxLength', targets: ['10'] }),
      ]),
    );
    expect((await call('POST', '/api/validation/validate/instance', { body: { data: 1 } })).status).toBe(400);
    const lintOk = await call('POST', '/api/validation/validate/schema/jsonschema', { body: selfDescribingSchema('iglu:com.acme/fresh/jsonschema/1-0-0') });
    expect(lintOk.body.message).toMatch(/is a valid self-describing iglu:com.acme\/fresh\/jsonschema\/1-0-0 schema/);
    const lintBad = await call('POST', '/api/validation/validate/schema/jsonschema', { body: { type: 'object' } });
    expect(lintBad.body.report[0]).toMatchObject({ level: 'ERROR', message: expect.stringMatching(/not self-describing/) });
  });

  it('serves drafts with integer versions and no sequencing', async () => {
    expect((await call('PUT', '/api/drafts/com.acme/draft/jsonschema/7?isPublic=true', { key: SUPER, body: { type: 'object' } })).status).toBe(201);
    expect((await call('PUT', '/api/drafts/com.acme/draft/jsonschema/7?isPublic=true', { key: SUPER, body: { type: 'string' } })).status).toBe(200);
    expect((await call('PUT', '/api/drafts/com.acme/draft/jsonschema/8', { body: { type: 'object' } })).status).toBe(403);
    expect((await call('GET', '/api/drafts/com.acme/draft/jsonschema/7')).body).toMatchObject({ self: { version: 7 }, type: 'string' });
    expect((await call('GET', '/api/drafts/com.acme/draft/jsonschema/1-0-0')).status).toBe(400);
    expect((await call('GET', '/api/drafts')).body.length).toBe(1);
  });

  it('records $supersedes and serves $supersededBy on the superseded version', async () => {
    await publish('iglu:com.acme/sup/jsonschema/1-0-0');
    expect((await publish('iglu:com.acme/sup/jsonschema/1-0-1', { body: { $supersedes: ['1-0-0'] } })).status).toBe(201);
    const old = await call('GET', '/api/schemas/com.acme/sup/jsonschema/1-0-0');
    expect(old.body.$supersededBy).toBe('1-0-1');
    expect((await call('GET', '/api/schemas/com.acme/sup/jsonschema/1-0-1')).body.$supersedes).toEqual(['1-0-0']);
    expect((await publish('iglu:com.acme/sup/jsonschema/1-0-2', { body: { $supersedes: ['1-0-3'] } })).status).toBe(400);
  });

  it('allows overwrite and DELETE only when patches are allowed, DELETE only with the super key', async () => {
    await publish('iglu:com.acme/patch/jsonschema/1-0-0');
    expect((await call('DELETE', '/api/schemas/com.acme/patch/jsonschema/1-0-0', { key: SUPER })).status).toBe(405);
    const patchUrl = `${patching.url}/api/schemas?isPublic=true`;
    const again = await fetch(patchUrl, { method: 'POST', headers: { apikey: SUPER }, body: JSON.stringify(selfDescribingSchema('iglu:com.acme/patch/jsonschema/1-0-0', { description: 'patched' })) });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { message: string }).message).toBe('Schema updated');
    expect((await call('GET', '/api/schemas/com.acme/patch/jsonschema/1-0-0')).body.description).toBe('patched');
    expect((await fetch(`${patching.url}/api/schemas/com.acme/patch/jsonschema/1-0-0`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${patching.url}/api/schemas/com.acme/patch/jsonschema/1-0-0`, { method: 'DELETE', headers: { apikey: SUPER } })).status).toBe(200);
    expect((await call('GET', '/api/schemas/com.acme/patch/jsonschema/1-0-0')).status).toBe(404);
  });

  it('answers bad requests with JSON 4xx errors', async () => {
    const big = await call('POST', '/api/schemas', { key: SUPER, raw: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
    expect(big).toMatchObject({ status: 413, body: { message: expect.stringMatching(/larger than the limit/) } });
    const broken = await call('POST', '/api/schemas', { key: SUPER, raw: '{"self":' });
    expect(broken).toMatchObject({ status: 400, body: { message: expect.stringMatching(/not valid JSON/) } });
    expect(await call('GET', '/api/nothing')).toMatchObject({ status: 404, body: { message: 'The endpoint does not exist' } });
    expect((await call('PATCH', '/api/schemas')).status).toBe(405);
    expect((await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0')).status).toBe(400);
    expect((await call('GET', '/api/schemas/com%2/x')).status).toBe(400);
    // names that cannot be a schema's never reach Postgres (a NUL byte there was a 500)
    for (const path of ['/api/schemas/com.acme/pa%00ge', '/api/schemas/com.acme/pa%00ge/jsonschema/1', "/api/schemas/com.acme/x';--"])
      expect((await call('GET', path)).status, path).toBe(400);
    expect((await call('GET', '/api/schemas/com.acme/page/jsonschema/1-0-0')).type).toMatch(/application\/json/);
  });
});
