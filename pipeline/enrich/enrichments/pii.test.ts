import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64url, contextsJson, testIgluClient } from '../testing';
import { buildEnrichments, inlineSources } from './index';
import { criterionMatcher, parseJsonPath } from './pii';
import { enrichOne, settingsWith } from './testing';

function piiConfig(pii: unknown[], hashFunction = 'SHA-256', salt = 'pepper-1') {
  return {
    schema: 'iglu:com.snowplowanalytics.snowplow.enrichments/pii_enrichment_config/jsonschema/2-0-1',
    data: { vendor: 'com.snowplowanalytics.snowplow.enrichments', name: 'pii_enrichment_config', enabled: true, emitEvent: false, parameters: { pii, strategy: { pseudonymize: { hashFunction, salt } } } },
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
