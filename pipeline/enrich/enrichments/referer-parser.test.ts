import { describe, expect, it } from 'vitest';
import { REFERER_PARSER_DEFAULT } from './defaults';
import { enrichOne, settingsWith, withParams } from './testing';

const PV = { e: 'pv', tv: 't', p: 'web', url: 'https://shop.example.com/landing' };

async function refr(s: Awaited<ReturnType<typeof settingsWith>>, refr: string, url = PV.url) {
  const { good } = await enrichOne(s, { ...PV, url, refr });
  return [good!.refr_medium, good!.refr_source, good!.refr_term];
}

describe('referer_parser', () => {
  it('classifies search (with term), social, email, internal and unknown referrers', async () => {
    const s = await settingsWith([withParams(REFERER_PARSER_DEFAULT, { internalDomains: ['blog.example.com'] })]);
    expect(await refr(s, 'https://www.google.co.uk/search?q=red+shoes&hl=en')).toEqual(['search', 'Google', 'red shoes']);
    expect(await refr(s, 'https://duckduckgo.com/?q=furrow%20pipeline')).toEqual(['search', 'DuckDuckGo', 'furrow pipeline']);
    expect(await refr(s, 'https://www.bing.com/')).toEqual(['search', 'Bing', null]);
    expect(await refr(s, 'https://l.facebook.com/l.php?u=x')).toEqual(['social', 'Facebook', null]);
    expect(await refr(s, 'https://mail.google.com/mail/u/0/')).toEqual(['email', 'Gmail', null]);
    expect(await refr(s, 'https://shop.example.com/cart')).toEqual(['internal', null, null]);
    expect(await refr(s, 'https://blog.example.com/post')).toEqual(['internal', null, null]);
    expect(await refr(s, 'https://random-site.example.org/x')).toEqual(['unknown', null, null]);
    expect(await refr(s, 'android-app://com.example')).toEqual([null, null, null]);
  });

  it('uses custom referrers from the config', async () => {
    const s = await settingsWith([
      withParams(REFERER_PARSER_DEFAULT, { referrers: { search: { AcmeFind: { domains: ['find.acme.test'], parameters: ['term'] } }, partner: { Acme: { domains: ['acme.test'] } } } }),
    ]);
    expect(await refr(s, 'https://find.acme.test/?term=boots')).toEqual(['search', 'AcmeFind', 'boots']);
    expect(await refr(s, 'https://www.acme.test/deals')).toEqual(['partner', 'Acme', null]);
  });

  it('leaves the fields empty without a referrer', async () => {
    const s = await settingsWith([REFERER_PARSER_DEFAULT]);
    const { good } = await enrichOne(s, PV);
    expect([good!.refr_medium, good!.refr_source]).toEqual([null, null]);
  });
});
