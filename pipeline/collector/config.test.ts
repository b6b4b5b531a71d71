import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { ConfigError, parsePipelineConfig } from '../config/index';
import { collectorConfig, parseDuration } from './config';

const parse = (collector: unknown) => collectorConfig(parsePipelineConfig(JSON.stringify({ collector })));

describe('collector config section', () => {
  it('fills Snowplow defaults and takes stream names from the shared streams section', () => {
    const c = parse(undefined);
    expect(c).toMatchObject({
      interface: '127.0.0.1',
      port: 9090,
      workers: 1,
      cookie: { enabled: true, name: 'sp', secure: true, httpOnly: true },
      sameSite: 'None',
      cookieExpirationMs: 365 * 86_400_000,
      corsMaxAgeSeconds: 3600,
      networking: { dropPayloadSize: 2_097_152, maxPayloadSize: 1_048_576 },
      sink: { maxBytes: 1_000_000, buffer: { byteLimit: 3_145_728, recordLimit: 500, timeLimitMs: 500 } },
      ackMode: 'buffered',
      goodStream: 'raw',
      badStream: 'bad-1',
      enableDefaultRedirect: false,
      cookieBounce: { enabled: false, name: 'n3pc', fallbackNetworkUserId: '00000000-0000-4000-A000-000000000000' },
    });
  });

  it('accepts the example file', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'collector.example.json'), 'utf8');
    const c = collectorConfig(parsePipelineConfig(text, 'example', {}));
    expect(c.paths['/com.acme/track']).toBe('/com.snowplowanalytics.snowplow/tp2');
    expect(c.cookie.domains).toEqual(['acme.com']);
    expect(c.goodStream).toBe('raw');
  });

  it('rejects what would misbehave, naming the field', () => {
    expect(() => parse({ port: 'x' })).toThrow(/collector\.port/);
    expect(() => parse({ workers: 0 })).toThrow(/collector\.workers/);
    expect(() => parse({ workers: 1.5 })).toThrow(/collector\.workers/);
    expect(parse({ workers: 2 }).workers).toBe(2);
    expect(parse({ workers: 'auto' }).workers).toBe(availableParallelism());
    expect(() => parse({ workers: 'many' })).toThrow(/collector\.workers: must be integer or must be "auto"/);
    expect(() => parse({ cookie: { sameSite: 'sometimes' } })).toThrow(ConfigError);
    expect(() => parse({ ackMode: 'fire-and-forget' })).toThrow(/ackMode/);
    expect(() => parse({ nope: 1 })).toThrow(/unknown field 'nope'/);
    expect(() => parse({ paths: { '/one': '/com.snowplowanalytics.snowplow/tp2' } })).toThrow(/two-segment/);
    expect(() => parse({ networking: { maxPayloadSize: 3_000_000 } })).toThrow(/maxPayloadSize/);
    expect(() => parse({ doNotTrackCookie: { enabled: true, name: 'd', value: '(' } })).toThrow(/doNotTrackCookie/);
    expect(() => parse({ cookie: { expiration: 'forever' } })).toThrow(/expiration/);
    expect(parse({ cookie: { sameSite: 'strict' } }).sameSite).toBe('Strict');
  });

  it('parses Snowplow-style durations', () => {
    expect(parseDuration('365 days', 'x')).toBe(31_536_000_000);
    expect(parseDuration('60 minutes', 'x')).toBe(3_600_000);
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('1.5 s', 'x')).toBe(1500);
    expect(parseDuration('250', 'x')).toBe(250);
  });
});
