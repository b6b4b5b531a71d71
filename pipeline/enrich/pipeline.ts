/**
 * Enrich, one raw record at a time (spec §4.1; EN `EtlPipeline`, `EnrichmentManager.enrichEvent`):
 *
 *   record → loader (Thrift, path, nuid, querystring) → adapter → per raw event:
 *     phase 1: defaults, parameter mapping, unstruct/contexts validation
 *     phase 2: built-in steps and enrichments in registry order (run even after a phase-1 failure)
 *     phase 3: derived contexts validation, post-validation enrichments, atomic field lengths
 *   → good TSV (size-checked) | one bad row | dropped
 *
 * Bad-row precedence: phase-1 schema violations > enrichment failures > phase-3 schema violations.
 * Pure given its settings (validator, clock, id source); an Iglu outage rejects with
 * `IgluUnavailableError` instead of producing a bad row.
 */
import type { BadRow, Processor } from '../core/bad-rows';
import { sizeViolation } from '../core/bad-rows';
import {
  adapterFailures,
  cpFormatViolation,
  enrichmentFailures,
  igluError,
  partiallyEnrichedEvent,
  schemaViolations,
  type EnrichmentFailureMessage,
  type SchemaViolationMessage,
} from '../core/bad-rows-enrich';
import { ATOMIC_SCHEMA, checkDecimalRanges, checkFieldLengths, DECIMAL_RANGE_MESSAGE, DEFAULT_LIMITS, fieldLengthMessage, type CompiledLimits } from '../core/atomic-fields';
import { EnrichedEvent, FIELD_INDEX, formatTstamp } from '../core/enriched-event';
import { cleanHeaderValue, firstIp, makeTsvSafe, mapParameters, msToTstamp, ParseFailure, type AtomicParseError } from '../core/tracker-protocol';
import { adapterFailureType, adapterFor } from './adapters';
import { piiTransformationEvent } from './enrichments/pii';
import type { EnrichmentRegistry, StepContext, StepOutput } from './enrichments/registry';
import type { IgluValidator } from './iglu-client';
import { loadRecord } from './loader';
import { collectorPayloadJson, rawEventJson, type RawEvent } from './raw-event';
import { check, formatContexts, formatUnstruct, parseAndValidateInput, validationInfo, type ValidSdj } from './sdj';

export interface EnrichSettings {
  processor: Processor;
  validator: IgluValidator;
  registry: EnrichmentRegistry;
  /** `validation.maxJsonDepth` (Enrich's reference.conf: 50). */
  maxJsonDepth: number;
  limits: CompiledLimits;
  /** `validation.acceptInvalid`: let atomic length violations through (they are only counted). */
  acceptInvalid: boolean;
  /** Largest enriched TSV (UTF-8 bytes) the good sink takes; larger events become size_violation. */
  maxRecordSize: number;
  now(): number;
  uuid(): string;
}

export function defaultSettings(s: Pick<EnrichSettings, 'processor' | 'validator' | 'registry'> & Partial<EnrichSettings>): EnrichSettings {
  return {
    maxJsonDepth: 50,
    limits: DEFAULT_LIMITS,
    acceptInvalid: false,
    maxRecordSize: 1_000_000,
    now: Date.now,
    uuid: () => crypto.randomUUID(),
    ...s,
  };
}

export interface GoodEvent {
  event: EnrichedEvent;
  tsv: string;
  /** Atomic length violations let through by `acceptInvalid`. */
  invalid?: boolean;
  /** The PII enrichment's `pii_transformation` event about this one (`emitEvent`), for the PII stream. */
  pii?: { event: EnrichedEvent; tsv: string };
}

export interface PayloadOutcome {
  good: GoodEvent[];
  bad: BadRow[];
  /** Events dropped on purpose (JS enrichment `drop()`): neither good nor bad. */
  dropped: number;
  /** Raw events the adapter produced (0 when the loader or the adapter failed). */
  rawEvents: number;
  /** Atomic length violations let through by `acceptInvalid`. */
  invalidAccepted: number;
}

export type EventOutcome = { kind: 'good'; good: GoodEvent } | { kind: 'bad'; row: BadRow } | { kind: 'dropped' };

function atomicViolation(reports: { field: string; message: string; keyword: string }[]): SchemaViolationMessage {
  return igluError(ATOMIC_SCHEMA, {
    error: 'ValidationError',
    dataReports: reports.map((r) => ({ message: r.message, path: r.field, keyword: r.keyword, targets: [] })),
  });
}

