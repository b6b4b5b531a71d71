import { describe, expect, it } from 'vitest';
import { UA_PARSER_DEFAULT } from './defaults';
import { derived, enrichOne, settingsWith } from './testing';
import { parseUserAgent, UA_PARSER_CONTEXT } from './ua-parser';

const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1';

describe('ua_parser_config', () => {
  it('parses browser, OS and device into ua_parser_context fields', () => {
    const c = parseUserAgent(CHROME_MAC);
    expect(c).toMatchObject({ useragentFamily: 'Chrome', useragentMajor: '120', useragentMinor: '0', useragentPatch: '6099', useragentVersion: 'Chrome 120.0.6099' });
    expect(c).toMatchObject({ osFamily: 'macOS', osMajor: '10', osMinor: '15', osPatch: '7', osVersion: 'macOS 10.15.7' });
    const i = parseUserAgent(SAFARI_IPHONE);
    expect([i.useragentFamily, i.osFamily, i.osMajor, i.deviceFamily]).toEqual(['Mobile Safari', 'iOS', '17', 'iPhone']);
    const x = parseUserAgent('curl-like/0');
    expect([x.useragentFamily, x.useragentMajor, x.osFamily, x.deviceFamily]).toEqual(['Other', null, 'Other', 'Other']);
  });

  it('adds a valid derived context from the event user agent (ua parameter wins over the header)', async () => {
    const s = await settingsWith([UA_PARSER_DEFAULT]);
    const { good, bad } = await enrichOne(s, { e: 'pv', tv: 't', p: 'web', ua: SAFARI_IPHONE }, { userAgent: CHROME_MAC });
    expect(bad).toBeUndefined();
    const ctx = derived(good!);
    expect(ctx.map((c) => c.schema)).toEqual([UA_PARSER_CONTEXT]);
    expect(ctx[0]!.data.useragentFamily).toBe('Mobile Safari');
    const header = await enrichOne(s, { e: 'pv', tv: 't', p: 'web' }, { userAgent: CHROME_MAC });
    expect(derived(header.good!)[0]!.data.useragentFamily).toBe('Chrome');
  });

  it('adds nothing without a user agent', async () => {
    const s = await settingsWith([UA_PARSER_DEFAULT]);
    const { good } = await enrichOne(s, { e: 'pv', tv: 't', p: 'web' }, { userAgent: undefined, headers: [] });
    expect(good!.derived_contexts).toBeNull();
  });
});
