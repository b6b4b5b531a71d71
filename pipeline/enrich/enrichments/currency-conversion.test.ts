import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { enrichmentJson } from './defaults';
import { decFromDouble, decFromString, reciprocal, roundHalfEven, toPlainString } from './currency-conversion';
import { buildEnrichments, FACTORIES, inlineSources } from './index';
import { enrichOne, settingsWith } from './testing';

/** A local server speaking the shape of Open Exchange Rates' `historical/YYYY-MM-DD.json`. */
let server: Server;
let root: string;
const hits: string[] = [];
const USD_RATES: Record<string, number> = { USD: 1, EUR: 0.9, GBP: 0.8, JPY: 150.5, KWD: 0.3075 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    hits.push(`${url.pathname}${url.search}`);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    const day = /^\/api\/historical\/(\d{4}-\d{2}-\d{2})\.json$/.exec(url.pathname)?.[1];
    if (!day) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: true, status: 404, message: 'not_found', description: 'Not found' }));
      return;
    }
    if (url.searchParams.get('app_id') !== 'k3y') {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: true, status: 401, message: 'invalid_app_id', description: 'Invalid App ID provided.' }));
      return;
    }
    const send = () => {
      const base = url.searchParams.get('base') ?? 'USD';
      const rates = Object.fromEntries(Object.entries(USD_RATES).map(([k, v]) => [k, Number((v / USD_RATES[base]!).toFixed(6))]));
      res.end(JSON.stringify({ disclaimer: 'test', license: 'test', timestamp: Date.parse(`${day}T23:59:59Z`) / 1000, base, rates }));
    };
    if (day === '2026-01-05') setTimeout(send, 1500).unref();
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function ccConfig(baseCurrency: string, accountType = 'DEVELOPER', apiKey = 'k3y', rateAt = 'EOD_PRIOR') {
  return enrichmentJson('iglu:com.snowplowanalytics.snowplow/currency_conversion_config/jsonschema/1-0-0', { accountType, apiKey, baseCurrency, rateAt });
}
const settings = (c: unknown, timeoutMs = 3000) => settingsWith([c], {}, { openExchangeRatesUrl: root, openExchangeRatesTimeoutMs: timeoutMs });
const TR = { e: 'tr', tv: 't', p: 'web', tr_id: 'o-1', tr_tt: '100', tr_tx: '20.5', tr_sh: '4.99', tr_cu: 'GBP' };
const TI = { e: 'ti', tv: 't', p: 'web', ti_id: 'o-1', ti_sk: 'sku', ti_qu: '1', ti_pr: '1999', ti_cu: 'JPY' };
const onDay = (day: string) => ({ timestamp: Date.parse(`${day}T15:30:00Z`) });

