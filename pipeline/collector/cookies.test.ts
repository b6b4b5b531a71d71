import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCollectorPayload } from '../core/collector-payload';
import { harness, type Harness, type TestCollector } from './testkit';
import { send } from './http.testkit';
import fc from 'fast-check';
import { cookieValue, parseCookies, sanitizeCookieHeader } from './cookies';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY = 86_400_000;

/** Parse one Set-Cookie into its value and attributes, keeping the attribute order. */
function parseSetCookie(h: string) {
  const [pair, ...attrs] = h.split('; ');
  const eq = pair!.indexOf('=');
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs: attrs.map((a) => a.split('=')[0]), attr: Object.fromEntries(attrs.map((a) => [a.split('=')[0], a.split('=')[1] ?? true])) };
}

describe('the sp cookie and network_userid (cookie matrix)', () => {
  let h: Harness;
  let plain: TestCollector;
  let domains: TestCollector;
  let lax: TestCollector;
  let noneInsecure: TestCollector;
  let disabled: TestCollector;
  let dnt: TestCollector;
  let bounce: TestCollector;
  beforeAll(async () => {
    h = await harness();
    plain = await h.start();
    domains = await h.start({ cookie: { domains: ['foo.com', 'acme.com'], fallbackDomain: 'fallback.net', clientCookieName: 'sp_client', expiration: '30 days' } });
    lax = await h.start({ cookie: { sameSite: 'lax', secure: false, httpOnly: false, name: 'uid', domains: ['acme.com'] } });
    noneInsecure = await h.start({ cookie: { sameSite: 'None', secure: false } });
    disabled = await h.start({ cookie: { enabled: false } });
    dnt = await h.start({ doNotTrackCookie: { enabled: true, name: 'dnt', value: 'yes|true' } });
    bounce = await h.start({ cookieBounce: { enabled: true, name: 'n3pc', fallbackNetworkUserId: '00000000-0000-4000-A000-000000000000', forwardedProtocolHeader: 'X-Forwarded-Proto' } });
  });
  afterAll(async () => h?.stop());

  const last = async (tc: TestCollector) => decodeCollectorPayload((await tc.readRaw()).at(-1)!.data);

  it('sets a fresh UUIDv4 when there is none: Expires (never Max-Age) a year ahead, Path=/, SameSite=None, Secure, HttpOnly, no Domain', async () => {
    const t0 = Date.now();
    const r = await send(plain.url, { path: '/i' });
    const cookies = r.headers['set-cookie']!;
    expect(cookies).toHaveLength(1);
    const c = parseSetCookie(cookies[0]!);
    expect(c.name).toBe('sp');
    expect(c.value).toMatch(UUID);
    expect(c.attrs).toEqual(['Expires', 'Path', 'SameSite', 'Secure', 'HttpOnly']);
    expect(c.attr.SameSite).toBe('None');
    expect(c.attr.Path).toBe('/');
    expect(cookies[0]).not.toContain('Max-Age');
    const expires = Date.parse(String(c.attr.Expires));
    expect(expires).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 + 365 * DAY);
    expect(expires).toBeLessThanOrEqual(Date.now() + 365 * DAY);
    expect(String(c.attr.Expires)).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect((await last(plain)).networkUserId).toBe(c.value);
  });

  it('re-sets the incoming cookie with a fresh expiry on every hit; the nuid query parameter wins over the cookie', async () => {
    const r = await send(plain.url, { path: '/i', headers: { cookie: 'other=1; sp=my-id-1' } });
    expect(parseSetCookie(r.headers['set-cookie']![0]!).value).toBe('my-id-1');
    expect((await last(plain)).networkUserId).toBe('my-id-1');
    const q = await send(plain.url, { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2?nuid=from-query', headers: { cookie: 'sp=my-id-1' }, body: '{}' });
    expect(parseSetCookie(q.headers['set-cookie']![0]!).value).toBe('from-query');
    expect((await last(plain)).networkUserId).toBe('from-query');
  });

  it('SP-Anonymous without a cookie: no Set-Cookie, all-zero nuid, IP unknown, XFF/X-Real-Ip/Cookie not recorded', async () => {
    const r = await send(plain.url, { path: '/i', headers: [['SP-Anonymous', '*'], ['X-Forwarded-For', '1.2.3.4'], ['X-Real-Ip', '1.2.3.4'], ['User-Agent', 'ua']] });
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
    const p = await last(plain);
    expect(p.networkUserId).toBe('00000000-0000-0000-0000-000000000000');
    expect(p.ipAddress).toBe('unknown');
    expect(p.headers).toEqual([`Host: ${new URL(plain.url).host}`, 'SP-Anonymous: *', 'User-Agent: ua', 'Connection: close']);
  });

  it('SP-Anonymous with an sp cookie: the cookie is expired (empty value, Expires in the past)', async () => {
    const r = await send(plain.url, { path: '/i', headers: [['SP-Anonymous', '*'], ['Cookie', 'sp=known']] });
    const c = parseSetCookie(r.headers['set-cookie']![0]!);
    expect(c.value).toBe('');
    expect(Date.parse(String(c.attr.Expires))).toBeLessThan(Date.now() - 364 * DAY);
    expect((await last(plain)).networkUserId).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('Domain: the first configured domain an Origin host equals or ends with, else fallbackDomain; plus the client cookie', async () => {
    const cases: [string | undefined, string][] = [
      ['https://www.acme.com', 'acme.com'],
      ['https://acme.com:8443', 'acme.com'],
      ['https://evil.com https://shop.foo.com', 'foo.com'],
      ['https://notacme.com', 'fallback.net'],
      [undefined, 'fallback.net'],
    ];
    for (const [origin, domain] of cases) {
      const r = await send(domains.url, { path: '/i', headers: origin ? { origin } : {} });
      const [server, client] = r.headers['set-cookie']!.map(parseSetCookie);
      expect(server!.attr.Domain, origin).toBe(domain);
      expect(server!.attrs).toEqual(['Expires', 'Domain', 'Path', 'SameSite', 'Secure', 'HttpOnly']);
      expect(client!.name).toBe('sp_client');
      expect(client!.value).toBe(server!.value);
      expect(client!.attrs).toEqual(['Expires', 'Domain', 'Path', 'SameSite', 'Secure']);
      expect(Date.parse(String(server!.attr.Expires)) - Date.now()).toBeLessThan(30 * DAY + 1000);
      expect(r.headers['access-control-allow-origin']).toBe(origin ? origin.split(' ')[0] : '*');
    }
  });

  it('SameSite Lax with secure=false drops Secure; httpOnly=false drops HttpOnly; a custom cookie name is read and written', async () => {
    const r = await send(lax.url, { path: '/i', headers: { cookie: 'sp=ignored; uid=mine', origin: 'http://a.acme.com' } });
    expect(r.headers['set-cookie']![0]).toMatch(/^uid=mine; Expires=[^;]+; Domain=acme\.com; Path=\/; SameSite=Lax$/);
    expect((await last(lax)).networkUserId).toBe('mine');
  });

  it('SameSite=None forces Secure even when secure=false', async () => {
    const r = await send(noneInsecure.url, { path: '/i' });
    expect(r.headers['set-cookie']![0]).toMatch(/; SameSite=None; Secure; HttpOnly$/);
  });

  it('cookie.enabled=false: no Set-Cookie, but the request is recorded with a nuid', async () => {
    const r = await send(disabled.url, { path: '/i' });
    expect(r.headers['set-cookie']).toBeUndefined();
    expect((await last(disabled)).networkUserId).toMatch(UUID);
  });

  it('a client-supplied nuid that cannot be a cookie value is recorded but never echoed into Set-Cookie', async () => {
    const r = await send(plain.url, { path: '/i?nuid=a%3B%20Domain%3Devil.com%0D%0AX-Injected%3A%201' });
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['x-injected']).toBeUndefined();
    expect((await last(plain)).networkUserId).toBe('a; Domain=evil.com\r\nX-Injected: 1');
  });

  it('do-not-track cookie (regex on the whole value): normal answer, no cookie, nothing recorded', async () => {
    const before = (await dnt.readRaw()).length;
    const r = await send(dnt.url, { path: '/i', headers: { cookie: 'dnt=yes' } });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(43);
    expect(r.headers['set-cookie']).toBeUndefined();
    const p = await send(dnt.url, { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2', headers: { cookie: 'dnt=true' }, body: '{}' });
    expect(p.text).toBe('ok');
    expect((await dnt.readRaw()).length).toBe(before);
    // not matching (partial match is not enough): recorded
    await send(dnt.url, { path: '/i', headers: { cookie: 'dnt=yes-please' } });
    expect((await dnt.readRaw()).length).toBe(before + 1);
  });

  it('cookie bounce: first leg 302 to the same URI + n3pc=true (scheme from the forwarded-proto header), nothing recorded; second leg uses the fallback nuid', async () => {
    const before = (await bounce.readRaw()).length;
    const first = await send(bounce.url, { path: '/i?e=pv', headers: [['Host', 'c.acme.com'], ['X-Forwarded-Proto', 'https']] });
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('https://c.acme.com/i?e=pv&n3pc=true');
    expect(first.headers['set-cookie']).toHaveLength(1);
    expect((await bounce.readRaw()).length).toBe(before);
    const second = await send(bounce.url, { path: '/i?e=pv&n3pc=true', headers: [['Host', 'c.acme.com']] });
    expect(second.status).toBe(200);
    expect((await last(bounce)).networkUserId).toBe('00000000-0000-4000-A000-000000000000');
    // with a cookie, or a POST (no pixel expected): no bounce
    expect((await send(bounce.url, { path: '/i', headers: { cookie: 'sp=x' } })).status).toBe(200);
    expect((await send(bounce.url, { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2', body: '{}' })).status).toBe(200);
    expect((await bounce.readRaw()).length).toBe(before + 3);
  });
});

describe('cookie helpers', () => {
  it('sanitises recorded Cookie headers per RFC 6265 (spaces removed, bad parts dropped)', () => {
    expect(sanitizeCookieHeader('a=b; c=d')).toBe('a=b;c=d');
    expect(sanitizeCookieHeader('a=b; bad"q=1; e=f\\g; h=i,j; k=l')).toBe('a=b;k=l');
    expect(sanitizeCookieHeader('x="quoted"')).toBeUndefined();
    expect(sanitizeCookieHeader(' ; ')).toBeUndefined();
  });
  it('parses request cookies, first occurrence wins', () => {
    expect([...parseCookies(['sp=1; a=2', 'sp=3; b'])]).toEqual([
      ['sp', '1'],
      ['a', '2'],
    ]);
  });
  // Cookie-ish text: names, '=', ';', spaces, quotes, commas, non-ASCII.
  const cookieText = fc.string({ unit: fc.constantFrom('sp', 'a', 'b', '=', ';', ' ', '"', ',', '\\', 'x1', 'é', '\t'), maxLength: 24 });

  it('property: cookieValue(values, name) is parseCookies(values).get(name) for any headers and name', () => {
    fc.assert(
      fc.property(fc.array(cookieText, { maxLength: 3 }), fc.constantFrom('sp', 'a', 'b', 'x1', 'sp a'), (values, name) => {
        expect(cookieValue(values, name)).toBe(parseCookies(values).get(name));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: sanitising keeps, for any value, exactly the non-empty cookie-octet parts of the space-less value', () => {
    const octets = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
    fc.assert(
      fc.property(fc.oneof(cookieText, fc.string({ maxLength: 30 })), (value) => {
        const kept = value.replace(/ /g, '').split(';').filter((p) => p.length > 0 && octets.test(p));
        expect(sanitizeCookieHeader(value)).toBe(kept.length > 0 ? kept.join(';') : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
