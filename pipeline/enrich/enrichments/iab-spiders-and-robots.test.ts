import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { iabSpidersAndRobotsConfig } from './defaults';
import { IabLists, parseIabCsv, parseIabDate, SPIDERS_AND_ROBOTS_SCHEMA } from './iab-spiders-and-robots';
import { buildEnrichments, inlineSources } from './index';
import { UA_PARSER_DEFAULT } from './defaults';
import { UA_PARSER_CONTEXT } from './ua-parser';
import { derived, enrichOne, oracleAccepts, settingsWith } from './testing';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const PV = { e: 'pv', tv: 't', p: 'web' };
/** The test events' derived_tstamp (= collector_tstamp, 2026-01-02T03:04:05Z) is the lists' "accurate at". */

// Fixture lists in the IAB formats, with the awkward parts: comments, quoting, latin-1, dates, flags.
const FIXTURE = {
  ip: ['# robots by address', '192.0.2.7', '198.51.100.0/24', '2001:db8:bad::/48', ''].join('\n'),
  include: [
    '# pattern|active|start of string|inactive date',
    'mozilla/|1|1|',
    'legacybrowser|0|0|06/30/2026',
    'retiredbrowser|0|0|06/30/2025',
    '"quoted|pipe"|1|0|',
    'caf\u00e9|1|0|',
  ].join('\r\n'),
  exclude: [
    '# pattern|active|exceptions|additional|impact|start of string|inactive date',
    'adbot|1||0|1|0|',
    'oldbot|0||0|0|0|01/01/2026',
    'futurebot|0||0|0|0|12/31/2026',
    'sleepybot|0||0|2|0|',
    'robot|1|notarobot, cubot|0|2|0|',
    'brokenbot|1||0|7|0|',
    'startbot|1||0|2|1|',
  ].join('\n'),
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'furrow-iab-'));
  writeFileSync(join(dir, 'ip_exclude_current_cidr.txt'), FIXTURE.ip);
  writeFileSync(join(dir, 'include_current.txt'), Buffer.from(FIXTURE.include, 'latin1'));
  writeFileSync(join(dir, 'exclude_current.txt'), FIXTURE.exclude);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const one = async (settings: Awaited<ReturnType<typeof settingsWith>>, ua: string | undefined, ip = '203.0.113.9') => {
  const r = await enrichOne(settings, ua === undefined ? PV : { ...PV, ua }, { ipAddress: ip, userAgent: undefined });
  return r;
};
const iabOf = (e: Parameters<typeof derived>[0]) => derived(e).find((c) => c.schema === SPIDERS_AND_ROBOTS_SCHEMA)?.data;

