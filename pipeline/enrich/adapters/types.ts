/**
 * Adapters turn one loaded collector payload into raw events (EN `adapters/registry`). A failing adapter
 * fails the whole payload: none of its events are emitted, even valid ones.
 */
import type { AdapterMessage } from '../../core/bad-rows-enrich';
import type { IgluValidator } from '../iglu-client';
import type { LoadedPayload, RawEvent, RawParameters } from '../raw-event';

export interface AdapterContext {
  validator: IgluValidator;
  maxJsonDepth: number;
}

export type AdapterResult = { ok: true; events: RawEvent[] } | { ok: false; messages: AdapterMessage[] };

export interface Adapter {
  /** e.g. `Tp2Adapter`; for logs. */
  readonly name: string;
  toRawEvents(payload: LoadedPayload, ctx: AdapterContext): AdapterResult | Promise<AdapterResult>;
}

export function rawEvent(payload: LoadedPayload, parameters: RawParameters): RawEvent {
  return { api: payload.api, parameters, contentType: payload.contentType, source: payload.source, context: payload.context };
}

export function failure(...messages: AdapterMessage[]): AdapterResult {
  return { ok: false, messages };
}
