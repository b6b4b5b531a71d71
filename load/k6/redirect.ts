/**
 * k6: GET /r/tp2 redirects only (the collector needs enableDefaultRedirect; otherwise 404, counted as not accepted), at a ramping arrival rate.
 *   k6 run -e TARGET=http://127.0.0.1:9090 -e RATE=100 -e DURATION=60 load/k6/redirect.ts
 */
import { guardTarget, options as furrowOptions, sendOne, summary } from './common.ts';

export const options = furrowOptions();

export function setup(): void {
  guardTarget();
}

export default function (): void {
  sendOne({ redirect: 1 });
}

export const handleSummary = summary;
