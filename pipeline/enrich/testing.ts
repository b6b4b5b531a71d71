/**
 * Test and benchmark helpers for Enrich: raw records built with the collector's Thrift codec, an Iglu
 * client on the core schemas plus a few example schemas (written here, not copied), and settings.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCollectorPayload, COLLECTOR_PAYLOAD_SCHEMA, type CollectorPayload } from '../core/collector-payload';
import { META_SCHEMA_URI } from '../core/schema-key';
import { IgluClient } from '../iglu/client';
import { CORE_SCHEMAS_PATH, EmbeddedRepository, InMemoryRepository, embeddedDir, type Repository } from '../iglu/repositories';
import { Resolver } from '../iglu/resolver';
import { EnrichmentRegistry, type Enrichment } from './enrichments/registry';
import { igluClientValidator } from './iglu-adapter';
import { defaultSettings, type EnrichSettings } from './pipeline';
import { BUILTIN_STEPS } from './steps/builtins';

export const TEST_PROCESSOR = { artifact: 'furrow-enrich', version: '0.1.0' };
export const NUID = 'c6ef3124-b53a-4b13-a233-0088f79dcbcb';
export const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
export const PAYLOAD_DATA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
export const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
export const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';

function schema(vendor: string, name: string, version: string, body: Record<string, unknown>): Record<string, unknown> {
  return { $schema: META_SCHEMA_URI, self: { vendor, name, format: 'jsonschema', version }, type: 'object', ...body };
}

/** Example schemas used across the enrich tests, benchmark and conformance suite. */
export const EXAMPLE_SCHEMAS: Array<Record<string, unknown>> = [
  schema('com.acme', 'button_click', '1-0-0', {
    properties: { id: { type: 'string', maxLength: 64 }, label: { type: ['string', 'null'] }, value: { type: 'number' } },
    required: ['id'],
    additionalProperties: false,
  }),
  schema('com.acme', 'user', '1-0-0', {
    properties: { userId: { type: 'string' }, plan: { enum: ['free', 'pro', 'enterprise'] }, age: { type: 'integer', minimum: 0 } },
    required: ['userId'],
    additionalProperties: false,
  }),
  schema('com.acme', 'product', '1-0-0', {
    properties: { sku: { type: 'string' }, price: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['sku'],
    additionalProperties: true,
  }),
  schema('com.acme', 'experiment', '1-0-0', {
    properties: { name: { type: 'string' }, variant: { type: 'string' } },
    required: ['name', 'variant'],
    additionalProperties: false,
  }),
  schema('com.acme', 'old_thing', '1-0-0', { $supersededBy: '1-0-1', properties: { a: { type: 'string' } }, additionalProperties: false }),
  schema('com.acme', 'old_thing', '1-0-1', { properties: { a: { type: 'string' }, b: { type: 'string' } }, additionalProperties: false }),
  schema('com.snowplowanalytics.snowplow', 'uri_redirect', '1-0-0', {
    properties: { uri: { type: 'string', maxLength: 8192 } },
    required: ['uri'],
    additionalProperties: false,
  }),
  schema('com.snowplowanalytics.snowplow', 'web_page', '1-0-0', {
    properties: { id: { type: 'string', format: 'uuid' } },
    required: ['id'],
    additionalProperties: false,
  }),
  schema('com.snowplowanalytics.iglu', 'validation_info', '1-0-0', {
    properties: { originalSchema: { type: 'string' }, validatedWith: { type: 'string' } },
    required: ['originalSchema', 'validatedWith'],
    additionalProperties: false,
  }),
];

/**
 * The example schemas as a static registry on disk (a temp folder; the caller removes it), and a resolver
 * config reading Furrow's core schemas and that folder: what an enrich app started by a test can use.
 */
export function exampleSchemaRegistry(): { dir: string; resolver: Record<string, unknown> } {
  const dir = mkdtempSync(join(tmpdir(), 'furrow-enrich-schemas-'));
  for (const s of EXAMPLE_SCHEMAS) {
    const self = s.self as Record<string, string>;
    const folder = join(dir, 'schemas', self.vendor!, self.name!, self.format!);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, self.version!), JSON.stringify(s));
  }
  const resolver = {
    schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3',
    data: {
      cacheSize: 500,
      cacheTtl: 600,
      repositories: [
        { name: 'core', priority: 0, vendorPrefixes: [], connection: { embedded: { path: CORE_SCHEMAS_PATH } } },
        { name: 'examples', priority: 1, vendorPrefixes: [], connection: { embedded: { path: dir } } },
      ],
    },
  };
  return { dir, resolver };
}

