import { describe, expect, it } from 'vitest';
import { CAMPAIGN_ATTRIBUTION_DEFAULT } from './defaults';
import { enrichOne, settingsWith, withParams } from './testing';

const PV = { e: 'pv', tv: 't', p: 'web' };

describe('campaign_attribution', () => {
  it('maps utm_* and the default click ids from the page URL (decoded; a tab becomes spaces like makeTsvSafe)', async () => {
    const s = await settingsWith([CAMPAIGN_ATTRIBUTION_DEFAULT]);
    const { good } = await enrichOne(s, {
      ...PV,
      url: 'https://shop.example.com/p?utm_source=news%20letter&utm_medium=email&utm_campaign=spring%09sale&utm_term=shoes&utm_content=hero&gclid=abc123',
    });
    expect(good).toBeDefined();
    expect([good!.mkt_source, good!.mkt_medium, good!.mkt_campaign, good!.mkt_term, good!.mkt_content]).toEqual(['news letter', 'email', 'spring    sale', 'shoes', 'hero']);
    expect([good!.mkt_clickid, good!.mkt_network]).toEqual(['abc123', 'Google']);
  });

  it('uses the first configured parameter present; custom click ids add to and override the defaults', async () => {
    const s = await settingsWith([
      withParams(CAMPAIGN_ATTRIBUTION_DEFAULT, {
        fields: { mktMedium: ['med', 'utm_medium'], mktSource: ['src', 'utm_source'], mktTerm: [], mktContent: [], mktCampaign: ['cid'], mktClickId: { fbclid: 'Facebook', gclid: 'Alphabet' } },
      }),
    ]);
    const a = await enrichOne(s, { ...PV, url: 'https://a.example/?utm_medium=cpc&med=social&utm_source=x&cid=42&fbclid=F1&utm_term=ignored' });
    expect([a.good!.mkt_medium, a.good!.mkt_source, a.good!.mkt_campaign, a.good!.mkt_term]).toEqual(['social', 'x', '42', null]);
    expect([a.good!.mkt_clickid, a.good!.mkt_network]).toEqual(['F1', 'Facebook']);
    const b = await enrichOne(s, { ...PV, url: 'https://a.example/?gclid=G1' });
    expect(b.good!.mkt_network).toBe('Alphabet');
    const c = await enrichOne(s, { ...PV, url: 'https://a.example/?msclkid=M1' });
    expect([c.good!.mkt_clickid, c.good!.mkt_network]).toEqual(['M1', 'Microsoft']);
  });

  it('leaves mkt_* empty without campaign parameters or without a page URL', async () => {
    const s = await settingsWith([CAMPAIGN_ATTRIBUTION_DEFAULT]);
    const a = await enrichOne(s, { ...PV, url: 'https://a.example/?q=1' });
    const b = await enrichOne(s, { e: 'se', tv: 't', p: 'srv', se_ca: 'c', se_ac: 'a' });
    for (const e of [a.good!, b.good!]) expect([e.mkt_medium, e.mkt_source, e.mkt_clickid, e.mkt_network]).toEqual([null, null, null, null]);
  });
});
