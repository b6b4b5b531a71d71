import { describe, expect, it } from 'vitest';
import type { BadRow } from '../core/bad-rows';
import { encodeCollectorPayload } from '../core/collector-payload';
import { FIELD_INDEX, type EnrichedEvent } from '../core/enriched-event';
import { enrichPayload, type PayloadOutcome } from './pipeline';
import {
  base64url,
  collectorPayload,
  contextsJson,
  getRecord,
  NUID,
  rawRecord,
  testSettings,
  tp2Post,
  unstructJson,
} from './testing';

const settings = testSettings();
const PV = { e: 'pv', tv: 'js-3.5.0', p: 'web' };

async function one(record: Buffer, s = settings): Promise<EnrichedEvent> {
  const out = await enrichPayload(record, s);
  expect(out.bad.map((b) => JSON.stringify(b).slice(0, 600))).toEqual([]);
  expect(out.good).toHaveLength(1);
  return out.good[0]!.event;
}

async function bad(record: Buffer, s = settings): Promise<{ out: PayloadOutcome; row: BadRow<any, any> }> {
  const out = await enrichPayload(record, s);
  expect(out.good).toHaveLength(0);
  expect(out.bad).toHaveLength(1);
  return { out, row: out.bad[0] as BadRow<any, any> };
}

function type(row: BadRow): string {
  return row.schema.split('/')[1]!;
}

describe('tracker protocol → enriched fields', () => {
  it('maps a tp2 page view and fills the built-ins', async () => {
    const e = await one(
      tp2Post([
        {
          ...PV,
          aid: 'shop',
          url: 'https://shop.example.com/a/b?q=1#top',
          page: 'Home',
          refr: 'http://www.google.com/search?q=shoes',
          dtm: '1767322999000',
          stm: '1767323000000',
          eid: 'B4A3C5D6-0000-4000-8000-00000000000A',
          duid: 'duid-1',
          sid: '00000000-0000-4000-8000-0000000000aa',
          vid: '2',
          res: '1920x1080',
          lang: 'en-GB',
        },
      ]),
    );
    expect(e.event).toBe('page_view');
    expect(e.event_id).toBe('b4a3c5d6-0000-4000-8000-00000000000a');
    expect(e.app_id).toBe('shop');
    expect(e.platform).toBe('web');
    expect(e.v_collector).toBe('ssc-3.4.0-kinesissink');
    expect(e.v_etl).toBe('furrow-enrich-0.1.0');
    expect(e.collector_tstamp).toBe('2026-01-02 03:04:05.000');
    expect(e.etl_tstamp).toBe('2026-01-02 03:04:05.678');
    expect(e.network_userid).toBe(NUID);
    expect(e.user_ipaddress).toBe('203.0.113.7');
    expect(e.useragent).toBe('Mozilla/5.0 (X11; Linux x86_64) Furrow/1.0');
    expect([e.page_urlscheme, e.page_urlhost, e.page_urlport, e.page_urlpath, e.page_urlquery, e.page_urlfragment]).toEqual([
      'https',
      'shop.example.com',
      '443',
      '/a/b',
      'q=1',
      'top',
    ]);
    expect([e.refr_urlscheme, e.refr_urlhost, e.refr_urlport, e.refr_urlpath, e.refr_urlquery]).toEqual(['http', 'www.google.com', '80', '/search', 'q=shoes']);
    expect([e.event_vendor, e.event_name, e.event_format, e.event_version]).toEqual(['com.snowplowanalytics.snowplow', 'page_view', 'jsonschema', '1-0-0']);
    // dtm < stm: collector − (stm − dtm)
    expect(e.derived_tstamp).toBe('2026-01-02 03:04:04.000');
    expect([e.dvce_screenwidth, e.dvce_screenheight]).toEqual(['1920', '1080']);
    expect(e.toTsv().split('\t')).toHaveLength(131);
  });

  it('page_url falls back to the Referer header; a missing port is 80 for anything but https', async () => {
    const e = await one(getRecord({ ...PV }, { refererUri: 'http://blog.example.org/post' }));
    expect(e.page_url).toBe('http://blog.example.org/post');
    expect(e.page_urlport).toBe('80');
    const ftp = await one(getRecord({ ...PV, url: 'ftp://files.example.org/x' }, { refererUri: 'http://ignored.example/' }));
    expect(ftp.page_urlhost).toBe('files.example.org');
    expect(ftp.page_urlport).toBe('80');
    const explicit = await one(getRecord({ ...PV, url: 'https://x.example.com:8443/' }));
    expect(explicit.page_urlport).toBe('8443');
  });

  it('derived_tstamp: ttm wins; dtm >= stm gives the collector time', async () => {
    const ttm = await one(getRecord({ ...PV, ttm: '1767000000000', dtm: '1767322999000', stm: '1767323000000' }));
    expect(ttm.derived_tstamp).toBe(ttm.true_tstamp);
    expect(ttm.true_tstamp).toBe('2025-12-29 09:20:00.000');
    const late = await one(getRecord({ ...PV, dtm: '1767323001000', stm: '1767323000000' }));
    expect(late.derived_tstamp).toBe(late.collector_tstamp);
  });

  it('ip and ua parameters override the headers; the first X-Forwarded-For wins otherwise', async () => {
    const fromParams = await one(getRecord({ ...PV, ip: '198.51.100.1, 10.0.0.1', ua: 'Param-UA' }));
    expect(fromParams.user_ipaddress).toBe('198.51.100.1');
    expect(fromParams.useragent).toBe('Param-UA');
    const fromXff = await one(
      getRecord({ ...PV }, { headers: ['X-Forwarded-For: 192.0.2.9, 10.0.0.2', 'X-Forwarded-For: 192.0.2.10', 'User-Agent: z'] }),
    );
    expect(fromXff.user_ipaddress).toBe('192.0.2.9');
  });

  it('network user id precedence: tnuid > nuid > collector cookie', async () => {
    expect((await one(getRecord({ ...PV }))).network_userid).toBe(NUID);
    expect((await one(getRecord({ ...PV, nuid: 'from-nuid' }))).network_userid).toBe('from-nuid');
    expect((await one(getRecord({ ...PV, nuid: 'from-nuid', tnuid: 'from-tnuid' }))).network_userid).toBe('from-tnuid');
  });

  it('structured events get com.google.analytics/event; decimals follow BigDecimal', async () => {
    const e = await one(getRecord({ e: 'se', tv: 't', p: 'srv', se_ca: 'shop', se_ac: 'add', se_la: 'sku-1', se_va: '2.50' }));
    expect([e.event, e.event_vendor, e.event_name]).toEqual(['struct', 'com.google.analytics', 'event']);
    expect(e.se_value).toBe('2.50');
  });

  it('tp1 pixel requests (/i) are one event each', async () => {
    const e = await one(getRecord({ ...PV, page: 'Pixel' }, { path: '/i' }));
    expect(e.page_title).toBe('Pixel');
  });

  it('sanitises input: tabs become spaces, control characters go, empty strings become null', async () => {
    const e = await one(getRecord({ ...PV, page: 'a\tb\nc\u0001d', aid: '', tna: '\r\n' }, { userAgent: 'UA\twith\ttabs\r\n' }));
    expect(e.page_title).toBe('a    bcd');
    expect(e.app_id).toBeNull();
    expect(e.name_tracker).toBeNull();
    expect(e.useragent).toBe('UA    with    tabs');
    const tsv = e.toTsv();
    expect(tsv.split('\t')).toHaveLength(131);
    expect(tsv).not.toMatch(/[\r\n]/);
  });
});

