/**
 * The enrichment registry: Snowplow's hard-coded execution order (spec §5, EN `EnrichmentManager.accState`)
 * with the built-in steps of §4.4 interleaved where Enrich runs them. Configurable enrichments plug into
 * their named slot by implementing `Enrichment`; an enrichment whose name has no slot is ignored (Enrich
 * silently ignores unknown config names), so later issues only add implementations, never reorder.
 */
import type { EnrichmentFailureMessage, EnrichmentInformation } from '../../core/bad-rows-enrich';
import type { EnrichedEvent } from '../../core/enriched-event';
import type { NVP } from '../../core/bad-rows-enrich';
import type { RawEvent } from '../raw-event';
import type { ValidSdj } from '../sdj';
import type { ParsedUri } from '../uri';

/** Config schema names of the configurable enrichments, in execution order (spec §5 #1–#21). */
export const ENRICHMENT_ORDER = [
  'iab_spiders_and_robots_enrichment',
  'user_agent_utils_config',
  'ua_parser_config',
  'currency_conversion_config',
  'referer_parser',
  'campaign_attribution',
  'cross_navigation_config',
  'event_fingerprint_config',
  'cookie_extractor_config',
  'http_header_extractor_config',
  'weather_enrichment_config',
  'yauaa_enrichment_config',
  'ip_lookups',
  'asn_lookups',
  'bot_detection_enrichment_config',
  'javascript_script_config',
  'sql_query_enrichment_config',
  'api_request_enrichment_config',
  'anon_ip',
  'pii_enrichment_config',
  'event_spec_enrichment_config',
] as const;

export type EnrichmentName = (typeof ENRICHMENT_ORDER)[number];

/** Built-in, non-configurable steps (spec §4.4). */
export type BuiltinStepName = 'collector_version' | 'page_uri' | 'derived_tstamp' | 'referer_uri' | 'page_query' | 'cross_domain' | 'event_schema';

/** What every step sees. Steps mutate `event` in place and may leave facts for later steps. */
export interface StepContext {
  raw: RawEvent;
  event: EnrichedEvent;
  /** Valid tracker contexts and self-describing event (phase 1). */
  inputContexts: readonly ValidSdj[];
  unstruct: ValidSdj | undefined;
  /** Parsed page URI (page_uri step), for the referer parser and campaign attribution. */
  pageUri?: ParsedUri;
  /** Parsed referrer URI (referer_uri step). */
  refererUri?: ParsedUri;
  /** Page URL querystring (page_query step). */
  pageQuery?: NVP[];
  /** Parsed `_sp` cross-domain parameter (cross_domain step), for the cross_navigation entity. */
  crossDomain?: ReadonlyMap<string, string | null>;
  /** The event was dropped (JS enrichment `event.drop()`); no good event, no bad row. */
  dropped?: boolean;
  /** `pii_transformation` data left by the PII enrichment when `emitEvent` is on and it changed something. */
  piiTransformation?: Record<string, unknown>;
}

export interface StepOutput {
  /** Derived contexts this step adds (prepended, so derived_contexts ends up in reverse run order). */
  contexts?: ValidSdj[];
  failures?: EnrichmentFailureMessage[];
}

/** A configurable enrichment. Errors are returned as failures, never thrown (a throw is a bug/outage). */
export interface Enrichment {
  readonly name: EnrichmentName;
  /** `{schemaKey, identifier}` put on this enrichment's failures. */
  readonly info: EnrichmentInformation;
  enrich(ctx: StepContext): StepOutput | void | Promise<StepOutput | void>;
}

export interface BuiltinStep {
  readonly name: BuiltinStepName;
  run(ctx: StepContext, registry: EnrichmentRegistry): StepOutput | void;
}

export type PlanItem = { kind: 'builtin'; step: BuiltinStep } | { kind: 'enrichment'; enrichment: Enrichment };

/** Slots that run after the derived contexts are validated (Enrich: anonymise IP, then PII). */
const POST_VALIDATION: ReadonlySet<EnrichmentName> = new Set(['anon_ip', 'pii_enrichment_config']);

/** Where each built-in runs: before the named enrichment slot (`null` = after every phase-2 slot). */
export const BUILTIN_POSITIONS: ReadonlyArray<readonly [BuiltinStepName, EnrichmentName]> = [
  ['collector_version', 'iab_spiders_and_robots_enrichment'],
  ['page_uri', 'iab_spiders_and_robots_enrichment'],
  ['derived_tstamp', 'iab_spiders_and_robots_enrichment'],
  ['referer_uri', 'referer_parser'],
  ['page_query', 'campaign_attribution'],
  ['cross_domain', 'cross_navigation_config'],
  ['event_schema', 'ip_lookups'],
];

export class EnrichmentRegistry {
  private readonly byName = new Map<EnrichmentName, Enrichment>();
  /** Phase 2: built-ins and enrichments in execution order. */
  readonly phase2: PlanItem[] = [];
  /** After derived-context validation (anon_ip, pii). */
  readonly postValidation: Enrichment[] = [];

  constructor(builtins: readonly BuiltinStep[], enrichments: readonly Enrichment[] = []) {
    for (const e of enrichments) if ((ENRICHMENT_ORDER as readonly string[]).includes(e.name)) this.byName.set(e.name, e);
    const builtinByName = new Map(builtins.map((b) => [b.name, b]));
    for (const slot of ENRICHMENT_ORDER) {
      for (const [step, before] of BUILTIN_POSITIONS) {
        const b = builtinByName.get(step);
        if (before === slot && b) this.phase2.push({ kind: 'builtin', step: b });
      }
      const e = this.byName.get(slot);
      if (!e) continue;
      if (POST_VALIDATION.has(slot)) this.postValidation.push(e);
      else this.phase2.push({ kind: 'enrichment', enrichment: e });
    }
  }

  /** The configured enrichment of a slot (built-ins consult e.g. `cross_navigation_config`). */
  get(name: EnrichmentName): Enrichment | undefined {
    return this.byName.get(name);
  }

  /** Execution order, for logs and tests. */
  describe(): string[] {
    return [
      ...this.phase2.map((p) => (p.kind === 'builtin' ? `builtin:${p.step.name}` : p.enrichment.name)),
      ...this.postValidation.map((e) => e.name),
    ];
  }
}
