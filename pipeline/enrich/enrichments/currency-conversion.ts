/**
 * Currency conversion (spec §5 #4; EN `registry/CurrencyConversionEnrichment`, snowplow/scala-forex with the
 * Open Exchange Rates API). Every event gets `base_currency`; tr_total/tr_tax/tr_shipping (in `tr_currency`)
 * and ti_price (in `ti_currency`) are converted at the end-of-day rate of the collector timestamp's UTC date
 * (scala-forex `at`, EodRoundDown: the only `rateAt` the schema allows is EOD_PRIOR) into tr_total_base,
 * tr_tax_base, tr_shipping_base and ti_price_base.
 *
 * Arithmetic as scala-forex/Joda-Money does it, in exact decimals: the amount is the exact value of its Java
 * double; rate = (1 / rates[from], 6 places, HALF_EVEN) × rates[base] (DEVELOPER accounts get USD-based rates;
 * ENTERPRISE/UNLIMITED ask for `&base=`); the product is rounded HALF_EVEN to the base currency's ISO 4217
 * minor units and written as a plain decimal (`12.30`, `1234`).
 *
 * One request per UTC day (`historical/YYYY-MM-DD.json`), cached (LRU; today's rates are re-fetched after an
 * hour), concurrent lookups of a day share the request, a timeout bounds each one. The API root is a Furrow
 * option (`enrich.openExchangeRates.url`, default the real API); nothing else is contacted. An unknown
 * currency code is an InputData failure; an API error, a timeout or a missing rate is an enrichment failure
 * (`currency-conversion`), one per amount that needed it, as in Enrich.
 */
import { enrichmentFailure, inputData, type EnrichmentFailureMessage } from '../../core/bad-rows-enrich';
import { FIELD_INDEX, type FieldName } from '../../core/enriched-event';
import { enrichmentInfo, EnrichmentConfigError, type EnrichmentConfig, type EnrichmentOptions } from './common';
import type { Enrichment } from './registry';
import { Lru } from './lru';

export const OPEN_EXCHANGE_RATES_URL = 'https://openexchangerates.org/api/';
const DEFAULT_TIMEOUT_MS = 5_000;
const TODAY_TTL_MS = 3_600_000;
/** The earliest date OER has rates for (scala-forex `oerDataFrom`). */
const OER_DATA_FROM = Date.UTC(1999, 0, 1);

// ---- exact decimals: value = m / 10^s

export interface Dec {
  m: bigint;
  s: number;
}

/** A decimal literal (`12.5`, `-3`, `1.2e-7`). */
export function decFromString(text: string): Dec {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!match || (match[2] === '' && !match[3])) throw new Error(`not a decimal: ${text}`);
  const [, sign, int, frac = '', exp = '0'] = match;
  let m = BigInt(`${int}${frac}` || '0');
  let s = frac.length - Number(exp);
  if (s < 0) {
    m *= 10n ** BigInt(-s);
    s = 0;
  }
  return { m: sign === '-' ? -m : m, s };
}

/** The exact value of a double (Java `new BigDecimal(double)`). */
export function decFromDouble(x: number): Dec {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (exponent === 0) e2 = -1074;
  else {
    mantissa |= 1n << 52n;
    e2 = exponent - 1075;
  }
  let out: Dec = e2 >= 0 ? { m: mantissa << BigInt(e2), s: 0 } : { m: mantissa * 5n ** BigInt(-e2), s: -e2 };
  while (out.s > 0 && out.m % 10n === 0n) out = { m: out.m / 10n, s: out.s - 1 };
  return negative ? { m: -out.m, s: out.s } : out;
}

const mul = (a: Dec, b: Dec): Dec => ({ m: a.m * b.m, s: a.s + b.s });

