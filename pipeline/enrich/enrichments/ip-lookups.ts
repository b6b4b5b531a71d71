/**
 * IP lookups (spec §5 #13; EN `registry/IpLookupsEnrichment`, scala-maxmind-iplookups): MaxMind-format
 * databases (GeoIP2/GeoLite2 City, ISP, Domain, Connection-Type, ASN) read with `maxmind` (mmdb-lib),
 * filling geo_*, ip_isp, ip_organization, ip_domain, ip_netspeed and an `asn` 1-0-1 entity. Lookup
 * failures (unparsable or unknown address) are swallowed: never a bad row. Databases are read once at
 * start-up from local files: `uri` must be a `file:` URI or a directory path (nothing is downloaded).
 *
 * City records come in two shapes: MaxMind's GeoIP2 (`country.iso_code`, `subdivisions[]`, `city.names.en`,
 * `location`, `postal`) and the flat one of the `@ip-location-db/*-mmdb` packages (`country_code`, `state1`,
 * `city`, `postcode`, `latitude`, `longitude`, `timezone`; no subdivision code, so geo_region stays null).
 * Latitude/longitude are written as Enrich writes its Java `Float`s (`37.751`, not `37.750999450683594`).
 * Those packages ship IPv4 and IPv6 in separate files: when a configured database is IPv4-only and a file
 * `<name>.ipv6.mmdb` lies beside it (e.g. `GeoLite2-City.ipv6.mmdb`), IPv6 addresses are looked up there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Reader } from 'maxmind';
import { FIELD_INDEX } from '../../core/enriched-event';
import { makeTsvSafe } from '../../core/tracker-protocol';
import { enrichmentInfo, entity, EnrichmentConfigError, localAssetPath, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';
import { Lru } from './lru';

export const ASN_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/asn/jsonschema/1-0-1';

type Db = 'geo' | 'isp' | 'domain' | 'connectionType' | 'asn';
const DBS: Db[] = ['geo', 'isp', 'domain', 'connectionType', 'asn'];

/** Where a configured database lives: `<uri>/<database>` for a `file:` URI or a plain path. */
export function databasePath(source: string, db: string, spec: { database: string; uri: string }): string {
  return localAssetPath(source, `parameters.${db}`, spec, 'MaxMind databases');
}

/** The IPv6 companion of an IPv4-only database file: `X.mmdb` → `X.ipv6.mmdb`. */
export function ipv6CompanionPath(path: string): string {
  return path.replace(/(\.mmdb)?$/i, '.ipv6.mmdb');
}

/**
 * `Float.toString` of the Java float nearest `x`, as Enrich writes geo_latitude/geo_longitude: the shortest
 * decimal that reads back as the same float, with at least one fractional digit (`51.0`), in E notation
 * outside [10^-3, 10^7).
 */
export function javaFloatString(x: number): string {
  const f = Math.fround(x);
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? 'Infinity' : '-Infinity';
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  let n = f;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) {
      n = candidate;
      break;
    }
  }
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

