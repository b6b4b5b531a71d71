/** Test helpers for the configurable enrichments: settings built from configs the way `furrow enrich` builds them. */
import type { BadRow } from '../../core/bad-rows';
import { EnrichedEvent } from '../../core/enriched-event';
import { enrichPayload, type EnrichSettings } from '../pipeline';
import { getRecord, testIgluClient, testSettings } from '../testing';
import { buildEnrichments, inlineSources } from './index';

export async function settingsWith(configs: unknown[], extra: Partial<EnrichSettings> = {}): Promise<EnrichSettings> {
  const client = testIgluClient();
  const built = await buildEnrichments(inlineSources(configs), client);
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