describe('self-describing JSON', () => {
  const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u1', plan: 'pro' } };
  const click = { schema: 'iglu:com.acme/button_click/jsonschema/1-0-0', data: { id: 'buy', value: 3 } };

  it('unstruct events and contexts (raw and base64) are validated and rewritten to contexts/1-0-1', async () => {
    const e = await one(tp2Post([{ e: 'ue', tv: 't', p: 'web', ue_px: base64url(unstructJson(click)), co: contextsJson([user]) }]));
    expect(e.event).toBe('unstruct');
    expect([e.event_vendor, e.event_name, e.event_format, e.event_version]).toEqual(['com.acme', 'button_click', 'jsonschema', '1-0-0']);
    expect(e.unstruct_event).toBe(`{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":${JSON.stringify(click)}}`);
    expect(e.contexts).toBe(`{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[${JSON.stringify(user)}]}`);
  });

  it('keeps key order and the original text of numbers', async () => {
    const text = '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"iglu:com.acme/product/jsonschema/1-0-0","data":{"sku":"a","price":10.50,"2":"x","1":1e2}}]}';
    const e = await one(getRecord({ ...PV, co: text }));
    expect(e.contexts).toBe(
      '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[{"schema":"iglu:com.acme/product/jsonschema/1-0-0","data":{"sku":"a","price":10.50,"2":"x","1":1e2}}]}',
    );
  });

  it('a superseded schema is rewritten and leaves a validation_info derived context', async () => {
    const e = await one(getRecord({ ...PV, co: contextsJson([{ schema: 'iglu:com.acme/old_thing/jsonschema/1-0-0', data: { a: 'x', b: 'y' } }]) }));
    expect(e.contexts).toContain('"iglu:com.acme/old_thing/jsonschema/1-0-1"');
    expect(JSON.parse(e.derived_contexts!).data).toEqual([
      {
        schema: 'iglu:com.snowplowanalytics.iglu/validation_info/jsonschema/1-0-0',
        data: { originalSchema: 'iglu:com.acme/old_thing/jsonschema/1-0-0', validatedWith: '1-0-1' },
      },
    ]);
  });

  it('an invalid context is a schema violation; the valid ones stay in the partially enriched event', async () => {
    const badCtx = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 7 } };
    const { row } = await bad(getRecord({ ...PV, co: contextsJson([user, badCtx]) }));
    expect(type(row)).toBe('schema_violations');
    expect(row.data.failure.messages).toHaveLength(1);
    expect(row.data.failure.messages[0].schemaKey).toBe('iglu:com.acme/user/jsonschema/1-0-0');
    expect(row.data.failure.messages[0].error.error).toBe('ValidationError');
    expect(JSON.parse(row.data.payload.enriched.contexts).data).toEqual([user]);
    expect(row.data.payload.raw.parameters).toContainEqual({ name: 'e', value: 'pv' });
  });

  it('not JSON, not self-describing, wrong criterion and unknown schema are each reported', async () => {
    const cases: Array<[Record<string, string>, (m: any) => void]> = [
      [{ co: '{oops' }, (m) => expect(m).toMatchObject({ field: 'contexts', value: '{oops', error: expect.stringMatching(/^invalid json: /) })],
      [{ co: '' }, (m) => expect(m).toMatchObject({ field: 'contexts', error: 'invalid json: exhausted input' })],
      [{ ue_pr: '{"data":{}}' }, (m) => expect(m).toMatchObject({ json: { data: {} }, error: 'INVALID_IGLUURI' })],
      [
        { ue_pr: unstructJson(click).replace('unstruct_event', 'contexts') },
        (m) => expect(m).toEqual({ schemaKey: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', schemaCriterion: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-*' }),
      ],
      [{ co: contextsJson([{ schema: 'iglu:com.acme/nope/jsonschema/1-0-0', data: {} }]) }, (m) => expect(m.error.error).toBe('ResolutionError')],
    ];
    for (const [params, check] of cases) {
      const { row } = await bad(getRecord({ ...PV, ...params }));
      expect(type(row)).toBe('schema_violations');
      check(row.data.failure.messages[0]);
    }
  });

  it('JSON deeper than maxJsonDepth is rejected', async () => {
    const deep = { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'x', nest: JSON.parse('['.repeat(60) + ']'.repeat(60)) } };
    const { row } = await bad(getRecord({ ...PV, co: contextsJson([deep]) }));
    expect(row.data.failure.messages[0].error).toBe('invalid json: maximum allowed JSON depth exceeded');
  });
});

