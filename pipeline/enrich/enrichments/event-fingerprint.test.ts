import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_FINGERPRINT_DEFAULT } from './defaults';
import { fingerprintInput } from './event-fingerprint';
import { enrichOne, settingsWith, withParams } from './testing';

const EV = { e: 'pv', tv: 'js-3.0.0', p: 'web', url: 'https://a.example/', aid: 'shop' };

describe('event_fingerprint_config', () => {
  it('hashes sorted parameters with a value, excluded ones removed (Snowplow recipe)', () => {
    const params = new Map<string, string | null>([
      ['tv', 't'],
      ['e', 'pv'],
      ['eid', 'x'],
      ['empty', null],
    ]);
    expect(fingerprintInput(params, new Set(['eid']))).toBe('e\u001fpv\u001ftv\u001ft\u001f');
  });

  it('is stable across identical events, ignores excluded params, differs when a field differs', async () => {
    const s = await settingsWith([EVENT_FINGERPRINT_DEFAULT]);
    const a = await enrichOne(s, { ...EV, eid: '11111111-1111-4111-8111-111111111111', stm: '1700000000000' });
    const b = await enrichOne(s, { ...EV, eid: '22222222-2222-4222-8222-222222222222', stm: '1700000009999' });
    const c = await enrichOne(s, { ...EV, aid: 'other' });
    expect(a.good!.event_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(a.good!.event_fingerprint).toBe(b.good!.event_fingerprint);
    expect(c.good!.event_fingerprint).not.toBe(a.good!.event_fingerprint);
    const expected = createHash('md5').update(fingerprintInput(new Map(Object.entries(EV)), new Set())).digest('hex');
    expect(a.good!.event_fingerprint).toBe(expected);
  });

  it.each([
    ['SHA1', 40],
    ['SHA256', 64],
    ['SHA384', 96],
    ['SHA512', 128],
  ])('%s gives %i hex digits', async (hashAlgorithm, len) => {
    const s = await settingsWith([withParams(EVENT_FINGERPRINT_DEFAULT, { hashAlgorithm, excludeParameters: [] })]);
    const { good } = await enrichOne(s, EV);
    expect(good!.event_fingerprint).toMatch(new RegExp(`^[0-9a-f]{${len}}$`));
    const alg = hashAlgorithm.toLowerCase();
    expect(good!.event_fingerprint).toBe(createHash(alg).update(fingerprintInput(new Map(Object.entries(EV)), new Set())).digest('hex'));
  });
});
