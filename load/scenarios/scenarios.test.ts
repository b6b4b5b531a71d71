import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BAD_KINDS,
  DEFAULT_MIX,
  PAYLOAD_DATA,
  TP2_PATH,
  badShare,
  buildRequest,
  nextRequest,
  pickKind,
  rampProfile,
  rng,
  scheduledBy,
  type RequestKind,
} from './index';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function eventsOf(kind: RequestKind, seed: number): Record<string, unknown>[] {
  const req = buildRequest(kind, rng(seed));
  if (req.method === 'POST') return (JSON.parse(req.body!) as { data: Record<string, unknown>[] }).data;
  return [Object.fromEntries(new URL(req.path, 'http://x').searchParams)];
}

describe('load scenarios', () => {
  it('has no Node or k6 imports (k6 and the Node runner share it)', () => {
    const src = readFileSync(join(import.meta.dirname, 'index.ts'), 'utf8');
    expect(src).not.toMatch(/^\s*import[\s{(]/m);
    expect(src).not.toMatch(/\bimport\s*\(|require\(|from\s+['"]|['"]node:|['"]k6/);
    expect(src).not.toMatch(/\b(process|Buffer|__ENV|globalThis)\b/);
  });

  it('tp2 batches decode to payload_data with e, p, tv, eid on every event, and unique event ids', () => {
    const ids = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const req = buildRequest('tp2', rng(seed));
      expect(req.method).toBe('POST');
      expect(req.path).toBe(TP2_PATH);
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(req.body!) as { schema: string; data: Record<string, unknown>[] };
      expect(body.schema).toBe(PAYLOAD_DATA);
      expect(body.data.length).toBeGreaterThanOrEqual(1);
      expect(body.data.length).toBeLessThanOrEqual(5);
      expect(req.expect).toEqual({ events: body.data.length, bad: false });
      for (const e of body.data) {
        for (const f of ['e', 'p', 'tv', 'eid']) expect(typeof e[f], f).toBe('string');
        expect(['pv', 'se', 'ue']).toContain(e.e);
        expect(e.eid).toMatch(UUID);
        expect(ids.has(e.eid as string)).toBe(false);
        ids.add(e.eid as string);
        const co = JSON.parse(e.co as string) as { data: { schema: string }[] };
        expect(co.data[0]!.schema).toBe('iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0');
        if (e.e === 'ue') expect(JSON.parse(e.ue_pr as string).data.schema).toMatch(/^iglu:com\.snowplowanalytics\.snowplow\/link_click\//);
        if (e.e === 'se') expect(typeof e.se_ca).toBe('string');
      }
      expect(req.eventIds).toEqual(body.data.map((e) => e.eid));
    }
  });

  it('pixels carry one page view in the querystring; redirects carry u', () => {
    const [pv] = eventsOf('pixel', 7);
    expect(pv).toMatchObject({ e: 'pv', p: 'web', tv: 'js-4.0.0' });
    expect(pv!.eid).toMatch(UUID);
    const r = buildRequest('redirect', rng(7));
    expect(r.path.startsWith('/r/tp2?')).toBe(true);
    expect(new URL(r.path, 'http://x').searchParams.get('u')).toMatch(/^https:\/\/partner\.example\.org\//);
  });

  it('the bad kinds are the intended kinds of bad', () => {
    const json = buildRequest('bad-json', rng(1));
    expect(() => JSON.parse(json.body!)).toThrow();
    const protocol = JSON.parse(buildRequest('bad-protocol', rng(1)).body!) as { data: Record<string, unknown>[] };
    expect(protocol.data.map((e) => typeof e.page)).toEqual(['string', 'number']);
    const schema = JSON.parse(buildRequest('bad-schema', rng(1)).body!) as { data: Record<string, unknown>[] };
    expect(JSON.parse(schema.data[0]!.ue_pr as string).data.schema).toBe('iglu:com.furrow.load/does_not_exist/jsonschema/1-0-0');
    expect(buildRequest('bad-pixel', rng(1)).path).toBe('/i');
    for (const k of BAD_KINDS) expect(buildRequest(k, rng(2)).expect).toEqual({ events: 1, bad: true });
  });

  it('the default mix is 5% bad, and a long draw matches the weights', () => {
    expect(badShare(DEFAULT_MIX)).toBeCloseTo(0.05, 10);
    const r = rng(42);
    const n = 20_000;
    let bad = 0;
    const kinds = new Set<RequestKind>();
    for (let i = 0; i < n; i++) {
      const k = pickKind(r);
      kinds.add(k);
      if (BAD_KINDS.includes(k)) bad++;
    }
    expect(bad / n).toBeGreaterThan(0.04);
    expect(bad / n).toBeLessThan(0.06);
    expect([...kinds].sort()).toEqual(Object.keys(DEFAULT_MIX).sort());
  });

  it('the same seed gives the same traffic', () => {
    const a = rng(9);
    const b = rng(9);
    for (let i = 0; i < 50; i++) expect(nextRequest(a, DEFAULT_MIX, { now: 1 })).toEqual(nextRequest(b, DEFAULT_MIX, { now: 1 }));
  });

  it('the ramp profile schedules rate x plateau plus the ramp', () => {
    const p = rampProfile(100, 10);
    expect(p.stages).toEqual([
      { durationSeconds: 1, target: 100 },
      { durationSeconds: 9, target: 100 },
    ]);
    expect(scheduledBy(p, 0)).toBe(0);
    expect(scheduledBy(p, 1)).toBe(55); // (10 + 100) / 2 over the 1 s ramp
    expect(scheduledBy(p, 10)).toBe(955);
    expect(scheduledBy(p, 99)).toBe(955);
  });
});
