import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSchemaKey, schemaKeyToUri } from '../core/schema-key';
import { IgluClient } from './client';
import { IgluUnavailableError, ResolverConfigError, type RegistryError } from './errors';
import { EmbeddedRepository, InMemoryRepository, type RepoResult, type Repository } from './repositories';
import { Resolver, retryBackoffMs } from './resolver';
import { defaultResolverConfig, parseResolverConfig, resolverFromConfig } from './resolver-config';
import { selfDescribingSchema } from './testing';

/** A repository whose answers the test scripts, counting calls. */
class ScriptedRepository implements Repository {
  calls = 0;
  answer: (uri: string) => RepoResult<Record<string, unknown>> = () => ({ ok: false, error: { error: 'NotFound' } });
  readonly local = false;
  constructor(
    readonly name: string,
    readonly priority: number,
    readonly vendorPrefixes: string[] = [],
    readonly classPriority = 100,
  ) {}
  async lookup(key: Parameters<Repository['lookup']>[0]) {
    this.calls++;
    return this.answer(schemaKeyToUri(key));
  }
  async list(): Promise<RepoResult<never>> {
    return { ok: false, error: { error: 'NotFound' } };
  }
}

const schemaFrom = (repo: string) => (uri: string) => ({ ok: true as const, value: selfDescribingSchema(uri, { description: repo }) });
const down: RegistryError = { error: 'RepoFailure', message: 'connection refused' };

describe('Resolver ordering', () => {
  it('consults vendor-prefix matches first, then class, then ascending priority', () => {
    const a = new ScriptedRepository('a', 5);
    const b = new ScriptedRepository('b', 1);
    const c = new ScriptedRepository('c', 9, ['com.acme']);
    const embedded = new ScriptedRepository('embedded', 50, [], 2);
    const r = new Resolver([a, b, c, embedded]);
    expect(r.prioritize('com.acme.web').map((x) => x.name)).toEqual(['c', 'embedded', 'b', 'a']);
    expect(r.prioritize('org.other').map((x) => x.name)).toEqual(['embedded', 'b', 'a', 'c']);
  });

  it('property: the first repository in priority order that has the schema answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        async (priorities, has) => {
          const repos = priorities.map((p, i) => {
            const r = new ScriptedRepository(`r${i}`, p);
            if (has[i]) r.answer = schemaFrom(r.name);
            return r;
          });
          const res = await new Resolver(repos, { cacheSize: 0 }).lookupSchema('iglu:com.acme/x/jsonschema/1-0-0');
          const expected = [...repos].sort((x, y) => x.priority - y.priority).find((r, _i) => has[repos.indexOf(r)]);
          if (!expected) expect(res.ok).toBe(false);
          else expect(res.ok && res.schema.description).toBe(expected.name);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses duplicate repository names', () => {
    expect(() => new Resolver([new ScriptedRepository('x', 0), new ScriptedRepository('x', 1)])).toThrow(/unique/);
  });
});