interface Names {
  names?: Record<string, string>;
}
/** GeoIP2/GeoLite2 City (MaxMind's shape). */
interface CityRecord {
  country?: { iso_code?: string };
  subdivisions?: Array<{ iso_code?: string } & Names>;
  city?: Names;
  postal?: { code?: string };
  location?: { latitude?: number; longitude?: number; time_zone?: string };
}
/** The flat City shape of the `@ip-location-db/*-city-mmdb` packages. */
interface FlatCityRecord {
  country_code?: string;
  state1?: string;
  state2?: string;
  city?: string;
  postcode?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

export interface IpLookupResult {
  values: Array<[number, string | null]>;
  asn?: { number: number; organization: string | null };
}

function clean(s: string | undefined | null): string | null {
  return s === undefined || s === null || s === '' ? null : makeTsvSafe(s);
}

function coordinate(n: number | undefined): string | null {
  return typeof n === 'number' ? javaFloatString(n) : null;
}

/** geo_* columns of a City record of either shape. */
export function geoValues(rec: CityRecord | FlatCityRecord): Array<[number, string | null]> {
  if (typeof (rec as FlatCityRecord).country_code === 'string' || typeof (rec as FlatCityRecord).city === 'string') {
    const r = rec as FlatCityRecord;
    return [
      [FIELD_INDEX.geo_country, clean(r.country_code)],
      [FIELD_INDEX.geo_region, null],
      [FIELD_INDEX.geo_city, clean(r.city)],
      [FIELD_INDEX.geo_zipcode, clean(r.postcode)],
      [FIELD_INDEX.geo_latitude, coordinate(r.latitude)],
      [FIELD_INDEX.geo_longitude, coordinate(r.longitude)],
      [FIELD_INDEX.geo_region_name, clean(r.state1)],
      [FIELD_INDEX.geo_timezone, clean(r.timezone)],
    ];
  }
  const city = rec as CityRecord;
  const sub = city.subdivisions?.[0];
  return [
    [FIELD_INDEX.geo_country, clean(city.country?.iso_code)],
    [FIELD_INDEX.geo_region, clean(sub?.iso_code)],
    [FIELD_INDEX.geo_city, clean(city.city?.names?.en)],
    [FIELD_INDEX.geo_zipcode, clean(city.postal?.code)],
    [FIELD_INDEX.geo_latitude, coordinate(city.location?.latitude)],
    [FIELD_INDEX.geo_longitude, coordinate(city.location?.longitude)],
    [FIELD_INDEX.geo_region_name, clean(sub?.names?.en)],
    [FIELD_INDEX.geo_timezone, clean(city.location?.time_zone)],
  ];
}

function openReader(source: string, db: string, path: string): Reader<any> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new EnrichmentConfigError(source, `parameters.${db}`, `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    // Decoded records cached by their offset: many addresses share one record (a city), so a miss in the
    // per-address cache below mostly costs only the tree walk.
    return new Reader(buf, { cache: new Lru<unknown, string | number>(50_000) });
  } catch (err) {
    throw new EnrichmentConfigError(source, `parameters.${db}`, `${path} is not a MaxMind DB: ${(err as Error).message}`);
  }
}

export function ipLookups(c: EnrichmentConfig, opts: { readers?: Partial<Record<Db, Reader<any>>> } = {}): Enrichment {
  const readers: Partial<Record<Db, Reader<any>>> = { ...opts.readers };
  const readers6: Partial<Record<Db, Reader<any>>> = {};
  for (const db of DBS) {
    const spec = c.parameters[db] as { database: string; uri: string } | undefined;
    if (!spec || readers[db]) continue;
    const path = databasePath(c.source, db, spec);
    const reader = openReader(c.source, db, path);
    readers[db] = reader;
    const v6 = ipv6CompanionPath(path);
    if (reader.metadata.ipVersion === 4 && existsSync(v6)) readers6[db] = openReader(c.source, db, v6);
  }
  const cache = new Lru<IpLookupResult>(10_000);
  const geoByRecord = new WeakMap<object, Array<[number, string | null]>>();

  function get<T>(db: Db, ip: string): T | null {
    const r = (isIP(ip) === 6 && readers6[db]) || readers[db];
    if (!r) return null;
    try {
      return r.get(ip) as T | null;
    } catch {
      return null; // e.g. an IPv6 address against an IPv4-only database
    }
  }

  function lookup(ip: string): IpLookupResult {
    const out: IpLookupResult = { values: [] };
    const city = get<CityRecord | FlatCityRecord>('geo', ip);
    if (city) {
      // The reader's record cache hands out one object per record: its columns are computed once.
      let values = geoByRecord.get(city);
      if (!values) {
        values = geoValues(city);
        geoByRecord.set(city, values);
      }
      out.values.push(...values);
    }
    const isp = get<{ isp?: string; organization?: string }>('isp', ip);
    if (isp) out.values.push([FIELD_INDEX.ip_isp, clean(isp.isp)], [FIELD_INDEX.ip_organization, clean(isp.organization)]);
    const domain = get<{ domain?: string }>('domain', ip);
    if (domain) out.values.push([FIELD_INDEX.ip_domain, clean(domain.domain)]);
    const conn = get<{ connection_type?: string }>('connectionType', ip);
    if (conn) out.values.push([FIELD_INDEX.ip_netspeed, clean(conn.connection_type)]);
    const asn = get<{ autonomous_system_number?: number; autonomous_system_organization?: string }>('asn', ip);
    if (asn && typeof asn.autonomous_system_number === 'number')
      out.asn = { number: asn.autonomous_system_number, organization: asn.autonomous_system_organization ?? null };
    return out;
  }

  return {
    name: 'ip_lookups',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const ip = ctx.event.user_ipaddress;
      if (!ip || isIP(ip) === 0) return;
      let r = cache.get(ip);
      if (!r) {
        r = lookup(ip);
        cache.set(ip, r);
      }
      const v = ctx.event.values;
      for (const [idx, val] of r.values) v[idx] = val;
      if (r.asn) return { contexts: [entity(ASN_SCHEMA, { ...r.asn })] };
    },
  };
}