describe('currency_conversion_config (against a local Open Exchange Rates server)', () => {
  it('exact decimals as Joda-Money: doubles exactly, 1/rate at 6 places, HALF_EVEN to minor units', () => {
    expect(toPlainString(decFromDouble(2.675))).toBe('2.67499999999999982236431605997495353221893310546875');
    expect(toPlainString(roundHalfEven(decFromDouble(2.675), 2))).toBe('2.67');
    expect(toPlainString(roundHalfEven(decFromString('2.665'), 2))).toBe('2.66');
    expect(toPlainString(roundHalfEven(decFromString('2.675'), 2))).toBe('2.68');
    expect(toPlainString(reciprocal(decFromString('150.5'), 6))).toBe('0.006645');
    expect(toPlainString(decFromString('1.5e-7'))).toBe('0.00000015');
    expect(toPlainString(roundHalfEven(decFromString('-3.5'), 0))).toBe('-4');
  });

  it('DEVELOPER account: USD-based rates of the collector date, converted to the base currency; one request per day', async () => {
    hits.length = 0;
    const s = await settings(ccConfig('EUR'));
    const tr = await enrichOne(s, TR, onDay('2026-01-02'));
    expect(tr.bad).toBeUndefined();
    // GBP→EUR = (1/0.8 at 6 places) × 0.9 = 1.125
    expect([tr.good!.base_currency, tr.good!.tr_total_base, tr.good!.tr_tax_base, tr.good!.tr_shipping_base, tr.good!.ti_price_base]).toEqual(['EUR', '112.50', '23.06', '5.61', null]);
    // JPY→EUR = 0.006645 × 0.9; 1999 × 0.0059805 = 11.9550195
    const ti = await enrichOne(s, TI, onDay('2026-01-02'));
    expect([ti.good!.ti_price_base, ti.good!.tr_total_base]).toEqual(['11.96', null]);
    expect(hits).toEqual(['/api/historical/2026-01-02.json?app_id=k3y']);
    // The same currency is only rounded (the amount is a Java double: 2.675 → 2.67); no request needed.
    const eur = await enrichOne(s, { ...TR, tr_tt: '2.675', tr_tx: '0', tr_sh: '0', tr_cu: 'EUR' }, onDay('2026-01-04'));
    expect([eur.good!.tr_total_base, eur.good!.tr_tax_base]).toEqual(['2.67', '0.00']);
    await enrichOne(s, TR, onDay('2026-01-03'));
    expect(hits).toEqual(['/api/historical/2026-01-02.json?app_id=k3y', '/api/historical/2026-01-03.json?app_id=k3y']);
    // No transaction: base_currency only.
    const pv = await enrichOne(s, { e: 'pv', tv: 't', p: 'web' });
    expect([pv.good!.base_currency, pv.good!.tr_total_base]).toEqual(['EUR', null]);
    expect(hits).toHaveLength(2);
  });

  it('ENTERPRISE/UNLIMITED accounts ask for their base; 0- and 3-decimal currencies', async () => {
    hits.length = 0;
    const gbp = await enrichOne(await settings(ccConfig('GBP', 'ENTERPRISE')), { ...TR, tr_cu: 'EUR' }, onDay('2026-01-02'));
    // EUR→GBP = 1/1.125 at 6 places = 0.888889
    expect(gbp.good!.tr_total_base).toBe('88.89');
    expect(hits).toEqual(['/api/historical/2026-01-02.json?app_id=k3y&base=GBP']);
    const jpy = await enrichOne(await settings(ccConfig('JPY', 'UNLIMITED')), { ...TR, tr_cu: 'USD', tr_tt: '10' }, onDay('2026-01-02'));
    expect([jpy.good!.base_currency, jpy.good!.tr_total_base]).toEqual(['JPY', '1505']);
    const kwd = await enrichOne(await settings(ccConfig('KWD')), { ...TR, tr_cu: 'USD', tr_tt: '10' }, onDay('2026-01-02'));
    expect(kwd.good!.tr_total_base).toBe('3.075');
  });

  it('failures are enrichment_failures (currency-conversion): API errors, timeouts, unknown and unquoted currencies, dates without rates', async () => {
    const messages = async (c: unknown, ev: Record<string, string>, day = '2026-01-02', timeoutMs = 3000) => {
      const { bad, good } = await enrichOne(await settings(c, timeoutMs), ev, onDay(day));
      expect(good, 'a bad row').toBeUndefined();
      expect(bad!.schema).toContain('enrichment_failures');
      for (const m of bad!.data.failure.messages) expect(m.enrichment.identifier).toBe('currency-conversion');
      return bad!.data.failure.messages.map((m: { message: unknown }) => m.message);
    };
    const apiError = { error: 'Open Exchange Rates error, type: [OtherErrors], message: [invalid_app_id]' };
    expect(await messages(ccConfig('EUR', 'DEVELOPER', 'wrong'), TR)).toEqual([apiError, apiError, apiError]);
    const t0 = Date.now();
    expect(await messages(ccConfig('EUR'), { e: 'tr', tv: 't', p: 'web', tr_id: 'o-1', tr_tt: '100', tr_cu: 'GBP' }, '2026-01-05', 300)).toEqual([
      { error: 'Open Exchange Rates error, type: [OtherErrors], message: [request timed out after 300 ms]' },
    ]);
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(await messages(ccConfig('EUR'), { ...TR, tr_cu: 'XYZ' })).toEqual(Array(3).fill({ field: 'tr_currency', value: 'XYZ', expectation: "Unknown currency 'XYZ'" }));
    expect(await messages(ccConfig('EUR'), { ...TI, ti_cu: 'CHF' })).toEqual([{ error: 'Open Exchange Rates error, type: [IllegalCurrency], message: [Currency not found in the API, invalid currency CHF]' }]);
    expect(await messages(ccConfig('EUR'), { ...TI }, '1998-12-31')).toEqual([
      { error: 'Open Exchange Rates error, type: [ResourcesNotAvailable], message: [Exchange rate unavailable on the date [1998-12-31T00:00Z[UTC]]]' },
    ]);
    // The key never appears in a message, and a server that is down is a failure, not a crash.
    const down = ccConfig('EUR', 'DEVELOPER', 'secret-key');
    const s = await settingsWith([down], {}, { openExchangeRatesUrl: 'http://127.0.0.1:1/api/', openExchangeRatesTimeoutMs: 2000 });
    const { bad } = await enrichOne(s, TI);
    expect(bad!.data.failure.messages[0].message.error).toMatch(/^Open Exchange Rates error, type: \[OtherErrors\], message: \[request failed: /);
    expect(JSON.stringify(bad)).not.toContain('secret-key');
  });

  it('refuses at start-up an unknown base currency and a rateAt the schema does not allow', async () => {
    const build = (c: unknown) => buildEnrichments(inlineSources([c]), testIgluClient(), FACTORIES, { openExchangeRatesUrl: root });
    await expect(build(ccConfig('EURO'))).rejects.toThrow(/data\.parameters\.baseCurrency: Unknown currency 'EURO'/);
    await expect(build(ccConfig('EUR', 'DEVELOPER', 'k3y', 'EOD_CURRENT'))).rejects.toThrow(/data\.parameters\.rateAt/);
    await expect(build(ccConfig('EUR', 'FREE'))).rejects.toThrow(/data\.parameters\.accountType/);
  });
});
