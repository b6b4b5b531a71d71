import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnrichedEvent } from '../../core/enriched-event';
import { enrichPayload } from '../pipeline';
import { EnrichProcessor } from '../processor';
import { base64url, contextsJson, getRecord, testIgluClient, unstructJson } from '../testing';
import { buildEnrichments, inlineSources } from './index';
import { PARENT_EVENT_SCHEMA, PII_TRANSFORMATION_SCHEMA } from './pii';
import { criterionMatcher, parseJsonPath } from './json-path';
import { enrichOne, oracleAccepts, settingsWith } from './testing';

function piiConfig(pii: unknown[], hashFunction = 'SHA-256', salt = 'pepper-1', emitEvent = false) {
  return {
    schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/pii_enrichment_config/jsonschema/2-0-1',
    data: { vendor: 'com.snowplowanalytics.snowplow.enrichments', name: 'pii_enrichment_config', enabled: true, emitEvent, parameters: { pii, strategy: { pseudonymize: { hashFunction, salt } } } },
  };
}
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'alice@example.com', plan: 'pro' } };
const product = { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'SKU-1', tags: ['a@b', 'c'] } };
const EV = { e: 'pv', tv: 't', p: 'web', uid: 'alice@example.com', cx: base64url(contextsJson([user, product])) };

describe('pii_enrichment_config', () => {
  it('hashes atomic fields with the salt (not reversible by an unsalted lookup)', async () => {
    const s = await settingsWith([piiConfig([{ pojo: { field: 'user_id' } }, { pojo: { field: 'user_ipaddress' } }, { pojo: { field: 'se_label' } }])]);
    const { good, bad } = await enrichOne(s, EV, { ipAddress: '203.0.113.7' });
    expect(bad).toBeUndefined();
    expect(good!.user_id).toBe(sha256('alice@example.com' + 'pepper-1'));
    expect(good!.user_id).not.toBe(sha256('alice@example.com'));
    expect(good!.user_ipaddress).toBe(sha256('203.0.113.7pepper-1'));
    expect(good!.se_label).toBeNull();
    const other = await enrichOne(await settingsWith([piiConfig([{ pojo: { field: 'user_id' } }], 'SHA-256', 'other-salt')]), EV);
    expect(other.good!.user_id).not.toBe(good!.user_id);
  });

  it('hashes JSON paths inside entities matching the criterion only', async () => {
    const s = await settingsWith([
      piiConfig([
        { json: { field: 'contexts', schemaCriterion: 'iglu:com.acme/user/jsonschema/1-*-*', jsonPath: '$.userId' } },
        { json: { field: 'contexts', schemaCriterion: 'iglu:com.acme/product/jsonschema/1-0-0', jsonPath: '$.tags[*]' } },
        { json: { field: 'contexts', schemaCriterion: 'iglu:com.acme/user/jsonschema/2-*-*', jsonPath: '$.plan' } },
      ], 'MD5'),
    ]);
    const { good } = await enrichOne(s, EV);
    const ctx = (JSON.parse(good!.contexts!) as { data: Array<{ data: Record<string, unknown> }> }).data;
    const md5 = (x: string) => createHash('md5').update(x + 'pepper-1').digest('hex');
    expect(ctx[0]!.data).toEqual({ userId: md5('alice@example.com'), plan: 'pro' });
    expect(ctx[1]!.data).toEqual({ sku: 'SKU-1', tags: [md5('a@b'), md5('c')] });
  });

  it('parses the supported JSONPath subset and schema criteria; refuses MD2 and bad paths at start-up', async () => {
    expect(parseJsonPath("$.a['b c'][2].*")).toEqual([{ kind: 'name', name: 'a' }, { kind: 'name', name: 'b c' }, { kind: 'index', index: 2 }, { kind: 'wildcard' }]);
    expect(criterionMatcher('iglu:com.acme/user/jsonschema/1-*-*')('iglu:com.acme/user/jsonschema/1-2-0')).toBe(true);
    expect(criterionMatcher('iglu:com.acme/user/jsonschema/1-*-*')('iglu:com.acme/user/jsonschema/2-0-0')).toBe(false);
    const build = (c: unknown) => buildEnrichments(inlineSources([c]), testIgluClient());
    await expect(build(piiConfig([{ pojo: { field: 'user_id' } }], 'MD2'))).rejects.toThrow(/hashFunction: MD2 is not supported/);
    await expect(build(piiConfig([{ json: { field: 'contexts', schemaCriterion: 'iglu:a/b/jsonschema/1-*-*', jsonPath: '$..deep' } }]))).rejects.toThrow(/pii\[0\]\.json/);
    await expect(build(piiConfig([{ pojo: { field: 'page_url' } }]))).rejects.toThrow(/pii/);
  });
});