describe('bad rows and precedence', () => {
  it('an unknown event type and a bad UUID fold into one atomic schema violation', async () => {
    const { row } = await bad(getRecord({ e: 'xx', tv: 't', p: 'web', eid: 'nope' }));
    expect(type(row)).toBe('schema_violations');
    expect(row.data.failure.messages).toHaveLength(1);
    const m = row.data.failure.messages[0];
    expect(m.schemaKey).toBe('iglu:com.snowplowanalytics.snowplow/atomic/jsonschema/1-0-0');
    expect(m.error.dataReports.map((r: any) => [r.path, r.keyword])).toEqual([
      ['e', 'atomic_field_parse_error'],
      ['eid', 'atomic_field_parse_error'],
    ]);
    expect(row.data.payload.enriched.event).toBeNull();
  });

  it('a missing e or legacy e=ad is an enrichment failure, not a schema violation', async () => {
    for (const params of [{ tv: 't', p: 'web' }, { e: 'ad', tv: 't', p: 'web' }] as Record<string, string>[]) {
      const { row } = await bad(getRecord(params));
      expect(type(row)).toBe('enrichment_failures');
      expect(row.data.failure.messages[0]).toMatchObject({ enrichment: null, message: { field: 'event' } });
    }
  });

  it('phase-1 schema violations win over enrichment failures', async () => {
    const { row } = await bad(getRecord({ tv: 't', p: 'web', vid: 'x' }));
    expect(type(row)).toBe('schema_violations');
  });

  it('atomic length limits are a phase-3 schema violation unless acceptInvalid', async () => {
    const record = getRecord({ ...PV, page: 'x'.repeat(2001) });
    const { row } = await bad(record);
    expect(type(row)).toBe('schema_violations');
    expect(row.data.failure.messages[0].error.dataReports).toEqual([
      { message: 'Field is longer than maximum allowed size 2000', path: 'page_title', keyword: 'atomic_field_length_exceeded', targets: [] },
    ]);
    const lenient = await enrichPayload(record, testSettings({ acceptInvalid: true }));
    expect(lenient.good).toHaveLength(1);
    expect(lenient.invalidAccepted).toBe(1);
  });

  it('a decimal beyond NUMBER(18,2) is a phase-3 schema violation of its event (a warehouse would refuse its whole window), even with acceptInvalid', async () => {
    for (const [param, field, value] of [['tr_tt', 'tr_total', '1e30'], ['ti_pr', 'ti_price', '99999999999999999'], ['tr_sh', 'tr_shipping', '-1E+16'], ['tr_tx', 'tr_tax', '9999999999999999.99']]) {
      for (const settings of [testSettings(), testSettings({ acceptInvalid: true })]) {
        const { row } = await bad(getRecord({ ...PV, [param!]: value! }), settings);
        expect(type(row)).toBe('schema_violations');
        expect(row.data.failure.messages[0].error.dataReports).toEqual([
          { message: 'Field does not fit NUMBER(18,2): at most 16 digits before the decimal point', path: field, keyword: 'atomic_field_out_of_range', targets: [] },
        ]);
      }
    }
    // The largest values that fit load as they are.
    for (const value of ['9999999999999998', '-1234567890123456.78', '0.001']) expect((await enrichPayload(getRecord({ ...PV, tr_tt: value }), testSettings())).good).toHaveLength(1);
  });

  it('an enriched TSV above maxRecordSize becomes a size_violation', async () => {
    const { row } = await bad(getRecord({ ...PV, page: 'x'.repeat(1500) }), testSettings({ maxRecordSize: 1000 }));
    expect(type(row)).toBe('size_violation');
    expect(row.data.failure.maximumAllowedSizeBytes).toBe(1000);
    expect(row.data.failure.expectation).toBe('Enriched event exceeds the maximum allowed size of 1000 bytes');
    expect(row.data.payload).toHaveLength(100);
  });
});