function isThenable<T>(v: unknown): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === 'function';
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function decodeBase64Json(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

/** Phase 1 defaults (EN `setupEnrichedEvent`). */
function setupEvent(raw: RawEvent, etlTstamp: string, s: EnrichSettings, errors: AtomicParseError[]): EnrichedEvent {
  const e = new EnrichedEvent();
  const v = e.values;
  // Sanitised (Enrich copies it verbatim): a collector name is trusted text, but the TSV must stay 131 fields.
  v[FIELD_INDEX.v_collector] = makeTsvSafe(raw.source.name);
  v[FIELD_INDEX.v_etl] = `${s.processor.artifact}-${s.processor.version}`;
  v[FIELD_INDEX.etl_tstamp] = etlTstamp;
  v[FIELD_INDEX.network_userid] = raw.context.userId;
  v[FIELD_INDEX.user_ipaddress] = raw.context.ipAddress === null ? null : firstIp(raw.context.ipAddress);
  const ua = raw.context.useragent;
  v[FIELD_INDEX.useragent] = ua === null || ua.length === 0 ? null : cleanHeaderValue(ua);
  const collector = msToTstamp(String(raw.context.timestamp));
  if (collector instanceof ParseFailure) errors.push({ field: 'collector_tstamp', message: collector.message, value: String(raw.context.timestamp) });
  else v[FIELD_INDEX.collector_tstamp] = collector;
  for (const err of mapParameters(raw.parameters, v)) errors.push(err);
  // A random v4 id unless the tracker sent a valid `eid` (generated after the mapping: the common case skips it).
  if (v[FIELD_INDEX.event_id] === null) v[FIELD_INDEX.event_id] = s.uuid();
  return e;
}

async function runStep(out: StepOutput | void | Promise<StepOutput | void>): Promise<StepOutput | void> {
  return isThenable<StepOutput | void>(out) ? await out : out;
}

/** Enrich one raw event. Rejects only with `IgluUnavailableError` (or a bug). */
export async function enrichEvent(raw: RawEvent, etlTstamp: string, s: EnrichSettings): Promise<EventOutcome> {
  // ---- phase 1
  const atomicErrors: AtomicParseError[] = [];
  const e = setupEvent(raw, etlTstamp, s, atomicErrors);
  const p = raw.parameters;
  const co = p.get('co');
  const cx = p.get('cx');
  const uePr = p.get('ue_pr');
  const uePx = p.get('ue_px');
  const contextsRaw = co != null ? co : cx != null ? decodeBase64Json(cx) : undefined;
  const unstructRaw = uePr != null ? uePr : uePx != null ? decodeBase64Json(uePx) : undefined;
  const inputs =
    contextsRaw === undefined && unstructRaw === undefined
      ? { contexts: [] as ValidSdj[], unstruct: undefined, errors: [] as SchemaViolationMessage[] }
      : await parseAndValidateInput(s.validator, unstructRaw, contextsRaw, s.maxJsonDepth);
  if (inputs.contexts.length) e.contexts = formatContexts(inputs.contexts);
  if (inputs.unstruct) e.unstruct_event = formatUnstruct(inputs.unstruct);
  const phase1: SchemaViolationMessage[] = [];
  if (atomicErrors.length)
    phase1.push(atomicViolation(atomicErrors.map((a) => ({ field: a.field, message: a.message, keyword: 'atomic_field_parse_error' }))));
  for (const err of inputs.errors) phase1.push(err);

  // ---- phase 2 (runs even when phase 1 failed, so the partially enriched event is as full as possible)
  const ctx: StepContext = { raw, event: e, inputContexts: inputs.contexts, unstruct: inputs.unstruct };
  const failures: EnrichmentFailureMessage[] = [];
  let derived: ValidSdj[] = [];
  for (const item of s.registry.phase2) {
    const out = item.kind === 'builtin' ? item.step.run(ctx, s.registry) : await runStep(item.enrichment.enrich(ctx));
    if (!out) continue;
    if (out.failures)
      for (const f of out.failures)
        failures.push(item.kind === 'enrichment' && f.enrichment === null ? { enrichment: item.enrichment.info, message: f.message } : f);
    if (out.contexts?.length) derived = [...out.contexts, ...derived];
  }
  if (ctx.dropped) return { kind: 'dropped' };

  // ---- phase 3
  const phase3: SchemaViolationMessage[] = [];
  for (const d of derived) {
    const r = await check(s.validator, d.key, d.schema, (d.datum.value as { data?: unknown })?.data);
    if (!r.valid) phase3.push(igluError(d.schema, r.error));
  }
  const seen = new Set<string>();
  const superseded = [inputs.unstruct, ...inputs.contexts].filter((x): x is ValidSdj => !!x && x.originalSchema !== undefined);
  for (const sd of superseded) {
    const id = `${sd.originalSchema}|${sd.schema}`;
    if (seen.has(id)) continue;
    seen.add(id);
    derived.push(validationInfo(sd));
  }
  if (derived.length) e.derived_contexts = formatContexts(derived);
  for (const enrichment of s.registry.postValidation) {
    const out = await runStep(enrichment.enrich(ctx));
    if (out && out.failures) for (const f of out.failures) failures.push(f.enrichment === null ? { enrichment: enrichment.info, message: f.message } : f);
  }
  const lengthErrors = checkFieldLengths(e.values, s.limits);
  const atomicReports = lengthErrors.length && !s.acceptInvalid ? lengthErrors.map((l) => ({ field: l.field, message: fieldLengthMessage(l.limit), keyword: 'atomic_field_length_exceeded' })) : [];
  // Never let through (not even with acceptInvalid): the warehouse would refuse the whole window.
  for (const field of checkDecimalRanges(e.values)) atomicReports.push({ field, message: DECIMAL_RANGE_MESSAGE, keyword: 'atomic_field_out_of_range' });
  if (atomicReports.length) phase3.push(atomicViolation(atomicReports));

  // ---- outcome
  if (phase1.length || failures.length || phase3.length) {
    const payload = { enriched: partiallyEnrichedEvent(e), raw: rawEventJson(raw) };
    const now = s.now();
    const row = phase1.length
      ? schemaViolations(s.processor, now, phase1, payload)
      : failures.length
        ? enrichmentFailures(s.processor, now, failures, payload)
        : schemaViolations(s.processor, now, phase3, payload);
    return { kind: 'bad', row };
  }
  const tsv = e.toTsv();
  // A UTF-8 character is at most 3 bytes per UTF-16 code unit: skip the byte count for small lines.
  if (tsv.length * 3 > s.maxRecordSize && Buffer.byteLength(tsv, 'utf8') > s.maxRecordSize) {
    return {
      kind: 'bad',
      row: sizeViolation({
        processor: s.processor,
        timestamp: s.now(),
        maximumAllowedSizeBytes: s.maxRecordSize,
        actualSizeBytes: tsv.length,
        expectation: `Enriched event exceeds the maximum allowed size of ${s.maxRecordSize} bytes`,
        payload: tsv.slice(0, Math.floor(s.maxRecordSize / 10)),
      }),
    };
  }
  const good: GoodEvent = lengthErrors.length ? { event: e, tsv, invalid: true } : { event: e, tsv };
  if (ctx.piiTransformation) {
    const pii = piiTransformationEvent(e, ctx.piiTransformation, s);
    good.pii = { event: pii, tsv: pii.toTsv() };
  }
  return { kind: 'good', good };
}

/**
 * Enrich one raw record. Loader problems give one collector_payload_format_violation per message; an
 * adapter failure gives exactly one adapter_failures / tracker_protocol_violations row and no events;
 * otherwise every raw event ends good, bad (one row) or dropped.
 */
export async function enrichPayload(bytes: Uint8Array, s: EnrichSettings): Promise<PayloadOutcome> {
  const out: PayloadOutcome = { good: [], bad: [], dropped: 0, rawEvents: 0, invalidAccepted: 0 };
  const loaded = loadRecord(bytes);
  if (!loaded.ok) {
    const now = s.now();
    const payload = base64(bytes);
    for (const m of loaded.messages) out.bad.push(cpFormatViolation(s.processor, now, m, payload));
    return out;
  }
  const payload = loaded.payload;
  const adapted = adapterFor(payload.api).toRawEvents(payload, { validator: s.validator, maxJsonDepth: s.maxJsonDepth });
  const result = isThenable<Awaited<typeof adapted>>(adapted) ? await adapted : adapted;
  if (!result.ok) {
    out.bad.push(
      adapterFailures(adapterFailureType(payload.api), s.processor, s.now(), payload.api.vendor, payload.api.version, result.messages, collectorPayloadJson(payload)),
    );
    return out;
  }
  out.rawEvents = result.events.length;
  const etl = formatTstamp(s.now());
  for (const raw of result.events) {
    const r = await enrichEvent(raw, etl, s);
    if (r.kind === 'good') {
      out.good.push(r.good);
      if (r.good.invalid) out.invalidAccepted++;
    }
    else if (r.kind === 'bad') out.bad.push(r.row);
    else out.dropped++;
  }
  return out;
}
