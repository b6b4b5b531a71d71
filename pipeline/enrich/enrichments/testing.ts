/** Test helpers for the configurable enrichments: settings built from configs the way `furrow enrich` builds them. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BadRow } from '../../core/bad-rows';
import { CORE_REGISTRY_ROOT } from '../../iglu/repositories';
import { newAjv } from '../../iglu/validator';
import { EnrichedEvent } from '../../core/enriched-event';
import { enrichPayload, type EnrichSettings } from '../pipeline';
import { getRecord, testIgluClient, testSettings, type TestSettingsOptions } from '../testing';
import type { EnrichmentOptions } from './common';
import { buildEnrichments, FACTORIES, inlineSources } from './index';

export async function settingsWith(configs: unknown[], extra: TestSettingsOptions = {}, options: EnrichmentOptions = {}): Promise<EnrichSettings> {
  const client = extra.client ?? testIgluClient();
  const built = await buildEnrichments(inlineSources(configs), client, FACTORIES, options);
  return testSettings({ client, enrichments: built.enrichments, ...extra });
}

export type One = { good: EnrichedEvent; bad?: undefined } | { good?: undefined; bad: BadRow<any, any> };

/** Enrich one GET event (tp2 querystring) and return its single outcome. */
export async function enrichOne(settings: EnrichSettings, query: Record<string, string>, payload: Parameters<typeof getRecord>[1] = {}): Promise<One> {
  const out = await enrichPayload(getRecord(query, payload), settings);
  if (out.good.length === 1 && out.bad.length === 0) return { good: out.good[0]!.event };
  if (out.bad.length === 1 && out.good.length === 0) return { bad: out.bad[0] as BadRow<any, any> };
  throw new Error(`expected one outcome, got ${out.good.length} good / ${out.bad.length} bad / ${out.dropped} dropped`);
}

export function derived(e: EnrichedEvent): Array<{ schema: string; data: any }> {
  const d = e.derived_contexts;
  return d ? (JSON.parse(d) as { data: Array<{ schema: string; data: any }> }).data : [];
}

/** A settings clone of a config with its `parameters` replaced/merged. */
export function withParams<T extends { data: { parameters: object } }>(c: T, parameters: Record<string, unknown>, enabled = true): T {
  return { ...c, data: { ...c.data, enabled, parameters: { ...c.data.parameters, ...parameters } } };
}

/** The Iglu Central oracle (../shared/iglu-central, or $IGLU_CENTRAL_DIR): absent on a fresh clone. */
export const ORACLE_SCHEMAS = join(resolve(process.env.IGLU_CENTRAL_DIR ?? join(CORE_REGISTRY_ROOT, '../../../shared/iglu-central')), 'schemas');
export const ORACLE_PRESENT = existsSync(ORACLE_SCHEMAS);

/**
 * Validates `data` against the oracle's copy of `schemaUri` (`iglu:vendor/name/jsonschema/m-r-a`): true/false,
 * or null (with a visible notice) when the oracle is absent.
 */
export function oracleAccepts(schemaUri: string, data: unknown): boolean | null {
  const path = join(ORACLE_SCHEMAS, schemaUri.replace(/^iglu:/, ''));
  if (!existsSync(path)) {
    console.warn(`[enrichments] oracle check SKIPPED: ${path} not found (set IGLU_CENTRAL_DIR)`);
    return null;
  }
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.self;
  const ok = newAjv().compile(schema)(data) as boolean;
  return ok;
}
