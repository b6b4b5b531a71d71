/** Pure: one enriched TSV line → a wide-row JSON line (or a loader_parsing_error bad row), plus the window's types. */
import { EnrichedEvent, EnrichedEventParseError, FIELD_COUNT } from '../core/enriched-event';
import { badRow, serializeBadRow, type Processor } from '../core/bad-rows';
import type { SnowplowEntity } from '../core/wide-row';

export type TransformResult =
  | { kind: 'good'; line: string; collectorTstamp: string; types: [string, SnowplowEntity][] }
  | { kind: 'bad'; line: string };

const SDJ_URI = /^iglu:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/[0-9]+-[0-9]+-[0-9]+$/;

function schemasOf(json: string | null, wrapped: 'list' | 'single'): string[] {
  if (json === null) return [];
  try {
    const v = JSON.parse(json) as { data?: unknown };
    const items = wrapped === 'list' ? (Array.isArray(v.data) ? v.data : []) : [v.data];
    return items.map((x) => (x as { schema?: unknown })?.schema).filter((s): s is string => typeof s === 'string' && SDJ_URI.test(s));
  } catch {
    return [];
  }
}

/** The loader_parsing_error failure of the Analytics SDK's `Event.parse`. */
function parsingFailure(line: string, err: unknown): unknown {
  const fields = line.split('\t').length;
  if (fields !== FIELD_COUNT) return { type: 'FieldNumberMismatch', fieldCount: fields };
  const messages = err instanceof EnrichedEventParseError ? err.errors : [String((err as Error)?.message ?? err)];
  return { type: 'RowDecodingError', errors: messages.map((message) => ({ type: 'UnhandledRowDecodingError', message })) };
}

export function transformLine(line: string, processor: Processor): TransformResult {
  let e: EnrichedEvent;
  try {
    e = EnrichedEvent.fromTsv(line);
  } catch (err) {
    return { kind: 'bad', line: serializeBadRow(badRow('loader_parsing_error', processor, parsingFailure(line, err), line)) };
  }
  const types: [string, SnowplowEntity][] = [];
  for (const s of schemasOf(e.contexts, 'list')) types.push([s, 'CONTEXT']);
  for (const s of schemasOf(e.derived_contexts, 'list')) types.push([s, 'CONTEXT']);
  for (const s of schemasOf(e.unstruct_event, 'single')) types.push([s, 'SELF_DESCRIBING_EVENT']);
  return { kind: 'good', line: JSON.stringify(e.toJson()), collectorTstamp: e.collector_tstamp!, types };
}
