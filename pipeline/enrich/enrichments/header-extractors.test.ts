import { describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { HTTP_COOKIE_SCHEMA, HTTP_HEADER_SCHEMA } from './header-extractors';
import { buildEnrichments, inlineSources } from './index';
import { derived, enrichOne, settingsWith } from './testing';

const cookieConfig = (cookies: string[]) => ({
  schema: 'iglu:com.snowplowanalytics.snowplow/cookie_extractor_config/jsonschema/1-0-0',
  data: { vendor: 'com.snowplowanalytics.snowplow', name: 'cookie_extractor_config', enabled: true, parameters: { cookies } },
});
const headerConfig = (headersPattern: string) => ({
  schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/http_header_extractor_config/jsonschema/1-0-0',
  data: { vendor: 'com.snowplowanalytics.snowplow.enrichments', name: 'http_header_extractor_config', enabled: true, parameters: { headersPattern } },
});
const PV = { e: 'pv', tv: 't', p: 'web' };
const HEADERS = ['Host: collector.example.com', 'Cookie: sp=abc; _ga="GA1.2.3"; other=1', 'X-Forwarded-For: 203.0.113.7', 'X-Request-Id: r-1'];

describe('cookie_extractor_config and http_header_extractor_config', () => {
  it('emits one http_cookie per configured cookie present (quotes removed)', async () => {
    const s = await settingsWith([cookieConfig(['_ga', 'sp', 'missing'])]);
    const { good, bad } = await enrichOne(s, PV, { headers: HEADERS });
    expect(bad).toBeUndefined();
    expect(derived(good!).filter((c) => c.schema === HTTP_COOKIE_SCHEMA).map((c) => c.data)).toEqual([
      { name: 'sp', value: 'abc' },
      { name: '_ga', value: 'GA1.2.3' },
    ]);
  });

  it('emits one http_header per header name matching the pattern', async () => {
    const s = await settingsWith([headerConfig('^X-')]);
    const { good } = await enrichOne(s, PV, { headers: HEADERS });
    expect(derived(good!).map((c) => [c.schema, c.data.name, c.data.value])).toEqual([
      [HTTP_HEADER_SCHEMA, 'X-Forwarded-For', '203.0.113.7'],
      [HTTP_HEADER_SCHEMA, 'X-Request-Id', 'r-1'],
    ]);
    const none = await enrichOne(await settingsWith([headerConfig('^Nope$')]), PV, { headers: HEADERS });
    expect(none.good!.derived_contexts).toBeNull();
  });

  it('both together: derived contexts in reverse run order (header extractor ran last, comes first)', async () => {
    const s = await settingsWith([headerConfig('^Host$'), cookieConfig(['sp'])]);
    const { good } = await enrichOne(s, PV, { headers: HEADERS });
    expect(derived(good!).map((c) => c.schema)).toEqual([HTTP_HEADER_SCHEMA, HTTP_COOKIE_SCHEMA]);
  });

  it('an invalid regular expression fails at start-up naming the field', async () => {
    await expect(buildEnrichments(inlineSources([headerConfig('(')]), testIgluClient())).rejects.toThrow(/headersPattern: not a valid regular expression/);
  });
});
