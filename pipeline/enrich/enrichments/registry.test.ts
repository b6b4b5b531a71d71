import { describe, expect, it } from 'vitest';
import type { BadRow } from '../../core/bad-rows';
import { enrichmentFailure, inputData } from '../../core/bad-rows-enrich';
import { enrichPayload } from '../pipeline';
import { derivedEntity } from '../sdj';
import { BUILTIN_STEPS } from '../steps/builtins';
import { getRecord, testSettings } from '../testing';
import { EnrichmentRegistry, type Enrichment, type EnrichmentName } from './registry';

const PV = { e: 'pv', tv: 't', p: 'web', url: 'https://shop.example.com/?utm_source=news' };

/** A test enrichment for a slot: records when it ran, optionally adds a context, fails or drops. */
function enrichment(
  name: EnrichmentName,
  log: string[],
  act: Partial<{ context: { vendor: string; name: string; data: Record<string, unknown> }; fail: boolean; drop: boolean; ip: string }> = {},
): Enrichment {
  return {
    name,
    info: { schemaKey: `iglu:com.snowplowanalytics.snowplow/${name}/jsonschema/1-0-0`, identifier: name },
    enrich(ctx) {
      log.push(`${name}(ip=${ctx.event.user_ipaddress})`);
      if (act.ip) ctx.event.user_ipaddress = act.ip;
      if (act.drop) ctx.dropped = true;
      if (act.fail) return { failures: [enrichmentFailure(inputData('x', null, `${name} failed`))] };
      if (act.context) {
        const { vendor, name: entity, data } = act.context;
        const key = { vendor, name: entity, format: 'jsonschema', version: { model: 1, revision: 0, addition: 0 } };
        return { contexts: [derivedEntity(key, `iglu:${vendor}/${entity}/jsonschema/1-0-0`, { ...data, from: name })] };
      }
    },
  };
}

function type(row: BadRow): string {
  return row.schema.split('/')[1]!;
}

describe('EnrichmentRegistry', () => {
  it('runs built-ins and enrichments in Snowplow order; unknown names are ignored', () => {
    const names: EnrichmentName[] = ['anon_ip', 'campaign_attribution', 'ip_lookups', 'iab_spiders_and_robots_enrichment', 'referer_parser', 'cross_navigation_config'];
    const r = new EnrichmentRegistry(BUILTIN_STEPS, [...names.map((n) => enrichment(n, [])), { ...enrichment('anon_ip', []), name: 'no_such_thing' as EnrichmentName }]);
    expect(r.describe()).toEqual([
      'builtin:collector_version',
      'builtin:page_uri',
      'builtin:derived_tstamp',
      'iab_spiders_and_robots_enrichment',
      'builtin:referer_uri',
      'referer_parser',
      'builtin:page_query',
      'campaign_attribution',
      'builtin:cross_domain',
      'cross_navigation_config',
      'builtin:event_schema',
      'ip_lookups',
      'anon_ip',
    ]);
  });

  it('derived contexts come out in reverse execution order and are validated; anon_ip runs after validation', async () => {
    const log: string[] = [];
    const settings = testSettings({
      enrichments: [
        enrichment('campaign_attribution', log, { context: { vendor: 'com.acme', name: 'product', data: { sku: 'a' } } }),
        enrichment('ip_lookups', log, { context: { vendor: 'com.acme', name: 'experiment', data: {} } }),
        enrichment('anon_ip', log, { ip: '203.0.x.x' }),
      ],
    });
    // The experiment schema requires name/variant: the ip_lookups context is invalid → phase-3 schema violation.
    const out = await enrichPayload(getRecord(PV), settings);
    expect(out.bad.map(type)).toEqual(['schema_violations']);
    expect((out.bad[0] as BadRow<any, any>).data.failure.messages[0].schemaKey).toBe('iglu:com.acme/experiment/jsonschema/1-0-0');
    expect(log).toEqual(['campaign_attribution(ip=203.0.113.7)', 'ip_lookups(ip=203.0.113.7)', 'anon_ip(ip=203.0.113.7)']);

    const ok = testSettings({
      enrichments: [
        enrichment('campaign_attribution', [], { context: { vendor: 'com.acme', name: 'product', data: { sku: 'a' } } }),
        enrichment('event_fingerprint_config', [], { context: { vendor: 'com.acme', name: 'product', data: { sku: 'b' } } }),
        enrichment('anon_ip', [], { ip: '203.0.x.x' }),
      ],
    });
    const good = await enrichPayload(getRecord(PV), ok);
    expect(good.bad).toEqual([]);
    const e = good.good[0]!.event;
    expect(JSON.parse(e.derived_contexts!).data.map((c: { data: { from: string } }) => c.data.from)).toEqual(['event_fingerprint_config', 'campaign_attribution']);
    expect(e.user_ipaddress).toBe('203.0.x.x');
  });

  it('a failing enrichment gives enrichment_failures carrying its identity; a phase-1 error still wins', async () => {
    const settings = testSettings({ enrichments: [enrichment('referer_parser', [], { fail: true })] });
    const out = await enrichPayload(getRecord(PV), settings);
    expect(out.bad.map(type)).toEqual(['enrichment_failures']);
    expect((out.bad[0] as BadRow<any, any>).data.failure.messages[0]).toEqual({
      enrichment: { schemaKey: 'iglu:com.snowplowanalytics.snowplow/referer_parser/jsonschema/1-0-0', identifier: 'referer_parser' },
      message: { field: 'x', value: null, expectation: 'referer_parser failed' },
    });
    const both = await enrichPayload(getRecord({ ...PV, eid: 'bad' }), settings);
    expect(both.bad.map(type)).toEqual(['schema_violations']);
  });

  it('a dropped event is neither good nor bad, and counts as dropped', async () => {
    const out = await enrichPayload(getRecord(PV), testSettings({ enrichments: [enrichment('javascript_script_config', [], { drop: true })] }));
    expect(out).toMatchObject({ good: [], bad: [], dropped: 1, rawEvents: 1 });
  });
});
