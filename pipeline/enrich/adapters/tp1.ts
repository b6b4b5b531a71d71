/** Tracker protocol v1: a GET querystring is one event (EN `Tp1Adapter`); `/i`, `/ice.png`, `.../tp1`. */
import { inputData } from '../../core/bad-rows-enrich';
import { toParameterMap } from '../querystring';
import { failure, rawEvent, type Adapter } from './types';

export const Tp1Adapter: Adapter = {
  name: 'Tp1Adapter',
  toRawEvents(payload) {
    const params = toParameterMap(payload.querystring);
    if (params.size === 0) return failure(inputData('querystring', null, 'empty querystring: not a valid URI redirect'));
    return { ok: true, events: [rawEvent(payload, params)] };
  },
};
