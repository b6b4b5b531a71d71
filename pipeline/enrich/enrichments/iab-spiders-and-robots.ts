/**
 * IAB spiders and robots (spec §5 #1; EN `registry/IabEnrichment`, snowplow/iab-spiders-and-robots-java-client):
 * classifies the request from its user agent and IP with three list files in the IAB/ABC formats, read once
 * at start-up from local `file:` URIs or directories, and adds a `com.iab.snowplow/spiders_and_robots` 1-0-0
 * context. Runs only when the event has a non-blank user agent, a parseable IP and a derived_tstamp (the
 * date the lists' inactive dates are compared with), before IP anonymisation.
 *
 * The check, in the client's order:
 *  1. config `includeUseragents` (substring, case-insensitive) → browser; 2. config `excludeUseragents` →
 *     robot (FAILED_UA_EXCLUDE, UNKNOWN);
 *  3. the IP in `ip_exclude_current_cidr.txt` (addresses and CIDR blocks) → robot (FAILED_IP_EXCLUDE);
 *  4. no active record of `include_current.txt` matches → robot (FAILED_UA_INCLUDE);
 *  5. the first record of `exclude_current.txt` that matches (and none of its exception patterns does) →
 *     ACTIVE_ or INACTIVE_SPIDER_OR_ROBOT (by its inactive date), with its primary impact; else browser.
 * The list files are ISO-8859-1, `|`-separated (commons-csv quoting), `#` comment lines; patterns match
 * lower-cased, as substrings or (flag) at the start; dates are MM/dd/yyyy.
 *
 * The licensed IAB lists cannot ship with Furrow; `iab-lists/` holds a small list of our own (see
 * defaults.ts `iabSpidersAndRobotsConfig`). Unlike the Java client, an unparseable line of the IP file is a
 * start-up error rather than a failure of every later check.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { enrichmentFailure } from '../../core/bad-rows-enrich';
import { parseTstamp } from '../../core/enriched-event';
import { enrichmentInfo, entity, EnrichmentConfigError, localAssetPath, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';
import { Lru } from './lru';

export const SPIDERS_AND_ROBOTS_SCHEMA = 'iglu:com.iab.snowplow/spiders_and_robots/jsonschema/1-0-0';

export type Category = 'SPIDER_OR_ROBOT' | 'ACTIVE_SPIDER_OR_ROBOT' | 'INACTIVE_SPIDER_OR_ROBOT' | 'BROWSER';
export type Reason = 'FAILED_IP_EXCLUDE' | 'FAILED_UA_INCLUDE' | 'FAILED_UA_EXCLUDE' | 'PASSED_ALL';
export type PrimaryImpact = 'PAGE_IMPRESSIONS' | 'AD_IMPRESSIONS' | 'PAGE_AND_AD_IMPRESSIONS' | 'UNKNOWN' | 'NONE';

export interface IabResponse {
  spiderOrRobot: boolean;
  category: Category;
  reason: Reason;
  primaryImpact: PrimaryImpact;
}

const BROWSER: IabResponse = { spiderOrRobot: false, category: 'BROWSER', reason: 'PASSED_ALL', primaryImpact: 'NONE' };
const robot = (category: Category, reason: Reason, primaryImpact: PrimaryImpact): IabResponse => ({ spiderOrRobot: true, category, reason, primaryImpact });

/** Records of an IAB list file: commons-csv DEFAULT with `|` as delimiter and `#` as comment marker. */
export function parseIabCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Start of a record: skip empty lines and comment lines.
    if (text[i] === '\n' || text[i] === '\r') {
      i++;
      continue;
    }
    if (text[i] === '#') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    const fields: string[] = [];
    let field = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) break;
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          field += text[i++];
        }
        while (i < n && text[i] !== '|' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      } else while (i < n && text[i] !== '|' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      fields.push(field);
      field = '';
      if (i < n && text[i] === '|') {
        i++;
        continue;
      }
      break;
    }
    records.push(fields);
  }
  return records;
}

const field = (r: readonly string[], k: number): string | null => (k < r.length ? r[k]!.trim() : null);
const flag = (r: readonly string[], k: number): boolean => field(r, k) === '1';

/** `MM/dd/yyyy` as a lenient SimpleDateFormat reads it (UTC midnight), or null. */
export function parseIabDate(s: string | null): number | null {
  const m = s ? /^\s*(\d{1,2})\/(\d{1,2})\/(\d{1,4})/.exec(s) : null;
  return m ? Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])) : null;
}

interface IncludeRecord {
  pattern: string;
  active: boolean;
  startOfString: boolean;
  inactiveDate: number | null;
}

interface ExcludeRecord {
  pattern: string;
  /** Skipped entirely: not active and no inactive date. */
  disabled: boolean;
  exceptions: string[];
  impactFlag: string | null;
  startOfString: boolean;
  inactiveDate: number | null;
}

const matches = (ua: string, pattern: string, startOfString: boolean) => (startOfString ? ua.startsWith(pattern) : ua.includes(pattern));

const IMPACT: Record<string, PrimaryImpact> = { '0': 'PAGE_IMPRESSIONS', '1': 'AD_IMPRESSIONS', '2': 'PAGE_AND_AD_IMPRESSIONS' };

/** The three lists and the config's own patterns: the Java client's `checkAt`. */
export class IabLists {
  private readonly ips = new BlockList();
  private readonly include: IncludeRecord[];
  private readonly exclude: ExcludeRecord[];
  /** Per user agent: matching include records and the first matching exclude record (date-independent). */
  private readonly uaCache = new Lru<{ include: IncludeRecord[]; exclude: ExcludeRecord | null }>(10_000);

