/**
 * Tracker protocol v2 (EN `Tp2Adapter`): GET querystring, or a POST body holding a self-describing
 * `payload_data 1-0-*` array of events whose values are all strings. Querystring parameters are merged
 * into every body event and win over body keys. Any problem fails the whole batch.
 */
import { criterionMismatch, igluError, inputData, notIglu, notJson, type AdapterMessage } from '../../core/bad-rows-enrich';
import { criterionMatches, formatSchemaCriterion, IgluParseError, parseSchemaCriterion } from '../../core/schema-key';
import { JsonTextError, parseJsonText } from '../json-text';
import { toParameterMap } from '../querystring';
import type { RawParameters } from '../raw-event';
import { check, parseEnvelope } from '../sdj';
import { failure, rawEvent, type Adapter, type AdapterResult } from './types';

export const TP2_CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8'];
const CONTENT_TYPES_TEXT = `expected one of ${TP2_CONTENT_TYPES.join(', ')}`;
const PAYLOAD_DATA = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-*');

/** Body events → parameter maps; a non-object element, a null or non-string value fails the batch. */
function toParameters(data: unknown, qs: RawParameters): RawParameters[] | AdapterMessage[] {
  if (!Array.isArray(data) || !data.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e)))
    return [inputData('body', JSON.stringify(data), 'json is not an array')];
  const failures: AdapterMessage[] = [];
  const events: RawParameters[] = [];
  for (const ev of data as Record<string, unknown>[]) {
    const params: RawParameters = new Map();
    for (const k in ev) {
      const v = ev[k];
      if (typeof v === 'string') params.set(k, v);
      else if (v === null) failures.push(inputData(k, null, 'value cannot be null'));
      else failures.push(inputData(k, JSON.stringify(v), 'value is not a string'));
    }
    for (const [k, v] of qs) params.set(k, v);
    events.push(params);
  }
  if (failures.length) return failures;
  if (events.length === 0) return [inputData('body', JSON.stringify(data), 'empty list of events')];
  return events;
}

export const Tp2Adapter: Adapter = {
  name: 'Tp2Adapter',
  async toRawEvents(payload, ctx): Promise<AdapterResult> {
    const qs = toParameterMap(payload.querystring);
    const { body, contentType } = payload;
    if (body === null && qs.size === 0)
      return failure(
        inputData('body', null, 'empty body: not a valid tracker protocol event'),
        inputData('querystring', null, 'empty querystring: not a valid tracker protocol event'),
      );
    if (contentType !== null && !TP2_CONTENT_TYPES.includes(contentType)) return failure(inputData('contentType', contentType, CONTENT_TYPES_TEXT));
    if (body !== null && contentType === null) return failure(inputData('contentType', null, CONTENT_TYPES_TEXT));
    if (body === null && contentType !== null) return failure(inputData('body', null, 'empty body: not a valid track protocol event'));
    if (body === null) return { ok: true, events: [rawEvent(payload, qs)] };

    let json: unknown;
    try {
      json = parseJsonText(body, ctx.maxJsonDepth, { faithful: false }).value;
    } catch (err) {
      if (!(err instanceof JsonTextError)) throw err;
      return failure(notJson('body', body, `invalid json: ${err.message}`));
    }
    let sd;
    try {
      sd = parseEnvelope(json);
    } catch (err) {
      return failure(notIglu(json, err instanceof IgluParseError ? err.code : 'INVALID_DATA_PAYLOAD'));
    }
    const r = await check(ctx.validator, sd.key, sd.schema, sd.data);
    if (!r.valid) return failure(igluError(sd.schema, r.error));
    if (!criterionMatches(PAYLOAD_DATA, sd.key)) return failure(criterionMismatch(sd.schema, formatSchemaCriterion(PAYLOAD_DATA)));
    const params = toParameters(sd.data, qs);
    if (params.length && !(params[0] instanceof Map)) return failure(...(params as AdapterMessage[]));
    return { ok: true, events: (params as RawParameters[]).map((p) => rawEvent(payload, p)) };
  },
};
