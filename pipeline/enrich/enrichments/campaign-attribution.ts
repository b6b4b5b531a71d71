/**
 * Campaign attribution (spec §5 #6; EN `registry/CampaignAttributionEnrichment`): the page URL's
 * querystring fills mkt_medium/source/term/content/campaign from the first configured parameter present,
 * and mkt_clickid/mkt_network from the first click-id parameter present. Default click ids: gclid→Google,
 * msclkid→Microsoft, dclid→DoubleClick (a config's `mktClickId` adds to and overrides them).
 */
import { FIELD_INDEX } from '../../core/enriched-event';
import { makeTsvSafe } from '../../core/tracker-protocol';
import { toParameterMap } from '../querystring';
import { enrichmentInfo, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';

export const DEFAULT_CLICK_IDS: Readonly<Record<string, string>> = { gclid: 'Google', msclkid: 'Microsoft', dclid: 'DoubleClick' };

export interface CampaignFields {
  mktMedium: string[];
  mktSource: string[];
  mktTerm: string[];
  mktContent: string[];
  mktCampaign: string[];
  mktClickId?: Record<string, string>;
}

const TARGETS = [
  ['mktMedium', FIELD_INDEX.mkt_medium],
  ['mktSource', FIELD_INDEX.mkt_source],
  ['mktTerm', FIELD_INDEX.mkt_term],
  ['mktContent', FIELD_INDEX.mkt_content],
  ['mktCampaign', FIELD_INDEX.mkt_campaign],
] as const;

export function campaignAttribution(c: EnrichmentConfig): Enrichment {
  const fields = (c.parameters.fields ?? {}) as CampaignFields;
  const lists = TARGETS.map(([k, idx]) => [fields[k] ?? [], idx] as const);
  const clickIds = Object.entries({ ...DEFAULT_CLICK_IDS, ...(fields.mktClickId ?? {}) });
  // Every parameter name the enrichment cares about: a query without any of them is skipped cheaply.
  const wanted = new Set<string>([...lists.flatMap(([l]) => l), ...clickIds.map(([k]) => k)]);
  return {
    name: 'campaign_attribution',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const q = ctx.pageQuery;
      if (!q || q.length === 0 || !q.some((p) => wanted.has(p.name))) return;
      const params = toParameterMap(q);
      const v = ctx.event.values;
      for (const [list, idx] of lists) {
        for (const name of list) {
          if (params.has(name)) {
            v[idx] = makeTsvSafe(params.get(name));
            break;
          }
        }
      }
      for (const [name, network] of clickIds) {
        if (params.has(name)) {
          v[FIELD_INDEX.mkt_clickid] = makeTsvSafe(params.get(name));
          v[FIELD_INDEX.mkt_network] = network;
          break;
        }
      }
    },
  };
}
