/**
 * Redirect (`/r/tp2`, EN `RedirectAdapter`): a click-tracking GET whose `u` is the target. Without `e`
 * the redirect becomes an unstruct `uri_redirect` event; with `e` the `uri_redirect` entity is prepended
 * to the event's contexts (`co`, or base64 `cx` re-encoded). `tv=r-tp2`, `p` defaults to `web`, `u` is
 * removed. Failures are tracker protocol violations.
 */
import { inputData, notJson } from '../../core/bad-rows-enrich';
import { JsonTextError, losslessMember, parseJsonText, stringifyLossless, type LosslessNode } from '../json-text';
import { toParameterMap } from '../querystring';
import type { RawParameters } from '../raw-event';
import { CONTEXTS_V0_SCHEMA, UNSTRUCT_SCHEMA } from '../sdj';
import { failure, rawEvent, type Adapter, type AdapterResult } from './types';

const URI_REDIRECT = 'iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0';

function uriRedirect(u: string): string {
  return `{"schema":"${URI_REDIRECT}","data":{"uri":${JSON.stringify(u)}}}`;
}

/** Prepend the entity to an existing contexts JSON text (`data` array), keeping the rest as sent. */
function addToExistingCo(entity: string, existing: string, maxDepth: number): string | JsonTextError {
  let parsed;
  try {
    parsed = parseJsonText(existing, maxDepth);
  } catch (err) {
    if (err instanceof JsonTextError) return err;
    throw err;
  }
  const value = parsed.value as { data?: unknown } | null;
  if (!value || typeof value !== 'object' || !Array.isArray(value.data)) {
    // No data array to prepend to: Enrich keeps the JSON unchanged.
    return parsed.lossless !== undefined ? stringifyLossless(parsed.lossless) : JSON.stringify(parsed.value);
  }
  if (parsed.lossless !== undefined) {
    const data = losslessMember(parsed.lossless, 'data') as LosslessNode[];
    const text = stringifyLossless(parsed.lossless);
    // Re-serialise with the entity in front of the (lossless) data elements.
    const dataText = `[${[entity, ...data.map(stringifyLossless)].join(',')}]`;
    const entries = (parsed.lossless as { entries: [string, LosslessNode][] }).entries;
    if (!text) return text;
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${k === 'data' ? dataText : stringifyLossless(v)}`).join(',')}}`;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) out[k] = k === 'data' ? [JSON.parse(entity), ...(obj.data as unknown[])] : obj[k];
  return JSON.stringify(out);
}

export const RedirectAdapter: Adapter = {
  name: 'RedirectAdapter',
  toRawEvents(payload, ctx): AdapterResult {
    const original = toParameterMap(payload.querystring);
    if (original.size === 0) return failure(inputData('querystring', null, 'empty querystring: not a valid URI redirect'));
    const u = original.get('u');
    if (u === undefined || u === null) {
      const qs = [...original].map(([k, v]) => `${k}=${v ?? 'null'}`).join('&');
      return failure(inputData('querystring', qs, 'missing `u` parameter: not a valid URI redirect'));
    }
    const entity = uriRedirect(u);
    const added: RawParameters = new Map();
    if (original.has('e')) {
      const newCo = `{"schema":"${CONTEXTS_V0_SCHEMA}","data":[${entity}]}`;
      const cx = original.get('cx');
      const co = original.get('co');
      if (cx !== undefined && cx !== null) {
        const decoded = Buffer.from(cx, 'base64').toString('utf8');
        const merged = addToExistingCo(entity, decoded, ctx.maxJsonDepth);
        if (merged instanceof JsonTextError) return failure(notJson('co|cx', decoded, `invalid json: ${merged.message}`));
        added.set('cx', Buffer.from(merged, 'utf8').toString('base64url'));
      } else if (co !== undefined && co !== null && co !== '') {
        const merged = addToExistingCo(entity, co, ctx.maxJsonDepth);
        if (merged instanceof JsonTextError) return failure(notJson('co|cx', co, `invalid json: ${merged.message}`));
        added.set('co', merged);
      } else added.set('co', newCo);
    } else {
      added.set('e', 'ue');
      added.set('ue_pr', `{"schema":"${UNSTRUCT_SCHEMA}","data":${entity}}`);
    }
    const params: RawParameters = new Map(original);
    params.delete('u');
    for (const [k, v] of added) params.set(k, v);
    params.set('tv', 'r-tp2');
    params.set('p', original.has('p') ? original.get('p')! : 'web');
    return { ok: true, events: [rawEvent(payload, params)] };
  },
};