describe('Resolver cache', () => {
  const uri = 'iglu:com.acme/x/jsonschema/1-0-0';

  it('caches a miss until the TTL, then asks again', async () => {
    let now = 1_000_000;
    const repo = new ScriptedRepository('r', 0);
    const r = new Resolver([repo], { cacheSize: 10, cacheTtl: 60, now: () => now });
    const miss = await r.lookupSchema(uri);
    expect(miss).toMatchObject({ ok: false, error: { error: 'ResolutionError', lookupHistory: [{ repository: 'r', errors: [{ error: 'NotFound' }], attempts: 1 }] } });
    repo.answer = schemaFrom('r');
    now += 30_000;
    expect((await r.lookupSchema(uri)).ok).toBe(false);
    expect(repo.calls).toBe(1);
    now += 31_000;
    expect((await r.lookupSchema(uri)).ok).toBe(true);
    expect(repo.calls).toBe(2);
  });

  it('keeps a cached success through an outage after the TTL', async () => {
    let now = 0;
    const repo = new ScriptedRepository('r', 0);
    repo.answer = schemaFrom('v1');
    const r = new Resolver([repo], { cacheSize: 10, cacheTtl: 10, now: () => now });
    expect((await r.lookupSchema(uri)).ok).toBe(true);
    repo.answer = () => ({ ok: false, error: down });
    now += 11_000;
    const kept = await r.lookupSchema(uri);
    expect(kept.ok && kept.schema.description).toBe('v1');
    expect(repo.calls).toBe(2); // it did try to refresh
  });

  it('throws IgluUnavailableError (not a not-found) when a repository fails and nothing is cached, and backs off', async () => {
    let now = 0;
    const failing = new ScriptedRepository('failing', 0);
    failing.answer = () => ({ ok: false, error: down });
    const empty = new ScriptedRepository('empty', 1);
    const r = new Resolver([failing, empty], { cacheSize: 10, cacheTtl: 600, now: () => now });
    const err = await r.lookupSchema(uri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IgluUnavailableError);
    expect((err as IgluUnavailableError).resolution.lookupHistory).toEqual([
      { repository: 'empty', errors: [{ error: 'NotFound' }], attempts: 1, lastAttempt: new Date(0).toISOString() },
      { repository: 'failing', errors: [down], attempts: 1, lastAttempt: new Date(0).toISOString() },
    ]);
    // Inside the back-off window the failing repository is not asked again.
    now += 100;
    await expect(r.lookupSchema(uri)).rejects.toBeInstanceOf(IgluUnavailableError);
    expect(failing.calls).toBe(1);
    // After it, it is; once it answers, the schema is served.
    now += retryBackoffMs(1) + 1;
    failing.answer = schemaFrom('failing');
    expect((await r.lookupSchema(uri)).ok).toBe(true);
    expect(failing.calls).toBe(2);
    expect(empty.calls).toBe(1);
  });

  it('serves concurrent lookups of one key with one repository call', async () => {
    const repo = new ScriptedRepository('r', 0);
    repo.answer = schemaFrom('r');
    const r = new Resolver([repo]);
    const all = await Promise.all(Array.from({ length: 20 }, () => r.lookupSchema(uri)));
    expect(all.every((x) => x.ok)).toBe(true);
    expect(repo.calls).toBe(1);
  });

  it('evicts the least recently used entry beyond cacheSize', async () => {
    const repo = new ScriptedRepository('r', 0);
    repo.answer = schemaFrom('r');
    const r = new Resolver([repo], { cacheSize: 2 });
    for (const n of ['a', 'b', 'a', 'c', 'a']) await r.lookupSchema(`iglu:com.acme/${n}/jsonschema/1-0-0`);
    expect(repo.calls).toBe(3); // a, b, c fetched; a stayed hot
    await r.lookupSchema('iglu:com.acme/b/jsonschema/1-0-0');
    expect(repo.calls).toBe(4); // b was evicted
  });

  it('follows $supersededBy when asked to', async () => {
    const mem = new InMemoryRepository({ name: 'mem', priority: 0, vendorPrefixes: [] }, [
      selfDescribingSchema('iglu:com.acme/s/jsonschema/1-0-0', { $supersededBy: '1-0-1' }),
      selfDescribingSchema('iglu:com.acme/s/jsonschema/1-0-1', { properties: { id: { type: 'string' }, extra: { type: 'integer' } } }),
    ]);
    const client = new IgluClient(new Resolver([mem]));
    const ok = await client.validateSelfDescribing({ schema: 'iglu:com.acme/s/jsonschema/1-0-0', data: { extra: 1 } });
    expect(ok).toMatchObject({ ok: true, supersededBy: '1-0-1', validatedWith: 'iglu:com.acme/s/jsonschema/1-0-1' });
    const bad = await client.validateSelfDescribing({ schema: 'iglu:com.acme/s/jsonschema/1-0-0', data: { extra: 'x' } });
    expect(bad).toMatchObject({ ok: false, violation: { error: { error: 'ValidationError', supersededBy: '1-0-1' } } });
  });
});

