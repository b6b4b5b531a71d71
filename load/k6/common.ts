/**
 * What every Furrow k6 script shares: the arrival-rate scenario, thresholds, sending one request of the
 * shared scenario module (../scenarios/index.ts, the same module `npm run load` uses) and a summary that
 * states how many events the collector accepted.
 *
 * Env: TARGET (collector base URL, default http://127.0.0.1:9090), RATE (req/s at the plateau, default
 * 50), DURATION (seconds, default 60), SEED (default 1), ALLOW_REMOTE=1 to allow a non-loopback target.
 */
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { THRESHOLDS, accepted, nextRequest, okStatus, rampProfile, rng, type Mix, type Rng } from '../scenarios/index.ts';

export const TARGET = (__ENV.TARGET ?? 'http://127.0.0.1:9090').replace(/\/+$/, '');
const RATE = Number(__ENV.RATE ?? 50);
const DURATION = Number(__ENV.DURATION ?? 60);
const SEED = Number(__ENV.SEED ?? 1);

/** Events in requests the collector accepted (200, or 302 for redirects). */
export const eventsAccepted = new Counter('furrow_events_accepted');
/** Events sent on purpose as bad traffic, in accepted requests. */
export const badEventsAccepted = new Counter('furrow_bad_events_accepted');
/** Requests not answered with their kind's expected status (network errors included). */
export const failed = new Rate('furrow_failed');

function isLoopback(url: string): boolean {
  const m = /^[a-z]+:\/\/(\[[^\]]+\]|[^/:]+)/i.exec(url);
  const host = (m?.[1] ?? '').toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** k6 options: one ramping-arrival-rate scenario (open loop: no coordinated omission) and the shared thresholds. */
export function options(): Options {
  const profile = rampProfile(RATE, DURATION);
  return {
    scenarios: {
      furrow: {
        executor: 'ramping-arrival-rate',
        startRate: profile.startRate,
        timeUnit: '1s',
        preAllocatedVUs: Math.max(10, Math.ceil(RATE / 10)),
        maxVUs: Math.max(50, RATE * 2),
        stages: profile.stages.map((s) => ({ duration: `${s.durationSeconds}s`, target: s.target })),
      },
    },
    thresholds: {
      furrow_failed: [`rate<=${THRESHOLDS.maxErrorRate}`],
      http_req_duration: [`p(95)<${THRESHOLDS.p95Ms}`],
    },
    // The redirect's 302 is the answer under test, not something to follow.
    maxRedirects: 0,
    summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
  };
}

/** Refuse to load anything but loopback unless ALLOW_REMOTE=1 (staging). Call from setup(). */
export function guardTarget(): void {
  if (!isLoopback(TARGET) && __ENV.ALLOW_REMOTE !== '1') throw new Error(`refusing to send load to non-loopback ${TARGET}: set -e ALLOW_REMOTE=1 (staging only)`);
}

let random: Rng | undefined;

/** Send one request of the mix and record what it should become downstream. */
export function sendOne(mix: Mix): void {
  random ??= rng(SEED * 100_003 + __VU);
  const req = nextRequest(random, mix);
  const res = http.request(req.method, TARGET + req.path, req.body ?? null, { headers: req.headers, tags: { kind: req.kind }, redirects: 0 });
  const ok = okStatus(req.kind, res.status);
  failed.add(!ok, { kind: req.kind });
  check(res, { 'expected status': () => ok });
  if (accepted(req.kind, res.status)) {
    eventsAccepted.add(req.expect.events, { kind: req.kind });
    if (req.expect.bad) badEventsAccepted.add(req.expect.events, { kind: req.kind });
  }
}

interface SummaryData {
  metrics: Record<string, { values: Record<string, number> } | undefined>;
}

/** End-of-test summary: requests, failure rate, p95, and the events accepted (compare with /micro/all or the warehouse). */
export function summary(data: SummaryData): Record<string, string> {
  const v = (m: string, k: string) => data.metrics[m]?.values[k] ?? 0;
  const text =
    `Furrow load against ${TARGET}\n` +
    `  requests: ${v('http_reqs', 'count')} (${v('http_reqs', 'rate').toFixed(1)}/s), failed ${(v('furrow_failed', 'rate') * 100).toFixed(2)}% (threshold ${THRESHOLDS.maxErrorRate * 100}%)\n` +
    `  latency: p50 ${v('http_req_duration', 'p(50)').toFixed(1)} ms, p95 ${v('http_req_duration', 'p(95)').toFixed(1)} ms (threshold ${THRESHOLDS.p95Ms} ms)\n` +
    `  events accepted: ${v('furrow_events_accepted', 'count')} (of which ${v('furrow_bad_events_accepted', 'count')} bad on purpose)\n` +
    `  check downstream: good + bad in /micro/all (or the warehouse) should grow by ${v('furrow_events_accepted', 'count')}\n`;
  return { stdout: text, 'furrow-k6-summary.json': JSON.stringify(data, null, 2) };
}
