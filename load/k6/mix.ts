/**
 * k6: the realistic mix: 70% tp2, 20% pixels, 5% redirects, 5% bad traffic of four kinds, at a ramping arrival rate.
 *   k6 run -e TARGET=http://127.0.0.1:9090 -e RATE=100 -e DURATION=60 load/k6/mix.ts
 */
import { DEFAULT_MIX } from '../scenarios/index.ts';
import { guardTarget, options as furrowOptions, sendOne, summary } from './common.ts';

export const options = furrowOptions();

export function setup(): void {
  guardTarget();
}

export default function (): void {
  sendOne(DEFAULT_MIX);
}

export const handleSummary = summary;