describe('Embedded repositories and resolver-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'furrow-iglu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the static layout from a folder, and lists and probes versions', async () => {
    for (const v of ['1-0-0', '1-0-1', '1-1-0', '2-0-0']) {
      mkdirSync(join(dir, 'schemas/com.acme/ev/jsonschema'), { recursive: true });
      writeFileSync(join(dir, 'schemas/com.acme/ev/jsonschema', v), JSON.stringify(selfDescribingSchema(`iglu:com.acme/ev/jsonschema/${v}`)));
    }
    writeFileSync(join(dir, 'schemas/com.acme/ev/jsonschema/1-0-2'), '{not json');
    const repo = new EmbeddedRepository({ name: 'dir', priority: 0, vendorPrefixes: [] }, dir);
    const r = new Resolver([repo]);
    expect((await r.lookupSchema('iglu:com.acme/ev/jsonschema/1-1-0')).ok).toBe(true);
    const list = await r.listSchemas('com.acme', 'ev', 1);
    expect(list.ok && list.keys.map(schemaKeyToUri)).toEqual(['iglu:com.acme/ev/jsonschema/1-0-0', 'iglu:com.acme/ev/jsonschema/1-0-1', 'iglu:com.acme/ev/jsonschema/1-0-2', 'iglu:com.acme/ev/jsonschema/1-1-0']);
    expect(schemaKeyToUri((await r.latestSchemaKey('com.acme', 'ev', 2))!)).toBe('iglu:com.acme/ev/jsonschema/2-0-0');
    // An unreadable file is a repository failure, i.e. unavailable, never a silent not-found.
    await expect(r.lookupSchema('iglu:com.acme/ev/jsonschema/1-0-2')).rejects.toBeInstanceOf(IgluUnavailableError);
  });

  it('builds a resolver from a resolver-config 1-0-3 document and rejects invalid ones by field', () => {
    const cfg = defaultResolverConfig([{ name: 'Acme', priority: 5, vendorPrefixes: ['com.acme'], connection: { http: { uri: 'http://127.0.0.1:1/api', apikey: null } } }]);
    const r = resolverFromConfig(cfg);
    expect(r.repositories.map((x) => x.name)).toEqual(['Furrow core schemas', 'Acme']);
    expect(() => parseResolverConfig({ schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3', data: { repositories: [] } })).toThrow(/cacheSize/);
    expect(() => parseResolverConfig({ schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/2-0-0', data: {} })).toThrow(ResolverConfigError);
    const dup = defaultResolverConfig([{ name: 'Furrow core schemas', priority: 1, vendorPrefixes: [], connection: { embedded: { path: dir } } }]);
    expect(() => parseResolverConfig(dup)).toThrow(/unique/);
    const noConn = { schema: cfg.schema, data: { cacheSize: 5, repositories: [{ name: 'x', priority: 0, vendorPrefixes: [], connection: {} }] } };
    expect(() => parseResolverConfig(noConn)).toThrow(ResolverConfigError);
  });

  it('validates the core tracker-protocol schemas from the embedded registry', async () => {
    const client = IgluClient.fromResolverConfig();
    const ok = await client.validateSelfDescribing({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{ e: 'pv', p: 'web', tv: 'js-3' }] });
    expect(ok.ok).toBe(true);
    const bad = await client.validateSelfDescribing({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{ e: 'pv', p: 'web', tv: 3, cv: 'x' }] });
    expect(bad.ok === false && bad.violation).toMatchObject({
      schemaKey: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
      error: {
        error: 'ValidationError',
        dataReports: expect.arrayContaining([
          expect.objectContaining({ keyword: 'additionalProperties', path: '$[0]', targets: ['cv'] }),
          expect.objectContaining({ keyword: 'type', path: '$[0].tv', targets: ['integer', 'string'] }),
        ]),
      },
    });
    const notIglu = await client.validateSelfDescribing({ schema: 'iglu:com.acme/x/jsonschema/1-0', data: {} });
    expect(notIglu).toMatchObject({ ok: false, kind: 'NotIglu', violation: { error: 'INVALID_SCHEMAVER' } });
    const ctx = await client.validateContexts({
      schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1',
      data: [{ schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: '6c4f2a1e-9b8d-4c7e-a5f3-2e1d0c9b8a7f' } }, { schema: 'iglu:com.acme/missing/jsonschema/1-0-0', data: {} }],
    });
    expect(ctx.entities).toHaveLength(1);
    expect(ctx.violations).toEqual([expect.objectContaining({ schemaKey: 'iglu:com.acme/missing/jsonschema/1-0-0', error: expect.objectContaining({ error: 'ResolutionError' }) })]);
    const mismatch = await client.validateUnstructEvent({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [] });
    expect(mismatch.violations).toEqual([{ schemaKey: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', schemaCriterion: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-*' }]);
    expect(parseSchemaKey(ok.ok ? ok.validatedWith : '').name).toBe('payload_data');
  });
});
