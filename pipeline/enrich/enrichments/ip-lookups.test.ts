import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { ipLookupsConfig } from './defaults';
import { buildEnrichments, EnrichmentConfigError, inlineSources } from './index';
import { ASN_SCHEMA } from './ip-lookups';
import { writeMmdb } from './mmdb-writer';
import { derived, enrichOne, settingsWith } from './testing';

export const LONDON = {
  country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
  subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
  city: { names: { en: 'London' } },
  postal: { code: 'EC2V' },
  location: { latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'furrow-mmdb-'));
  writeFileSync(join(dir, 'GeoLite2-City.mmdb'), writeMmdb([['203.0.113.0/24', LONDON], ['198.51.100.0/24', { country: { iso_code: 'US' }, location: { latitude: 37.75, longitude: -97.82 } }]]));
  writeFileSync(join(dir, 'GeoIP2-ISP.mmdb'), writeMmdb([['203.0.113.0/24', { isp: 'Example Telecom', organization: 'Example Org' }]], 'GeoIP2-ISP'));
  writeFileSync(join(dir, 'GeoLite2-ASN.mmdb'), writeMmdb([['203.0.113.0/24', { autonomous_system_number: 64500, autonomous_system_organization: 'EXAMPLE-AS' }]], 'GeoLite2-ASN'));
  writeFileSync(join(dir, 'GeoIP2-Connection-Type.mmdb'), writeMmdb([['203.0.113.0/24', { connection_type: 'Cable/DSL' }]], 'GeoIP2-Connection-Type'));
  writeFileSync(join(dir, 'GeoIP2-Domain.mmdb'), writeMmdb([['203.0.113.0/24', { domain: 'example.net' }]], 'GeoIP2-Domain'));
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'GeoLite2-City.mmdb'), 'not a database');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PV = { e: 'pv', tv: 't', p: 'web' };

describe('ip_lookups', () => {
  it('the test writer produces a database maxmind reads', () => {
    const r = new Reader<any>(writeMmdb([['10.1.0.0/16', { a: 'b', n: 70000, f: 1.5, ok: true, list: ['x'] }]]));
    expect(r.get('10.1.2.3')).toEqual({ a: 'b', n: 70000, f: 1.5, ok: true, list: ['x'] });
    expect(r.get('10.2.0.1')).toBeNull();
  });

  it('fills geo_* from the City database and ISP/domain/netspeed/ASN from the others', async () => {
    const all = ipLookupsConfig(dir, {
      isp: { database: 'GeoIP2-ISP.mmdb' },
      asn: { database: 'GeoLite2-ASN.mmdb' },
      connectionType: { database: 'GeoIP2-Connection-Type.mmdb' },
      domain: { database: 'GeoIP2-Domain.mmdb' },
    });
    const s = await settingsWith([all]);
    const { good, bad } = await enrichOne(s, PV, { ipAddress: '203.0.113.7' });
    expect(bad).toBeUndefined();
    const e = good!;
    expect([e.geo_country, e.geo_region, e.geo_city, e.geo_zipcode, e.geo_region_name, e.geo_timezone]).toEqual(['GB', 'ENG', 'London', 'EC2V', 'England', 'Europe/London']);
    expect([Number(e.geo_latitude), Number(e.geo_longitude)]).toEqual([51.5142, -0.0931]);
    expect([e.ip_isp, e.ip_organization, e.ip_domain, e.ip_netspeed]).toEqual(['Example Telecom', 'Example Org', 'example.net', 'Cable/DSL']);
    expect(derived(e)).toEqual([{ schema: ASN_SCHEMA, data: { number: 64500, organization: 'EXAMPLE-AS' } }]);
  });

  it('swallows lookup misses and unusable addresses (no bad row, fields empty)', async () => {
    const s = await settingsWith([ipLookupsConfig(dir)]);
    for (const ip of ['192.0.2.1', '2001:db8::1', 'not-an-ip']) {
      const { good, bad } = await enrichOne(s, PV, { ipAddress: ip });
      expect(bad).toBeUndefined();
      expect([good!.geo_country, good!.geo_city]).toEqual([null, null]);
    }
    const us = await enrichOne(s, PV, { ipAddress: '198.51.100.20' });
    expect([us.good!.geo_country, us.good!.geo_city]).toEqual(['US', null]);
  });

  it('refuses at start-up a missing or broken database and remote URIs, naming the field', async () => {
    const build = (c: unknown) => buildEnrichments(inlineSources([c]), testIgluClient());
    const missing = ipLookupsConfig(join(dir, 'nowhere'));
    await expect(build(missing)).rejects.toThrow(/parameters\.geo: cannot read/);
    const remote = { ...missing, data: { ...missing.data, parameters: { geo: { database: 'GeoLite2-City.mmdb', uri: 'http://snowplow.example/maxmind' } } } };
    await expect(build(remote)).rejects.toBeInstanceOf(EnrichmentConfigError);
    await expect(build(remote)).rejects.toThrow(/parameters\.geo\.uri: .*local files only/);
    await expect(build(ipLookupsConfig(join(dir, 'bad')))).rejects.toThrow(/enrich\.enrichments\[0\] \(ip_lookups\): parameters\.geo: .* is not a MaxMind DB/);
  });
});