describe('iab_spiders_and_robots_enrichment (IAB list formats, fixture lists)', () => {
  it('parses the list formats: pipes, quotes, comment lines, CRLF; MM/dd/yyyy dates', () => {
    expect(parseIabCsv('# c\r\na|1|1|\r\n\r\n"b|c"|0|0|01/02/2025\n"say ""hi"""|1')).toEqual([
      ['a', '1', '1', ''],
      ['b|c', '0', '0', '01/02/2025'],
      ['say "hi"', '1'],
    ]);
    expect(parseIabDate('06/30/2026')).toBe(Date.UTC(2026, 5, 30));
    expect(parseIabDate('')).toBeNull();
    expect(parseIabDate('not a date')).toBeNull();
  });

  it('classifies by IP, include list, exclude list (inactive dates, exceptions, start of string) in the client order', async () => {
    const s = await settingsWith([iabSpidersAndRobotsConfig(dir)]);
    const cases: Array<[string, string, string, Record<string, unknown>]> = [
      ['browser', CHROME, '203.0.113.9', { spiderOrRobot: false, category: 'BROWSER', reason: 'PASSED_ALL', primaryImpact: 'NONE' }],
      ['robot IPv4 address', CHROME, '192.0.2.7', { spiderOrRobot: true, category: 'SPIDER_OR_ROBOT', reason: 'FAILED_IP_EXCLUDE', primaryImpact: 'UNKNOWN' }],
      ['robot IPv4 block', CHROME, '198.51.100.200', { reason: 'FAILED_IP_EXCLUDE' }],
      ['robot IPv6 block', CHROME, '2001:db8:bad::1', { reason: 'FAILED_IP_EXCLUDE' }],
      ['not included', 'curl/8.4.0', '203.0.113.9', { spiderOrRobot: true, category: 'SPIDER_OR_ROBOT', reason: 'FAILED_UA_INCLUDE', primaryImpact: 'UNKNOWN' }],
      ['include record inactive later', 'LegacyBrowser 1.0', '203.0.113.9', { reason: 'PASSED_ALL' }],
      ['include record already inactive', 'RetiredBrowser 1.0', '203.0.113.9', { reason: 'FAILED_UA_INCLUDE' }],
      ['quoted pattern', 'x quoted|pipe y', '203.0.113.9', { reason: 'PASSED_ALL' }],
      ['latin-1 pattern', 'Caf\u00e9Browser', '203.0.113.9', { reason: 'PASSED_ALL' }],
      ['exclude, ad impressions', 'Mozilla/5.0 AdBot', '203.0.113.9', { spiderOrRobot: true, category: 'ACTIVE_SPIDER_OR_ROBOT', reason: 'FAILED_UA_EXCLUDE', primaryImpact: 'AD_IMPRESSIONS' }],
      ['exclude record inactive since', 'Mozilla/5.0 OldBot', '203.0.113.9', { category: 'INACTIVE_SPIDER_OR_ROBOT', primaryImpact: 'PAGE_IMPRESSIONS' }],
      ['exclude record inactive later', 'Mozilla/5.0 FutureBot', '203.0.113.9', { category: 'ACTIVE_SPIDER_OR_ROBOT' }],
      ['exclude record off without date', 'Mozilla/5.0 SleepyBot', '203.0.113.9', { reason: 'PASSED_ALL' }],
      ['exclude exception pattern', 'Mozilla/5.0 NotARobot', '203.0.113.9', { reason: 'PASSED_ALL' }],
      ['exclude without exception', 'Mozilla/5.0 Robot', '203.0.113.9', { reason: 'FAILED_UA_EXCLUDE', primaryImpact: 'PAGE_AND_AD_IMPRESSIONS' }],
      ['start-of-string pattern elsewhere', 'Mozilla/5.0 startbot', '203.0.113.9', { reason: 'PASSED_ALL' }],
    ];
    for (const [what, ua, ip, want] of cases) {
      const { good, bad } = await one(s, ua, ip);
      expect(bad, what).toBeUndefined();
      const data = iabOf(good!);
      expect(data, what).toMatchObject(want);
      expect(oracleAccepts(SPIDERS_AND_ROBOTS_SCHEMA, data), `${what}: valid against the oracle schema`).not.toBe(false);
    }
  });

  it('an invalid primary impact flag fails the event (enrichment_failures, iab-spiders-and-robots)', async () => {
    const s = await settingsWith([iabSpidersAndRobotsConfig(dir)]);
    const { bad } = await one(s, 'Mozilla/5.0 BrokenBot');
    expect(bad!.schema).toContain('enrichment_failures');
    expect(bad!.data.failure.messages[0]).toEqual({
      enrichment: { schemaKey: 'iglu:com.snowplowanalytics.snowplow.enrichments/iab_spiders_and_robots_enrichment/jsonschema/1-0-1', identifier: 'iab-spiders-and-robots' },
      message: { error: "Invalid value of impression flag: '7'" },
    });
  });

  it('config includeUseragents / excludeUseragents (1-0-1) come first; no user agent or IP: no context', async () => {
    const s = await settingsWith([iabSpidersAndRobotsConfig(dir, { includeUseragents: ['ADBOT'], excludeUseragents: ['chrome/121'] })]);
    expect(iabOf((await one(s, 'Mozilla/5.0 AdBot', '192.0.2.7')).good!)).toMatchObject({ spiderOrRobot: false, reason: 'PASSED_ALL' });
    expect(iabOf((await one(s, CHROME)).good!)).toEqual({ spiderOrRobot: true, category: 'SPIDER_OR_ROBOT', reason: 'FAILED_UA_EXCLUDE', primaryImpact: 'UNKNOWN' });
    expect(iabOf((await one(s, undefined)).good!)).toBeUndefined();
    expect(iabOf((await one(s, CHROME, 'not-an-ip')).good!)).toBeUndefined();
  });

  it('runs first: its context comes last in derived_contexts (reverse run order)', async () => {
    const s = await settingsWith([UA_PARSER_DEFAULT, iabSpidersAndRobotsConfig(dir)]);
    const schemas = derived((await one(s, CHROME)).good!).map((c) => c.schema);
    expect(schemas).toEqual([UA_PARSER_CONTEXT, SPIDERS_AND_ROBOTS_SCHEMA]);
  });

  it("Furrow's own default lists: announced crawlers, published crawler ranges, non-browsers", async () => {
    const s = await settingsWith([iabSpidersAndRobotsConfig()]);
    expect(iabOf((await one(s, GOOGLEBOT)).good!)).toEqual({ spiderOrRobot: true, category: 'ACTIVE_SPIDER_OR_ROBOT', reason: 'FAILED_UA_EXCLUDE', primaryImpact: 'PAGE_AND_AD_IMPRESSIONS' });
    expect(iabOf((await one(s, CHROME, '66.249.66.1')).good!)).toMatchObject({ reason: 'FAILED_IP_EXCLUDE' });
    expect(iabOf((await one(s, 'python-requests/2.31.0')).good!)).toMatchObject({ reason: 'FAILED_UA_INCLUDE' });
    expect(iabOf((await one(s, CHROME)).good!)).toMatchObject({ spiderOrRobot: false });
    expect(iabOf((await one(s, 'Mozilla/5.0 (Linux; Android 12; CUBOT X50) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36')).good!)).toMatchObject({ spiderOrRobot: false });
  });

  it('refuses at start-up remote URIs, missing files and unparseable IP lines, naming the field', async () => {
    const build = (c: unknown) => buildEnrichments(inlineSources([c]), testIgluClient());
    const remote = iabSpidersAndRobotsConfig(dir);
    remote.data.parameters.ipFile.uri = 'https://example.com/iab/';
    await expect(build(remote)).rejects.toThrow(/data\.parameters\.ipFile\.uri: .*local files only/);
    await expect(build(iabSpidersAndRobotsConfig(join(dir, 'nowhere')))).rejects.toThrow(/data\.parameters\.ipFile: cannot read/);
    const bad = mkdtempSync(join(tmpdir(), 'furrow-iab-bad-'));
    try {
      writeFileSync(join(bad, 'ip_exclude_current_cidr.txt'), '10.0.0.1\n10.0.0.0/33\n');
      writeFileSync(join(bad, 'include_current.txt'), '');
      writeFileSync(join(bad, 'exclude_current.txt'), '');
      await expect(build(iabSpidersAndRobotsConfig(bad))).rejects.toThrow(/data\.parameters\.ipFile: line 2: '10\.0\.0\.0\/33'/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
    expect(() => new IabLists({ ip: 'nonsense', include: '', exclude: '' })).toThrow(/line 1/);
  });
});
