/**
 * Adapter registry (EN `AdapterRegistry`): (vendor, version) → adapter. Failures of the tp2 and redirect
 * adapters are tracker_protocol_violations; every other adapter's, and an unknown vendor/version, are
 * adapter_failures.
 */
import { inputData } from '../../core/bad-rows-enrich';
import type { Api } from '../raw-event';
import { IgluWebhookAdapter } from './iglu-webhook';
import { RedirectAdapter } from './redirect';
import { Tp1Adapter } from './tp1';
import { Tp2Adapter } from './tp2';
import { failure, type Adapter } from './types';

export type { Adapter, AdapterContext, AdapterResult } from './types';

const SNOWPLOW = 'com.snowplowanalytics.snowplow';

const ADAPTERS = new Map<string, Adapter>([
  [`${SNOWPLOW}/tp1`, Tp1Adapter],
  [`${SNOWPLOW}/tp2`, Tp2Adapter],
  ['r/tp2', RedirectAdapter],
  ['com.snowplowanalytics.iglu/v1', IgluWebhookAdapter],
]);

/** Register another adapter (webhooks arrive in later issues). */
export function registerAdapter(vendor: string, version: string, adapter: Adapter): void {
  ADAPTERS.set(`${vendor}/${version}`, adapter);
}

const Unsupported: Adapter = {
  name: 'UnsupportedAdapter',
  toRawEvents(payload) {
    const vv = `${payload.api.vendor}/${payload.api.version}`;
    return failure(inputData('vendor/version', vv, 'vendor/version combination is not supported'));
  },
};

export function adapterFor(api: Api): Adapter {
  return ADAPTERS.get(`${api.vendor}/${api.version}`) ?? Unsupported;
}

/** Bad-row type of an adapter failure for this API. */
export function adapterFailureType(api: Api): 'tracker_protocol_violations' | 'adapter_failures' {
  return api.version === 'tp2' && (api.vendor === SNOWPLOW || api.vendor === 'r') ? 'tracker_protocol_violations' : 'adapter_failures';
}