/** n / d rounded half-even (d > 0). */
function divHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const a = negative ? -n : n;
  let q = a / d;
  const r2 = (a % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** `a` at `scale` decimal places, HALF_EVEN (BigDecimal.setScale). */
export function roundHalfEven(a: Dec, scale: number): Dec {
  if (a.s <= scale) return { m: a.m * 10n ** BigInt(scale - a.s), s: scale };
  return { m: divHalfEven(a.m, 10n ** BigInt(a.s - scale)), s: scale };
}

/** 1 / d at `scale` places, HALF_EVEN (BigDecimal.ONE.divide(d, scale, HALF_EVEN)); d > 0. */
export function reciprocal(d: Dec, scale: number): Dec {
  return { m: divHalfEven(10n ** BigInt(d.s + scale), d.m), s: scale };
}

export function toPlainString(a: Dec): string {
  const negative = a.m < 0n;
  const digits = (negative ? -a.m : a.m).toString().padStart(a.s + 1, '0');
  const text = a.s === 0 ? digits : `${digits.slice(0, -a.s)}.${digits.slice(-a.s)}`;
  return negative ? `-${text}` : text;
}

// ---- currencies (Joda-Money: ISO 4217 codes, minor units)

const KNOWN = new Set(Intl.supportedValuesOf('currency'));
const MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
  // Funds and metals have no minor unit in ISO 4217 (Joda-Money: 0 places).
  XAG: 0, XAU: 0, XPD: 0, XPT: 0, XDR: 0, XBA: 0, XBB: 0, XBC: 0, XBD: 0, XSU: 0, XUA: 0, XTS: 0, XXX: 0,
};

/** Joda-Money's `CurrencyUnit.of` check: null when the code is known, else its exception message. */
export function currencyError(code: string): string | null {
  return KNOWN.has(code) ? null : `Unknown currency '${code}'`;
}

export const minorUnits = (code: string): number => MINOR_UNITS[code] ?? 2;

// ---- the enrichment

type Rates = Record<string, number>;
type AccountType = 'DEVELOPER' | 'ENTERPRISE' | 'UNLIMITED';

class OerError extends Error {
  constructor(
    readonly type: 'OtherErrors' | 'ResourcesNotAvailable' | 'IllegalCurrency',
    message: string,
  ) {
    super(message);
  }
  /** The enrichment failure text of Enrich's `mkEnrichmentFailure`. */
  get text(): string {
    return `Open Exchange Rates error, type: [${this.type}], message: [${this.message}]`;
  }
}

/** `historical/YYYY-MM-DD.json` of one OER account, one request per day, cached. */
export class OerHistoricalRates {
  private readonly cache = new Lru<{ at: number; rates: Rates }>(400);
  private readonly inFlight = new Map<string, Promise<Rates>>();
  requests = 0;

  constructor(
    private readonly root: string,
    private readonly apiKey: string,
    private readonly base: string | null,
    private readonly timeoutMs: number,
  ) {}

  async day(date: string): Promise<Rates> {
    const hit = this.cache.get(date);
    const today = new Date().toISOString().slice(0, 10);
    if (hit && (date !== today || Date.now() - hit.at < TODAY_TTL_MS)) return hit.rates;
    let p = this.inFlight.get(date);
    if (!p) {
      p = this.fetchDay(date).finally(() => this.inFlight.delete(date));
      this.inFlight.set(date, p);
    }
    return p;
  }