describe('pii_enrichment_config emitEvent: the pii_transformation event', () => {
  const RULES = [
    { pojo: { field: 'user_id' } },
    { json: { field: 'contexts', schemaCriterion: 'iglu:com.acme/product/jsonschema/1-*-*', jsonPath: '$.tags' } },
    { pojo: { field: 'user_ipaddress' } },
    { json: { field: 'unstruct_event', schemaCriterion: 'iglu:com.acme/button_click/jsonschema/1-0-0', jsonPath: '$.label' } },
  ];
  const click = { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: 'b-1', label: 'alice@example.com' } };
  const UE = { ...EV, e: 'ue', ue_px: base64url(unstructJson(click)) };

  it('emits, beside the pseudonymised event, a pii_transformation event pointing at it (valid against the oracle)', async () => {
    const s = await settingsWith([piiConfig(RULES, 'SHA-256', 'pepper-1', true)]);
    const out = await enrichPayload(getRecord(UE, { ipAddress: '203.0.113.7' }), s);
    expect(out.bad).toEqual([]);
    const [g] = out.good;
    const pii = g!.pii!;
    expect(pii).toBeDefined();
    const e = pii.event;
    expect(EnrichedEvent.fromTsv(pii.tsv).values).toEqual(e.values);
    expect([e.event, e.platform, e.app_id, e.event_vendor, e.event_name, e.event_format, e.event_version]).toEqual([
      'pii_transformation', 'srv', g!.event.app_id, 'com.snowplowanalytics.snowplow', 'pii_transformation', 'jsonschema', '1-0-0',
    ]);
    expect([e.collector_tstamp, e.etl_tstamp, e.v_etl, e.v_collector]).toEqual([g!.event.collector_tstamp, g!.event.etl_tstamp, g!.event.v_etl, g!.event.v_collector]);
    expect(e.event_id).not.toBe(g!.event.event_id);
    expect(e.derived_tstamp).toBe(e.true_tstamp);
    expect(JSON.parse(e.contexts!)).toEqual({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1', data: [{ schema: PARENT_EVENT_SCHEMA, data: { parentEventId: g!.event.event_id } }] });
    const ue = JSON.parse(e.unstruct_event!) as { schema: string; data: { schema: string; data: any } };
    expect(ue.schema).toBe('iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0');
    expect(ue.data.schema).toBe(PII_TRANSFORMATION_SCHEMA);
    const h = (x: string) => sha256(x + 'pepper-1');
    // Each list newest first (Snowplow's serializer prepends); the first rule's kind comes first.
    expect(ue.data.data).toEqual({
      pii: {
        pojo: [
          { fieldName: 'user_ipaddress', originalValue: '203.0.113.7', modifiedValue: h('203.0.113.7') },
          { fieldName: 'user_id', originalValue: 'alice@example.com', modifiedValue: h('alice@example.com') },
        ],
        json: [
          { fieldName: 'unstruct_event', originalValue: 'alice@example.com', modifiedValue: h('alice@example.com'), jsonPath: '$.label', schema: click.schema },
          { fieldName: 'contexts', originalValue: 'c', modifiedValue: h('c'), jsonPath: '$.tags', schema: product.schema },
          { fieldName: 'contexts', originalValue: 'a@b', modifiedValue: h('a@b'), jsonPath: '$.tags', schema: product.schema },
        ],
      },
      strategy: { pseudonymize: { hashFunction: 'SHA-256' } },
    });
    expect(oracleAccepts(PII_TRANSFORMATION_SCHEMA, ue.data.data)).not.toBe(false);
    const client = testIgluClient();
    expect((await client.validateSelfDescribing(ue.data)).ok).toBe(true);
    expect((await client.validateSelfDescribing({ schema: PARENT_EVENT_SCHEMA, data: { parentEventId: g!.event.event_id } })).ok).toBe(true);
    // The good event itself is pseudonymised as without emitEvent (the array at $.tags is hashed element-wise).
    expect(g!.event.user_id).toBe(h('alice@example.com'));
    expect((JSON.parse(g!.event.contexts!) as { data: Array<{ data: any }> }).data[1]!.data.tags).toEqual([h('a@b'), h('c')]);
  });

  it('no event when emitEvent is off, when nothing was hashed, or when the event is bad', async () => {
    const off = await enrichPayload(getRecord(UE), await settingsWith([piiConfig(RULES, 'SHA-256', 'pepper-1', false)]));
    expect(off.good[0]!.pii).toBeUndefined();
    const on = await settingsWith([piiConfig([{ pojo: { field: 'se_label' } }], 'MD5', 's', true)]);
    expect((await enrichPayload(getRecord(EV), on)).good[0]!.pii).toBeUndefined();
    const bad = await enrichPayload(getRecord({ ...EV, cx: base64url(contextsJson([{ ...user, data: { userId: 7 } }])) }), await settingsWith([piiConfig(RULES, 'SHA-256', 'p', true)]));
    expect([bad.good.length, bad.bad.length]).toEqual([0, 1]);
  });

  it('the processor writes pii_transformation events to the PII stream only when one is configured', async () => {
    const settings = await settingsWith([piiConfig(RULES, 'MD5', 'p', true)]);
    const sink = () => {
      const records: string[] = [];
      return { records, put: async (r: { data: Uint8Array }) => void records.push(Buffer.from(r.data).toString('utf8')) };
    };
    const [good, bad, piiSink] = [sink(), sink(), sink()];
    const rec = (i: number) => ({ data: getRecord({ ...UE, eid: `00000000-0000-4000-8000-00000000000${i}` }), partitionKey: 'k', sequenceNumber: String(i), approximateArrivalTimestamp: new Date(), shardId: 's' });
    const shard = { shardId: 's' } as never;
    const p = new EnrichProcessor({ settings, good, bad, pii: piiSink });
    await p.processBatch([rec(1), rec(2)], shard);
    expect([good.records.length, bad.records.length, piiSink.records.length, p.counters.pii]).toEqual([2, 0, 2, 2]);
    const parents = piiSink.records.map((t) => (JSON.parse(EnrichedEvent.fromTsv(t).contexts!) as { data: Array<{ data: { parentEventId: string } }> }).data[0]!.data.parentEventId);
    expect(parents).toEqual(good.records.map((t) => EnrichedEvent.fromTsv(t).event_id));
    const without = new EnrichProcessor({ settings, good: sink(), bad: sink() });
    await without.processBatch([rec(3)], shard);
    expect(without.counters).toMatchObject({ good: 1, pii: 0 });
  });
});