  constructor(
    files: { ip: string; exclude: string; include: string },
    private readonly customInclude: readonly string[] = [],
    private readonly customExclude: readonly string[] = [],
    onBadIpLine: (line: number, text: string) => never = (line, text) => {
      throw new Error(`line ${line}: '${text}' is not an IP address or CIDR block`);
    },
  ) {
    files.ip.split(/\r\n|\n|\r/).forEach((raw, k) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const [addr, bits, extra] = line.split('/');
      const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
      const prefix = bits === undefined ? (type === 'ipv6' ? 128 : 32) : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (isIP(addr!) === 0 || extra !== undefined || !(prefix <= (type === 'ipv6' ? 128 : 32))) onBadIpLine(k + 1, line);
      this.ips.addSubnet(addr!, prefix, type);
    });
    this.include = parseIabCsv(files.include).map((r) => ({
      pattern: (field(r, 0) ?? '').toLowerCase(),
      active: flag(r, 1),
      startOfString: flag(r, 2),
      inactiveDate: parseIabDate(field(r, 3)),
    }));
    this.exclude = parseIabCsv(files.exclude).map((r) => {
      const inactiveDate = parseIabDate(field(r, 6));
      return {
        pattern: (field(r, 0) ?? '').toLowerCase(),
        disabled: !flag(r, 1) && inactiveDate === null,
        exceptions: (field(r, 2) ?? '')
          .toLowerCase()
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
        impactFlag: field(r, 4),
        startOfString: flag(r, 5),
        inactiveDate,
      };
    });
    this.customInclude = customInclude.map((p) => p.toLowerCase());
    this.customExclude = customExclude.map((p) => p.toLowerCase());
  }

  /** Throws (like the Java client) on an exclude record whose primary impact flag is not 0, 1 or 2. */
  check(userAgent: string | null, ip: string | null, accurateAt: number): IabResponse {
    const ua = userAgent?.toLowerCase() ?? null;
    if (ua !== null && this.customInclude.some((p) => ua.includes(p))) return BROWSER;
    if (ua !== null && this.customExclude.some((p) => ua.includes(p))) return robot('SPIDER_OR_ROBOT', 'FAILED_UA_EXCLUDE', 'UNKNOWN');
    if (ip !== null) {
      const type = isIP(ip);
      if (type !== 0 && this.ips.check(ip, type === 6 ? 'ipv6' : 'ipv4')) return robot('SPIDER_OR_ROBOT', 'FAILED_IP_EXCLUDE', 'UNKNOWN');
    }
    if (ua === null) return BROWSER;
    let hit = this.uaCache.get(ua);
    if (!hit) {
      hit = {
        include: this.include.filter((r) => matches(ua, r.pattern, r.startOfString)),
        exclude: this.exclude.find((r) => !r.disabled && matches(ua, r.pattern, r.startOfString) && !r.exceptions.some((x) => ua.includes(x))) ?? null,
      };
      this.uaCache.set(ua, hit);
    }
    if (!hit.include.some((r) => r.active || (r.inactiveDate !== null && accurateAt < r.inactiveDate))) return robot('SPIDER_OR_ROBOT', 'FAILED_UA_INCLUDE', 'UNKNOWN');
    const x = hit.exclude;
    if (!x) return BROWSER;
    const impact = x.impactFlag !== null ? IMPACT[x.impactFlag] : undefined;
    if (!impact) throw new Error(`Invalid value of impression flag: '${x.impactFlag}'`);
    const active = x.inactiveDate === null || accurateAt < x.inactiveDate;
    return robot(active ? 'ACTIVE_SPIDER_OR_ROBOT' : 'INACTIVE_SPIDER_OR_ROBOT', 'FAILED_UA_EXCLUDE', impact);
  }
}

type FileSpec = { database: string; uri: string };

export function iabSpidersAndRobots(c: EnrichmentConfig): Enrichment {
  const p = c.parameters as { ipFile: FileSpec; excludeUseragentFile: FileSpec; includeUseragentFile: FileSpec; includeUseragents?: string[]; excludeUseragents?: string[] };
  const read = (name: 'ipFile' | 'excludeUseragentFile' | 'includeUseragentFile') => {
    const path = localAssetPath(c.source, `data.parameters.${name}`, p[name], 'IAB lists');
    try {
      return readFileSync(path, 'latin1');
    } catch (err) {
      throw new EnrichmentConfigError(c.source, `data.parameters.${name}`, `cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const files = { ip: read('ipFile'), exclude: read('excludeUseragentFile'), include: read('includeUseragentFile') };
  const lists = new IabLists(files, p.includeUseragents ?? [], p.excludeUseragents ?? [], (line, text) => {
    throw new EnrichmentConfigError(c.source, 'data.parameters.ipFile', `line ${line}: '${text}' is not an IP address or CIDR block`);
  });
  const info = enrichmentInfo(c);
  return {
    name: 'iab_spiders_and_robots_enrichment',
    info,
    enrich(ctx) {
      const e = ctx.event;
      const ua = e.useragent;
      const ip = e.user_ipaddress;
      const tstamp = e.derived_tstamp;
      if (!ua || ua.trim() === '' || !ip || isIP(ip) === 0 || !tstamp) return;
      try {
        return { contexts: [entity(SPIDERS_AND_ROBOTS_SCHEMA, lists.check(ua, ip, parseTstamp(tstamp)))] };
      } catch (err) {
        return { failures: [enrichmentFailure({ error: (err as Error).message }, info)] };
      }
    },
  };
}
