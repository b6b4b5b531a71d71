import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../pipeline/config/index';
import { collectorConfig } from '../../pipeline/collector/config';
import { enrichConfig } from '../../pipeline/enrich/config';
import { igluServerSection } from '../../pipeline/iglu/server/config';
import { s3LoaderConfig } from '../../pipeline/s3-loader/config';
import { transformerConfig } from '../../pipeline/transformer/config';
import { loaderConfig } from '../../pipeline/loader/config';
import { emulatePipelineConfig, type EmulatePorts } from './pipeline-config';

const ports: EmulatePorts = {
  collector: 9090, aws: 4566, iglu: 8180, postgres: 5433, snowflake: 8085, micro: 9091,
  enrich: 9101, s3LoaderRaw: 9102, s3LoaderEnriched: 9103, s3LoaderBad: 9104, transformer: 9105, loader: 9106,
};

describe('the pipeline config emulate writes', () => {
  for (const warehouse of ['snowflake', 'postgres'] as const) {
    it(`validates against every app's own config schema (${warehouse} warehouse)`, () => {
      const cfg = emulatePipelineConfig({ ports, postgresUrl: 'postgres://postgres@127.0.0.1:5433/postgres', warehouse, igluApiKey: '5c0a9c80-4a4f-4b0c-9d38-0d3b0f3f2b11', enrichments: [], windowSeconds: 1 });
      // Round-trip through the file format the stages read.
      const parsed = parsePipelineConfig(JSON.stringify(cfg));
      expect(collectorConfig(parsed).port).toBe(9090);
      expect(enrichConfig(parsed).applicationName).toBeTruthy();
      expect(igluServerSection(parsed).port).toBe(8180);
      for (const p of ['raw', 'enriched', 'bad']) expect(s3LoaderConfig(parsed, p).output.path).toBe(`s3://furrow/${p}/`);
      expect(transformerConfig(parsed).windowSeconds).toBe(1);
      expect(loaderConfig(parsed).target.type).toBe(warehouse);
    });
  }
});