  private async fetchDay(date: string): Promise<Rates> {
    const url = `${this.root}historical/${date}.json?app_id=${encodeURIComponent(this.apiKey)}${this.base ? `&base=${this.base}` : ''}`;
    this.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      // The URL carries the API key: never put it in a message.
      throw new OerError('OtherErrors', e.name === 'TimeoutError' ? `request timed out after ${this.timeoutMs} ms` : `request failed: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    }
    type Body = { message?: unknown; rates?: unknown } | null;
    let body: Body = null;
    try {
      body = JSON.parse(text) as Body;
    } catch {
      /* not JSON: reported below */
    }
    if (res.status < 200 || res.status >= 300)
      throw new OerError('OtherErrors', typeof body?.message === 'string' ? body.message : `HTTP ${res.status}`);
    const rates = body?.rates;
    if (!rates || typeof rates !== 'object' || Array.isArray(rates)) throw new OerError('OtherErrors', 'response has no rates');
    const out = rates as Rates;
    this.cache.set(date, { at: Date.now(), rates: out });
    return out;
  }
}

/** `2026-01-02T00:00Z[UTC]`: how Java prints the ZonedDateTime of the day in scala-forex's message. */
const javaDay = (date: string) => `${date}T00:00Z[UTC]`;

export function currencyConversion(c: EnrichmentConfig, options: EnrichmentOptions = {}): Enrichment {
  const p = c.parameters as { apiKey: string; baseCurrency: string; rateAt: string; accountType: AccountType };
  const base = p.baseCurrency;
  const baseError = currencyError(base);
  if (baseError) throw new EnrichmentConfigError(c.source, 'data.parameters.baseCurrency', baseError);
  const root = options.openExchangeRatesUrl ?? OPEN_EXCHANGE_RATES_URL;
  try {
    new URL(root);
  } catch {
    throw new EnrichmentConfigError(c.source, 'enrich.openExchangeRates.url', `'${root}' is not a URL`);
  }
  const oer = new OerHistoricalRates(root.endsWith('/') ? root : `${root}/`, p.apiKey, p.accountType === 'DEVELOPER' ? null : base, options.openExchangeRatesTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  const baseScale = minorUnits(base);
  const info = enrichmentInfo(c);

  /** One amount in `from` converted to the base currency (scala-forex `convert(amount, from).to(base).at(day)`). */
  async function convert(amount: number, from: string, date: string, collectorMs: number): Promise<string> {
    const exact = decFromDouble(amount);
    if (from === base) return toPlainString(roundHalfEven(exact, baseScale));
    if (collectorMs < OER_DATA_FROM || Date.parse(date) > Date.now()) throw new OerError('ResourcesNotAvailable', `Exchange rate unavailable on the date [${javaDay(date)}]`);
    const rates = await oer.day(date);
    const rate = (code: string) => {
      const r = rates[code];
      if (typeof r !== 'number' || !(r > 0)) throw new OerError('IllegalCurrency', `Currency not found in the API, invalid currency ${code}`);
      return decFromString(String(r));
    };
    const baseOverTo = p.accountType === 'DEVELOPER' || base in rates ? rate(base) : { m: 1n, s: 0 };
    const fx = mul(reciprocal(rate(from), 6), baseOverTo);
    return toPlainString(roundHalfEven(mul(exact, fx), baseScale));
  }

  const AMOUNTS: ReadonlyArray<readonly [FieldName, 'tr_currency' | 'ti_currency', FieldName]> = [
    ['tr_total', 'tr_currency', 'tr_total_base'],
    ['tr_tax', 'tr_currency', 'tr_tax_base'],
    ['tr_shipping', 'tr_currency', 'tr_shipping_base'],
    ['ti_price', 'ti_currency', 'ti_price_base'],
  ];

  return {
    name: 'currency_conversion_config',
    info,
    async enrich(ctx) {
      const v = ctx.event.values;
      v[FIELD_INDEX.base_currency] = base;
      const todo = AMOUNTS.filter(([amount, currency]) => v[FIELD_INDEX[amount]] != null && v[FIELD_INDEX[currency]] != null);
      if (todo.length === 0) return;
      const collector = ctx.event.collector_tstamp;
      if (!collector) return { failures: [enrichmentFailure(inputData('collector_tstamp', null, 'missing'), info)] };
      const date = collector.slice(0, 10);
      const collectorMs = Date.parse(`${date}T00:00:00Z`);
      // All amounts in parallel (one request per day at most); failures keep the amounts' order.
      const results = await Promise.all(
        todo.map(async ([amount, currency, target]): Promise<{ target: FieldName; value: string } | { failure: EnrichmentFailureMessage }> => {
          const code = v[FIELD_INDEX[currency]]!;
          const unknown = currencyError(code);
          if (unknown) return { failure: enrichmentFailure(inputData(currency, code, unknown), info) };
          try {
            return { target, value: await convert(Number(v[FIELD_INDEX[amount]]), code, date, collectorMs) };
          } catch (err) {
            if (!(err instanceof OerError)) throw err;
            return { failure: enrichmentFailure({ error: err.text }, info) };
          }
        }),
      );
      const failures = results.flatMap((r) => ('failure' in r ? [r.failure] : []));
      if (failures.length) return { failures };
      for (const r of results) if ('target' in r) v[FIELD_INDEX[r.target]] = r.value;
    },
  };
}
