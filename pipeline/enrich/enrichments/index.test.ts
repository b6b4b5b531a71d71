import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { CAMPAIGN_ATTRIBUTION_DEFAULT, EVENT_FINGERPRINT_DEFAULT, QUICKSTART_DEFAULTS, REFERER_PARSER_DEFAULT, UA_PARSER_DEFAULT } from './defaults';
import { buildEnrichments, EnrichmentConfigError, inlineSources, readEnrichmentDir } from './index';
import { EnrichmentRegistry } from './registry';
import { BUILTIN_STEPS } from '../steps/builtins';
import { withParams } from './testing';

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'furrow-enrichments-'));
  dirs.push(d);
  for (const [n, text] of Object.entries(files)) writeFileSync(join(d, n), text);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function errorOf(p: Promise<unknown>): Promise<EnrichmentConfigError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnrichmentConfigError);
  return err as EnrichmentConfigError;
}

describe('enrichment configs', () => {
  it('loads *.json from a directory (sorted) and builds the Quick Start defaults into registry order', async () => {
    const dir = dirWith({
      'ua_parser_config.json': JSON.stringify(UA_PARSER_DEFAULT),
      'campaign_attribution.json': JSON.stringify(CAMPAIGN_ATTRIBUTION_DEFAULT),
      'event_fingerprint_config.json': JSON.stringify(EVENT_FINGERPRINT_DEFAULT),
      'referer_parser.json': JSON.stringify(REFERER_PARSER_DEFAULT),
      'README.md': 'not a config',
    });
    const sources = readEnrichmentDir(dir);
    expect(sources.map((s) => s.source)).toEqual(
      ['campaign_attribution.json', 'event_fingerprint_config.json', 'referer_parser.json', 'ua_parser_config.json'].map((n) => join(dir, n)),
    );
    const built = await buildEnrichments(sources, testIgluClient());
    expect(built.ignored).toEqual([]);
    const order = new EnrichmentRegistry(BUILTIN_STEPS, built.enrichments).describe().filter((s) => !s.startsWith('builtin:'));
    expect(order).toEqual(['ua_parser_config', 'referer_parser', 'campaign_attribution', 'event_fingerprint_config']);
  });

  it('names the file and the field of a config that does not match its schema', async () => {
    const bad = withParams(EVENT_FINGERPRINT_DEFAULT, { hashAlgorithm: 'CRC32' });
    const dir = dirWith({ 'fp.json': JSON.stringify(bad) });
    const err = await errorOf(buildEnrichments(readEnrichmentDir(dir), testIgluClient()));
    expect(err.source).toBe(join(dir, 'fp.json'));
    expect(err.field).toContain('hashAlgorithm');
    expect(err.message).toContain('fp.json');

    const missing = { ...CAMPAIGN_ATTRIBUTION_DEFAULT, data: { ...CAMPAIGN_ATTRIBUTION_DEFAULT.data, parameters: { fields: { mktMedium: ['utm_medium'] } } } };
    const err2 = await errorOf(buildEnrichments(inlineSources([missing]), testIgluClient()));
    expect(err2.source).toBe('enrich.enrichments[0] (campaign_attribution)');
    expect(err2.message).toMatch(/mktSource/);
  });

  it('reports unparsable JSON and non-Iglu documents with the file name', async () => {
    const dir = dirWith({ 'broken.json': '{"schema": ' });
    expect(() => readEnrichmentDir(dir)).toThrow(/broken\.json.*not valid JSON/);
    const err = await errorOf(buildEnrichments(inlineSources([{ data: {} }]), testIgluClient()));
    expect(err.field).toBe('schema');
    const err2 = await errorOf(buildEnrichments(inlineSources([{ schema: 'not-an-iglu-uri', data: {} }]), testIgluClient()));
    expect(err2.message).toMatch(/not a valid Iglu URI/);
  });

  it('skips disabled configs, ignores unknown names and refuses the same enrichment twice', async () => {
    const built = await buildEnrichments(
      inlineSources([withParams(UA_PARSER_DEFAULT, {}, false), { schema: 'iglu:com.acme/something_else/jsonschema/1-0-0', data: {} }, REFERER_PARSER_DEFAULT]),
      testIgluClient(),
    );
    expect(built.enrichments.map((e) => e.name)).toEqual(['referer_parser']);
    expect(built.ignored.map((i) => [i.name, i.reason])).toEqual([
      ['ua_parser_config', 'disabled'],
      ['something_else', 'unknown'],
    ]);
    const err = await errorOf(buildEnrichments(inlineSources(QUICKSTART_DEFAULTS.concat([UA_PARSER_DEFAULT])), testIgluClient()));
    expect(err.message).toMatch(/ua_parser_config is already configured by enrich\.enrichments\[3\]/);
  });
});
