/**
 * IP lookups (spec §5 #13; EN `registry/IpLookupsEnrichment`, scala-maxmind-iplookups): MaxMind-format
 * databases (GeoIP2/GeoLite2 City, ISP, Domain, Connection-Type, ASN) read with `maxmind` (mmdb-lib),
 * filling geo_*, ip_isp, ip_organization, ip_domain, ip_netspeed and an `asn` 1-0-1 entity. Lookup
 * failures (unparsable or unknown address) are swallowed: never a bad row. Databases are read once at
 * start-up from local files: `uri` must be a `file:` URI or a directory path (nothing is downloaded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import { Reader } from 'maxmind';
import { FIELD_INDEX } from '../../core/enriched-event';
import { makeTsvSafe } from '../../core/tracker-protocol';
import { enrichmentInfo, entity, EnrichmentConfigError, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';
import { Lru } from './ua-parser';

export const ASN_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/asn/jsonschema/1-0-1';

type Db = 'geo' | 'isp' | 'domain' | 'connectionType' | 'asn';
const DBS: Db[] = ['geo', 'isp', 'domain', 'connectionType', 'asn'];

/** Where a configured database lives: `<uri>/<database>` for a `file:` URI or a plain path. */
export function databasePath(source: string, db: string, spec: { database: string; uri: string }): string {
  const uri = spec.uri;
  if (/^https?:|^s3:|^gs:/i.test(uri))
    throw new EnrichmentConfigError(source, `parameters.${db}.uri`, `'${uri}' is remote; Furrow reads MaxMind databases from local files only (file:///dir or a directory path)`);
  const dir = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  return join(dir, spec.database);
}

interface Names {
  names?: Record<string, string>;
}
interface CityRecord {
  country?: { iso_code?: string };
  subdivisions?: Array<{ iso_code?: string } & Names>;
  city?: Names;
  postal?: { code?: string };
  location?: { latitude?: number; longitude?: number; time_zone?: string };
}

export interface IpLookupResult {
  values: Array<[number, string | null]>;
  asn?: { number: number; organization: string | null };
}

function clean(s: string | undefined | null): string | null {
  return s === undefined ? null : makeTsvSafe(s);
}

export function ipLookups(c: EnrichmentConfig, opts: { readers?: Partial<Record<Db, Reader<any>>> } = {}): Enrichment {
  const readers: Partial<Record<Db, Reader<any>>> = { ...opts.readers };
  for (const db of DBS) {
    const spec = c.parameters[db] as { database: string; uri: string } | undefined;
    if (!spec || readers[db]) continue;
    const path = databasePath(c.source, db, spec);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      throw new EnrichmentConfigError(c.source, `parameters.${db}`, `cannot read ${path}: ${(err as Error).message}`);
    }
    try {
      readers[db] = new Reader(buf);
    } catch (err) {
      throw new EnrichmentConfigError(c.source, `parameters.${db}`, `${path} is not a MaxMind DB: ${(err as Error).message}`);
    }
  }
  const cache = new Lru<IpLookupResult>(10_000);

  function get<T>(db: Db, ip: string): T | null {
    const r = readers[db];
    if (!r) return null;
    try {
      return r.get(ip) as T | null;
    } catch {
      return null; // e.g. an IPv6 address against an IPv4-only database
    }
  }

  function lookup(ip: string): IpLookupResult {
    const out: IpLookupResult = { values: [] };
    const city = get<CityRecord>('geo', ip);
    if (city) {
      const sub = city.subdivisions?.[0];
      out.values.push(
        [FIELD_INDEX.geo_country, clean(city.country?.iso_code)],
        [FIELD_INDEX.geo_region, clean(sub?.iso_code)],
        [FIELD_INDEX.geo_city, clean(city.city?.names?.en)],
        [FIELD_INDEX.geo_zipcode, clean(city.postal?.code)],
        [FIELD_INDEX.geo_latitude, city.location?.latitude === undefined ? null : String(city.location.latitude)],
        [FIELD_INDEX.geo_longitude, city.location?.longitude === undefined ? null : String(city.location.longitude)],
        [FIELD_INDEX.geo_region_name, clean(sub?.names?.en)],
        [FIELD_INDEX.geo_timezone, clean(city.location?.time_zone)],
      );
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