/** Repositories: Furrow's core schemas (embedded) + the example schemas (in memory). */
export function testRepositories(extra: Array<Record<string, unknown>> = []): Repository[] {
  return [
    new EmbeddedRepository({ name: 'Furrow core schemas', priority: 0, vendorPrefixes: [] }, embeddedDir(CORE_SCHEMAS_PATH)),
    new InMemoryRepository({ name: 'Test schemas', priority: 1, vendorPrefixes: [] }, [...EXAMPLE_SCHEMAS, ...extra]),
  ];
}

export function testIgluClient(extra: Array<Record<string, unknown>> = []): IgluClient {
  return new IgluClient(new Resolver(testRepositories(extra), { cacheSize: 500, cacheTtl: null }));
}

export interface TestSettingsOptions extends Partial<EnrichSettings> {
  client?: IgluClient;
  enrichments?: Enrichment[];
}

/** Settings with built-ins only, a deterministic clock and id source unless overridden. */
export function testSettings(o: TestSettingsOptions = {}): EnrichSettings {
  let n = 0;
  const { client, enrichments, ...rest } = o;
  return defaultSettings({
    processor: TEST_PROCESSOR,
    validator: igluClientValidator(client ?? testIgluClient()),
    registry: new EnrichmentRegistry(BUILTIN_STEPS, enrichments ?? []),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...rest,
  });
}

export const COLLECTOR_TSTAMP = Date.UTC(2026, 0, 2, 3, 4, 5, 0);

/** A collector payload as the collector writes it (overrides win). */
export function collectorPayload(p: Partial<CollectorPayload> = {}): CollectorPayload {
  return {
    schema: COLLECTOR_PAYLOAD_SCHEMA,
    ipAddress: '203.0.113.7',
    timestamp: COLLECTOR_TSTAMP,
    encoding: 'UTF-8',
    collector: 'ssc-3.4.0-kinesissink',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Furrow/1.0',
    path: TP2_PATH,
    querystring: '',
    headers: ['Host: collector.example.com', 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Furrow/1.0'],
    networkUserId: NUID,
    ...p,
  };
}

export function rawRecord(p: Partial<CollectorPayload> = {}): Buffer {
  return encodeCollectorPayload(collectorPayload(p));
}

/** A tp2 POST record with these events (values must be strings to be valid). */
export function tp2Post(events: Array<Record<string, unknown>>, p: Partial<CollectorPayload> = {}): Buffer {
  const body = JSON.stringify({ schema: PAYLOAD_DATA, data: events });
  return rawRecord({
    body,
    contentType: 'application/json; charset=utf-8',
    ...p,
    headers: [...(p.headers ?? collectorPayload().headers!), 'application/json; charset=utf-8'],
  });
}

/** A GET record with this querystring on `path` (tp2 by default; `/i` for tp1). */
export function getRecord(query: Record<string, string> | string, p: Partial<CollectorPayload> = {}): Buffer {
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  return rawRecord({ querystring: qs, ...p });
}

export function base64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

export function contextsJson(entities: Array<{ schema: string; data: unknown }>): string {
  return JSON.stringify({ schema: CONTEXTS, data: entities });
}

export function unstructJson(entity: { schema: string; data: unknown }): string {
  return JSON.stringify({ schema: UNSTRUCT, data: entity });
}
