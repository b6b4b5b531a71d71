/**
 * Iglu webhook (`/com.snowplowanalytics.iglu/v1`, EN `IgluAdapter`): any self-describing event sent as a
 * GET with `?schema=iglu:...&k=v` (values become strings), as a JSON body (object = 1 event, array = N)
 * or a form body with the schema on the querystring, or as a self-describing JSON body. Each becomes an
 * unstruct event (`tv=com.snowplowanalytics.iglu-v1`, `p` from the querystring or `app`/`srv`);
 * `nuid, aid, cv, eid, ttm, url` pass through. Failures are adapter failures.
 */
import { inputData, notIglu, notJson } from '../../core/bad-rows-enrich';
import { IgluParseError, parseSchemaKey, parseSelfDescribingData } from '../../core/schema-key';
import { JsonTextError, losslessMember, parseJsonText, stringifyDatum, type JsonDatum } from '../json-text';
import { parseQuerystring, QuerystringError, toParameterMap } from '../querystring';
import type { LoadedPayload, RawParameters } from '../raw-event';
import { UNSTRUCT_SCHEMA } from '../sdj';
import { failure, rawEvent, type Adapter, type AdapterResult } from './types';

const TRACKER_VERSION = 'com.snowplowanalytics.iglu-v1';
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const FORM_TYPE = 'application/x-www-form-urlencoded';
const ALL_TYPES_TEXT = `expected one of ${[...JSON_TYPES, FORM_TYPE].join(', ')}`;
const JSON_TYPES_TEXT = `expected one of ${JSON_TYPES.join(', ')}`;
const PASSED_THROUGH = ['nuid', 'aid', 'cv', 'eid', 'ttm', 'url'];
const REMOVED_FROM_DATA = new Set(['nuid', 'aid', 'cv', 'p']);

/** Unstruct event parameters around `schema` + `dataText` (EN `Adapter.buildUnstructEventParams`). */
function unstructParams(qs: RawParameters, schema: string, dataText: string, platform: string): RawParameters {
  const params: RawParameters = new Map();
  params.set('tv', TRACKER_VERSION);
  params.set('e', 'ue');
  params.set('p', qs.has('p') ? qs.get('p')! : platform);
  params.set('ue_pr', `{"schema":"${UNSTRUCT_SCHEMA}","data":{"schema":${JSON.stringify(schema)},"data":${dataText}}}`);
  for (const k of PASSED_THROUGH) if (qs.has(k)) params.set(k, qs.get(k)!);
  return params;
}

function parse(body: string, maxDepth: number): JsonDatum | JsonTextError {
  try {
    return parseJsonText(body, maxDepth);
  } catch (err) {
    if (err instanceof JsonTextError) return err;
    throw err;
  }
}

function withSchema(payload: LoadedPayload, qs: RawParameters, schemaUri: string, maxDepth: number): AdapterResult {
  try {
    parseSchemaKey(schemaUri);
  } catch (err) {
    return failure(inputData('schema', schemaUri, err instanceof IgluParseError ? err.code : 'INVALID_IGLUURI'));
  }
  const { body, contentType } = payload;
  const rest = new Map(qs);
  rest.delete('schema');
  if (body === null) {
    // Querystring event: every remaining parameter as a string (null without '='), minus nuid/aid/cv/p.
    const data: Record<string, string | null> = {};
    for (const [k, v] of rest) if (!REMOVED_FROM_DATA.has(k)) data[k] = v;
    return { ok: true, events: [rawEvent(payload, unstructParams(rest, schemaUri, JSON.stringify(data), 'app'))] };
  }
  if (contentType === null) return failure(inputData('contentType', null, ALL_TYPES_TEXT));
  if (JSON_TYPES.includes(contentType)) {
    const parsed = parse(body, maxDepth);
    if (parsed instanceof JsonTextError) return failure(notJson('body', body, `invalid json: ${parsed.message}`));
    if (Array.isArray(parsed.value)) {
      if (parsed.value.length === 0) return failure(inputData('body', body, 'empty array of events'));
      const items = parsed.value.map((value, i) => stringifyDatum({ value, lossless: Array.isArray(parsed.lossless) ? parsed.lossless[i] : undefined }));
      return { ok: true, events: items.map((text) => rawEvent(payload, unstructParams(rest, schemaUri, text, 'app'))) };
    }
    const v = parsed.value;
    if (!v || typeof v !== 'object' || Object.keys(v).length === 0) return failure(inputData('body', body, 'has no key-value pairs'));
    return { ok: true, events: [rawEvent(payload, unstructParams(rest, schemaUri, stringifyDatum(parsed), 'app'))] };
  }
  if (contentType === FORM_TYPE) {
    let form;
    try {
      form = toParameterMap(parseQuerystring(body));
    } catch (err) {
      if (!(err instanceof QuerystringError)) throw err;
      return failure(inputData('body', body, err.message));
    }
    return { ok: true, events: [rawEvent(payload, unstructParams(rest, schemaUri, JSON.stringify(Object.fromEntries(form)), 'srv'))] };
  }
  return failure(inputData('contentType', contentType, ALL_TYPES_TEXT));
}

export const IgluWebhookAdapter: Adapter = {
  name: 'IgluAdapter',
  toRawEvents(payload, ctx): AdapterResult {
    const qs = toParameterMap(payload.querystring);
    const schema = qs.get('schema');
    const { body, contentType } = payload;
    if (body !== null && contentType === null) return failure(inputData('contentType', null, ALL_TYPES_TEXT));
    if (schema !== undefined && schema !== null) return withSchema(payload, qs, schema, ctx.maxJsonDepth);
    if (body === null)
      return failure(inputData('schema', null, 'empty `schema` field'), inputData('body', null, 'empty body'));
    // Self-describing JSON body.
    if (!JSON_TYPES.includes(contentType!)) return failure(inputData('contentType', contentType, JSON_TYPES_TEXT));
    const parsed = parse(body, ctx.maxJsonDepth);
    if (parsed instanceof JsonTextError) return failure(notJson('body', body, `invalid json: ${parsed.message}`));
    let sd;
    try {
      sd = parseSelfDescribingData(parsed.value);
    } catch (err) {
      return failure(notIglu(parsed.value, err instanceof IgluParseError ? err.code : 'INVALID_DATA_PAYLOAD'));
    }
    const dataText = stringifyDatum({ value: sd.data, lossless: losslessMember(parsed.lossless, 'data') });
    return { ok: true, events: [rawEvent(payload, unstructParams(qs, sd.schema, dataText, 'app'))] };
  },
};
