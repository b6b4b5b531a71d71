/**
 * k6: GET /i pixels only, at a ramping arrival rate.
 *   k6 run -e TARGET=http://127.0.0.1:9090 -e RATE=100 -e DURATION=60 load/k6/pixel.ts
 */
import { guardTarget, options as furrowOptions, sendOne, summary } from './common.ts';

export const options = furrowOptions();

export function setup(): void {
  guardTarget();
}

export default function (): void {
  sendOne({ pixel: 1 });
}

export const handleSummary = summary;
