import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulator, type RunningEmulator } from '../aws/index';
import { dynamoDbClient, emulatorSettings, kinesisClient } from '../../pipeline/streams/aws-clients';
import { EnrichedEvent } from '../../pipeline/core/enriched-event';
import { MicroStore } from './store';
import { MicroFeed } from './feed';
import { handleMicro } from './api';

function enrichedTsv(over: Partial<Record<string, string>> = {}): { id: string; tsv: string } {
  const e = new EnrichedEvent();
  const id = randomUUID();
  e.event_id = id;
  e.collector_tstamp = '2026-11-27 12:00:00.000';
  e.v_collector = 'furrow-collector-0.1.0';
  e.v_etl = 'furrow-enrich-0.1.0';
  e.event = 'page_view';
  e.event_vendor = 'com.snowplowanalytics.snowplow';
  e.event_name = 'page_view';
  e.event_format = 'jsonschema';
  e.event_version = '1-0-0';
  e.page_url = 'https://shop.example/checkout';
  e.contexts = JSON.stringify({
    schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
    data: [{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { id: 7 } }],
  });
  for (const [k, v] of Object.entries(over)) e.set(k as never, v ?? null);
  return { id, tsv: e.toTsv() };
}

const badRow = JSON.stringify({
  schema: 'iglu:com.snowplowanalytics.snowplow.badrows/schema_violations/jsonschema/2-0-0',
  data: {
    processor: { artifact: 'furrow-enrich', version: '0.1.0' },
    failure: { timestamp: '2026-11-27T12:00:00Z', messages: [{ schemaKey: 'iglu:com.acme/missing/jsonschema/1-0-0', error: { error: 'ResolutionError' } }] },
    payload: { raw: { vendor: 'com.snowplowanalytics.snowplow', version: 'tp2', parameters: [] }, enriched: {} },
  },
});

describe('Micro-compatible API fed by the real streams', () => {
  let emu: RunningEmulator;
  let kinesis: KinesisClient;
  let dynamodb: DynamoDBClient;
  let feed: MicroFeed;
  let server: Server;
  let base: string;
  const store = new MicroStore();

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    kinesis = kinesisClient(emulatorSettings(emu.endpoint));
    dynamodb = dynamoDbClient(emulatorSettings(emu.endpoint));
    for (const s of ['enriched', 'bad-1', 'bad-2']) await kinesis.send(new CreateStreamCommand({ StreamName: s, ShardCount: 1 }));
    feed = new MicroFeed({ kinesis, dynamodb, store, enrichedStream: 'enriched', badStreams: ['bad-1', 'bad-2'] });
    await feed.start();
    server = createServer((req, res) => {
      void handleMicro(req, res, { store }).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await feed.stop();
    server.close();
    kinesis.destroy();
    dynamodb.destroy();
    await emu.stop();
  });

  it('counts, lists, filters, looks up and resets with Micro\'s response shapes', async () => {
    const a = enrichedTsv();
    const b = enrichedTsv({ event: 'struct', event_name: 'event', page_url: 'https://shop.example/' });
    await kinesis.send(new PutRecordsCommand({ StreamName: 'enriched', Records: [a, b].map((x) => ({ Data: Buffer.from(x.tsv), PartitionKey: x.id })) }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'bad-1', Records: [{ Data: Buffer.from(badRow), PartitionKey: 'k' }] }));

    // ?wait= blocks until the events have arrived through the streams.
    const all = await (await fetch(`${base}/micro/all?wait=3&timeout=10000`)).json();
    expect(all).toEqual({ total: 3, good: 2, bad: 1 });

    const good = (await (await fetch(`${base}/micro/good`)).json()) as { eventType: string; schema: string; contexts: string[]; event: Record<string, unknown> }[];
    expect(good).toHaveLength(2);
    expect(good[0]!.event.event_id).toBe(b.id); // newest first
    expect(good[1]!).toMatchObject({ eventType: 'page_view', schema: 'iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0', contexts: ['iglu:com.acme/user/jsonschema/1-0-0'] });
    expect(good[1]!.event.contexts_com_acme_user_1).toEqual([{ id: 7 }]);

    const filtered = await (await fetch(`${base}/micro/good`, { method: 'POST', body: JSON.stringify({ event_type: 'page_view', contexts: ['iglu:com.acme/user/jsonschema/1-0-0'], limit: 5 }) })).json();
    expect((filtered as { event: { event_id: string } }[]).map((g) => g.event.event_id)).toEqual([a.id]);

    const bad = (await (await fetch(`${base}/micro/bad`)).json()) as { errors: string[]; rawEvent: { vendor: string } }[];
    expect(bad).toHaveLength(1);
    expect(bad[0]!.errors[0]).toMatch(/^schema_violations: /);
    expect(JSON.parse(bad[0]!.errors[1]!).schema).toMatch(/schema_violations/);
    expect(bad[0]!.rawEvent.vendor).toBe('com.snowplowanalytics.snowplow');

    const one = (await (await fetch(`${base}/micro/events/${a.id}`)).json()) as { stages: { enriched: boolean } };
    expect(one.stages.enriched).toBe(true);
    expect((await fetch(`${base}/micro/events/${randomUUID()}`)).status).toBe(404);

    const reset = await fetch(`${base}/micro/reset`);
    expect(await reset.text()).toBe('Reset completed');
    expect(await (await fetch(`${base}/micro/all`)).json()).toEqual({ total: 0, good: 0, bad: 0 });
  });

  it('answers bad requests with 4xx JSON and lists the endpoints on unknown paths', async () => {
    expect((await fetch(`${base}/micro/good`, { method: 'POST', body: '[' })).status).toBe(400);
    expect((await fetch(`${base}/micro/good?limit=-1`)).status).toBe(400);
    expect((await fetch(`${base}/micro/good`, { method: 'POST', body: JSON.stringify({ contexts: 'x' }) })).status).toBe(400);
    const unknown = await fetch(`${base}/micro/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { endpoints: string[] }).endpoints.join(' ')).toMatch(/\/micro\/good/);
    const wait = Date.now();
    expect(await (await fetch(`${base}/micro/all?wait=99&timeout=300`)).json()).toMatchObject({ total: 0 });
    expect(Date.now() - wait).toBeGreaterThanOrEqual(250);
  });
});
