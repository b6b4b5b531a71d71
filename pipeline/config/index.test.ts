import { describe, expect, it } from 'vitest';
import { ConfigError, parsePipelineConfig, section, substituteEnv } from './index';

describe('pipeline config', () => {
  it('fills shared defaults and takes AWS_ENDPOINT_URL from the environment', () => {
    const cfg = parsePipelineConfig('{}', 'test', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(cfg.streams).toEqual({ raw: 'raw', enriched: 'enriched', bad1: 'bad-1', bad2: 'bad-2' });
    expect(cfg.names.queue).toBe('furrow-loader.fifo');
    expect(cfg.aws.endpoint).toBe('http://127.0.0.1:4566');
  });

  it('substitutes ${VAR} and ${VAR:-default}, and fails clearly on a missing variable', () => {
    expect(substituteEnv({ a: ['${X}', '${Y:-dflt}'] }, { X: 'x' })).toEqual({ a: ['x', 'dflt'] });
    expect(() => substituteEnv({ a: { b: '${NOPE}' } }, {})).toThrow(/\$\.a\.b: environment variable NOPE/);
  });

  it('rejects malformed JSON naming the source', () => {
    expect(() => parsePipelineConfig('{', 'my.json')).toThrow(ConfigError);
    expect(() => parsePipelineConfig('{', 'my.json')).toThrow(/my\.json: not valid JSON/);
  });

  it('validates a section with defaults and names the bad field', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      properties: { port: { type: 'integer', default: 9090 }, host: { type: 'string', default: '127.0.0.1' } },
    };
    const cfg = parsePipelineConfig('{"collector":{"host":"0.0.0.0"}}');
    expect(section<{ port: number; host: string }>(cfg, 'collector', schema)).toEqual({ port: 9090, host: '0.0.0.0' });
    const bad = parsePipelineConfig('{"collector":{"port":"x","colour":1}}');
    expect(() => section(bad, 'collector', schema)).toThrow(/collector\.port: must be integer/);
    expect(() => section(bad, 'collector', schema)).toThrow(/unknown field 'colour'/);
  });
});