describe('loader and adapters', () => {
  it('undecodable bytes: one collector_payload_format_violation with the record in base64', async () => {
    const bytes = Buffer.from([0x0b, 0x00, 0x64, 0x00, 0x00]);
    const { row } = await bad(bytes);
    expect(type(row)).toBe('collector_payload_format_violation');
    expect(row.data.failure).toMatchObject({ loader: 'thrift', message: { error: 'error deserializing raw event: Reached end of bytes when parsing as thrift format' } });
    expect(row.data.payload).toBe(bytes.toString('base64'));
  });

  it('a bad path and a bad network user id give two rows', async () => {
    const out = await enrichPayload(rawRecord({ path: '/a/b/c', networkUserId: 'not-a-uuid' }), settings);
    expect(out.good).toHaveLength(0);
    expect(out.bad.map((b: any) => b.data.failure.message.payloadField)).toEqual(['path', 'networkUserId']);
    expect(out.rawEvents).toBe(0);
  });

  it('an unknown vendor/version is one adapter_failures row', async () => {
    const { row } = await bad(getRecord({ ...PV }, { path: '/com.snowplowanalytics.snowplow/i' }));
    expect(type(row)).toBe('adapter_failures');
    expect(row.data.failure.messages).toEqual([
      { field: 'vendor/version', value: 'com.snowplowanalytics.snowplow/i', expectation: 'vendor/version combination is not supported' },
    ]);
    expect(row.data.payload).toMatchObject({ vendor: 'com.snowplowanalytics.snowplow', version: 'i', networkUserId: NUID });
  });

  it('tp1 with an empty querystring is an adapter failure', async () => {
    const { row } = await bad(getRecord('', { path: '/i' }));
    expect(type(row)).toBe('adapter_failures');
  });

  it('one invalid element fails the whole tp2 batch as tracker_protocol_violations', async () => {
    const { out, row } = await bad(tp2Post([{ ...PV }, { ...PV, page: 42 }, { ...PV }]));
    expect(type(row)).toBe('tracker_protocol_violations');
    expect(row.data.failure.messages[0].schemaKey).toBe('iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4');
    expect(out.rawEvents).toBe(0);
  });

  it('tp2: wrong content type, body without content type, empty request', async () => {
    const ct = await bad(rawRecord({ body: '{}', contentType: 'text/plain' }));
    expect(ct.row.data.failure.messages[0]).toMatchObject({ field: 'contentType', value: 'text/plain' });
    const none = await bad(rawRecord({ body: '{}' }));
    expect(none.row.data.failure.messages[0]).toMatchObject({ field: 'contentType', value: null });
    const empty = await bad(rawRecord({}));
    expect(empty.row.data.failure.messages.map((m: any) => m.field)).toEqual(['body', 'querystring']);
  });

  it('querystring parameters are merged into every body event and win', async () => {
    const out = await enrichPayload(tp2Post([{ ...PV, aid: 'body' }, { ...PV }], { querystring: 'aid=qs' }), settings);
    expect(out.good.map((g) => g.event.app_id)).toEqual(['qs', 'qs']);
  });

  it('redirect without e: an unstruct uri_redirect event, tv=r-tp2, p=web', async () => {
    const e = await one(getRecord({ u: 'https://dest.example.com/x' }, { path: '/r/tp2' }));
    expect([e.event, e.v_tracker, e.platform, e.event_name]).toEqual(['unstruct', 'r-tp2', 'web', 'uri_redirect']);
    expect(JSON.parse(e.unstruct_event!).data.data).toEqual({ uri: 'https://dest.example.com/x' });
  });

  it('redirect with e and cx: the uri_redirect entity is prepended to the contexts', async () => {
    const cx = base64url(contextsJson([{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { userId: 'u' } }]));
    const e = await one(getRecord({ ...PV, u: 'https://dest.example.com/', cx }, { path: '/r/tp2' }));
    expect(JSON.parse(e.contexts!).data.map((c: any) => c.schema)).toEqual([
      'iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0',
      'iglu:com.acme/user/jsonschema/1-0-0',
    ]);
    const missing = await bad(getRecord({ ...PV }, { path: '/r/tp2' }));
    expect(type(missing.row)).toBe('tracker_protocol_violations');
  });

  it('Iglu webhook: querystring event, JSON array body, and a bad schema', async () => {
    const get = await one(getRecord({ schema: 'iglu:com.acme/experiment/jsonschema/1-0-0', name: 'exp', variant: 'b', aid: 'hook' }, { path: '/com.snowplowanalytics.iglu/v1' }));
    expect([get.event, get.v_tracker, get.platform, get.app_id, get.event_name]).toEqual(['unstruct', 'com.snowplowanalytics.iglu-v1', 'app', 'hook', 'experiment']);
    expect(JSON.parse(get.unstruct_event!).data.data).toEqual({ name: 'exp', variant: 'b' });
    const arr = await enrichPayload(
      rawRecord({
        path: '/com.snowplowanalytics.iglu/v1',
        querystring: 'schema=iglu%3Acom.acme%2Fexperiment%2Fjsonschema%2F1-0-0',
        contentType: 'application/json',
        body: '[{"name":"a","variant":"1"},{"name":"b","variant":"2"}]',
      }),
      settings,
    );
    expect(arr.bad).toEqual([]);
    expect(arr.good).toHaveLength(2);
    const badSchema = await bad(getRecord({ schema: 'iglu:not-a-key' }, { path: '/com.snowplowanalytics.iglu/v1' }));
    expect(type(badSchema.row)).toBe('adapter_failures');
    expect(badSchema.row.data.failure.messages[0]).toMatchObject({ field: 'schema', expectation: 'INVALID_IGLUURI' });
  });

  it('an illegal querystring is a format violation naming the index', async () => {
    const out = await enrichPayload(encodeCollectorPayload(collectorPayload({ querystring: 'e=pv&page=a b' })), settings);
    expect(out.bad).toHaveLength(1);
    expect((out.bad[0] as any).data.failure.message).toMatchObject({ payloadField: 'querystring' });
    expect((out.bad[0] as any).data.failure.message.expectation).toMatch(/Illegal character in query at index 29/);
  });
});

describe('the count rule', () => {
  it('every raw event of a payload that passed the adapter is good, bad or dropped', async () => {
    const out = await enrichPayload(tp2Post([{ ...PV }, { e: 'xx', tv: 't', p: 'web' }, { e: 'ad', tv: 't', p: 'web' }, { ...PV, page: 'y'.repeat(3000) }]), settings);
    expect(out.rawEvents).toBe(4);
    expect(out.good.length + out.bad.length + out.dropped).toBe(4);
    expect(out.good).toHaveLength(1);
    expect(out.good[0]!.event.values[FIELD_INDEX.event]).toBe('page_view');
  });
});
