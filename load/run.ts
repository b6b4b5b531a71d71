/**
 * `npm run load -- --target URL --rate N --duration D`: sends the scenarios of load/scenarios (the same
 * module the k6 scripts use) from Node at an open-loop arrival rate (ramp-up, then plateau), shows live
 * progress, and at the end checks end to end through the Micro API that every accepted event arrived
 * (sent = good + bad). Loopback targets only unless --allow-remote.
 */
import { Agent, request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_MIX,
  THRESHOLDS,
  accepted,
  nextRequest,
  okStatus,
  profileSeconds,
  rampProfile,
  rng,
  scheduledBy,
  type LoadRequest,
  type Mix,
  type RequestKind,
} from './scenarios/index';

export const HELP = `Usage: npm run load -- --target URL [--rate N] [--duration D] [options]

Sends a realistic Snowplow tracker mix (tp2 POST batches, GET /i pixels, /r/tp2 redirects, 5% bad
traffic on purpose) at an open-loop arrival rate: ramp-up over the first 10%, then N requests/s.
At the end it checks through the target's Micro API (/micro/all) that every event in an accepted
request arrived downstream as good or bad (sent = good + bad).

Options:
  --target URL         collector base URL (default http://127.0.0.1:9090, i.e. npm run emulate)
  --rate N             requests per second at the plateau (default 50)
  --duration D         run length: 30, 30s, 2m (default 10s)
  --connections N      max concurrent connections (default 64)
  --seed N             PRNG seed for the traffic (default 1)
  --good-only          no bad traffic (only tp2 and pixels)
  --no-verify          skip the end-to-end count check
  --verify-timeout D   how long to wait for events downstream (default 60s)
  --latency-probes     measure tracker-to-row latency: follow one good event per second through
                       /micro/events/{id} until it is in the warehouse
  --json               print the result as JSON on stdout
  --allow-remote       allow a non-loopback target (staging); never point this at production
  -h, --help           this text

Exit code 0 when the thresholds hold (error rate <= ${THRESHOLDS.maxErrorRate * 100}%, p95 <= ${THRESHOLDS.p95Ms} ms) and the counts match.`;

export interface LoadOptions {
  target: string;
  rate: number;
  durationSeconds: number;
  connections?: number;
  seed?: number;
  mix?: Mix;
  verify?: boolean;
  verifyTimeoutMs?: number;
  latencyProbes?: boolean;
  /** A line of live progress (default: stderr). */
  progress?: (line: string) => void;
}

export interface LoadResult {
  target: string;
  seconds: number;
  sent: number;
  /** Requests answered, by status. */
  statuses: Record<string, number>;
  byKind: Partial<Record<RequestKind, number>>;
  errors: number;
  /** Requests whose answer was not the kind's expected one (network errors included). */
  failed: number;
  errorRate: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Events in accepted requests, by what they should become. */
  expected: { events: number; good: number; bad: number; redirects: number };
  /** Downstream counts (deltas of /micro/all), when verified. */
  downstream?: { good: number; bad: number; total: number; matched: boolean; waitedMs: number } | { skipped: string };
  /** Tracker-to-row latency of the probe events (ms), when --latency-probes. */
  rowLatencyMs?: { n: number; p50: number; p95: number; missing: number };
  thresholdsPassed: boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a URL's host is loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Seconds from `30`, `30s`, `2m`, `1h`, `500ms`. */
export function parseDuration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(d.trim());
  if (!m) throw new Error(`bad duration '${d}' (use e.g. 30s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 's' ? n : unit === 'm' ? n * 60 : n * 3600;
}

export type ParsedArgs = { help: true } | { help: false; json: boolean; options: LoadOptions };

/** Parse the command line; throws with a clear message on bad input, including a non-loopback target without --allow-remote. */
export function parseLoadArgs(argv: string[]): ParsedArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'http://127.0.0.1:9090' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10s' },
      connections: { type: 'string', default: '64' },
      seed: { type: 'string', default: '1' },
      'good-only': { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      'verify-timeout': { type: 'string', default: '60s' },
      'latency-probes': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  let target: URL;
  try {
    target = new URL(values.target);
  } catch {
    throw new Error(`--target must be a URL, got '${values.target}'`);
  }
  if (target.protocol !== 'http:') throw new Error(`--target must be an http:// URL (got ${target.protocol})`);
  if (!isLoopback(target.href) && !values['allow-remote'])
    throw new Error(`refusing to send load to non-loopback target ${target.host}: pass --allow-remote if you mean it (staging only)`);
  const num = (v: string, name: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got '${v}'`);
    return n;
  };
  return {
    help: false,
    json: values.json,
    options: {
      target: target.origin,
      rate: num(values.rate, 'rate', 0.1),
      durationSeconds: parseDuration(values.duration),
      connections: Math.floor(num(values.connections, 'connections', 1)),
      seed: Math.floor(num(values.seed, 'seed', 0)),
      mix: values['good-only'] ? { tp2: 75, pixel: 25 } : DEFAULT_MIX,
      verify: !values['no-verify'],
      verifyTimeoutMs: parseDuration(values['verify-timeout']) * 1000,
      latencyProbes: values['latency-probes'],
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: Agent, base: URL, req: { method: string; path: string; headers?: Record<string, string>; body?: string }, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { agent, host: base.hostname, port: base.port || 80, method: req.method, path: req.path, headers: req.body !== undefined ? { ...req.headers, 'content-length': Buffer.byteLength(req.body) } : req.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end(req.body);
  });
}

async function microCounts(agent: Agent, base: URL): Promise<{ total: number; good: number; bad: number } | null> {
  try {
    // The trailing slash matters: on a collector without the Micro API, GET /micro/all is a two-segment
    // /{vendor}/{version} tracking path and would itself be recorded as an event; /micro/all/ is a 404.
    const a = await send(agent, base, { method: 'GET', path: '/micro/all/' }, 10_000);
    if (a.status !== 200) return null;
    const j = JSON.parse(a.body) as { total?: unknown; good?: unknown; bad?: unknown };
    if (typeof j.good !== 'number' || typeof j.bad !== 'number') return null;
    return { total: typeof j.total === 'number' ? j.total : j.good + j.bad, good: j.good, bad: j.bad };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the load; resolves when every request has been answered and (if asked) the counts verified. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const base = new URL(opts.target);
  const say = opts.progress ?? ((l: string) => process.stderr.write(l + '\n'));
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections ?? 64 });
  const control = new Agent({ keepAlive: true, maxSockets: 4 });
  const random = rng(opts.seed ?? 1);
  const mix = opts.mix ?? DEFAULT_MIX;
  const profile = rampProfile(opts.rate, opts.durationSeconds);
  const total = scheduledBy(profile, profileSeconds(profile));
  const verify = opts.verify ?? true;

  const before = verify || opts.latencyProbes ? await microCounts(control, base) : null;

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const byKind: Partial<Record<RequestKind, number>> = {};
  const expected = { events: 0, good: 0, bad: 0, redirects: 0 };
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let failed = 0;
  let inFlight = 0;
  const probes: { id: string; sentAt: number; rowAt?: number }[] = [];
  let lastProbeAt = -Infinity;

  const fire = (req: LoadRequest, scheduledAt: number) => {
    sent++;
    inFlight++;
    byKind[req.kind] = (byKind[req.kind] ?? 0) + 1;
    send(agent, base, req).then(
      (a) => {
        const now = performance.now();
        latencies.push(now - scheduledAt);
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        if (!okStatus(req.kind, a.status)) failed++;
        if (accepted(req.kind, a.status)) {
          expected.events += req.expect.events;
          if (req.kind === 'redirect') expected.redirects += req.expect.events;
          else if (req.expect.bad) expected.bad += req.expect.events;
          else expected.good += req.expect.events;
          if (opts.latencyProbes && req.eventIds.length > 0 && now - lastProbeAt >= 1000) {
            lastProbeAt = now;
            probes.push({ id: req.eventIds[0]!, sentAt: scheduledAt });
          }
        }
      },
      () => {
        latencies.push(performance.now() - scheduledAt);
        errors++;
        failed++;
      },
    ).finally(() => {
      inFlight--;
      answered++;
    });
  };

  // Probe follower: one poll loop for all pending probes.
  let probing = Boolean(opts.latencyProbes);
  const probeLoop = (async () => {
    while (probing || probes.some((p) => p.rowAt === undefined && performance.now() - p.sentAt < 60_000)) {
      for (const p of probes.filter((x) => x.rowAt === undefined && performance.now() - x.sentAt < 60_000)) {
        try {
          const a = await send(control, base, { method: 'GET', path: `/micro/events/${p.id}` }, 10_000);
          if (a.status === 200 && (JSON.parse(a.body) as { stages?: { loaded?: boolean } }).stages?.loaded) p.rowAt = performance.now();
        } catch {
          /* retry next round */
        }
      }
      await sleep(250);
    }
  })();

  const start = performance.now();
  let lastReport = start;
  let lastSent = 0;
  let prevTick = start;
  const durationMs = profileSeconds(profile) * 1000;
  while (sent < total) {
    const now = performance.now();
    const t = (now - start) / 1000;
    const due = Math.min(total, scheduledBy(profile, t));
    // Requests due since the last tick are scheduled evenly across it (open loop: latency counts from
    // the scheduled time, so a stalled generator or server shows up as latency, not as a lower rate).
    const first = sent;
    const n = due - first;
    while (sent < due) fire(nextRequest(random, mix), prevTick + ((sent - first + 1) / n) * (now - prevTick));
    prevTick = now;
    if (now - lastReport >= 1000) {
      const sorted = latencies.slice(-2000).sort((a, b) => a - b);
      say(
        `  ${t.toFixed(0).padStart(4)}s  sent ${sent}/${total}  ${Math.round(((sent - lastSent) * 1000) / (now - lastReport))} req/s  answered ${answered}  in flight ${inFlight}  failed ${failed}  p95 ${percentile(sorted, 95).toFixed(0)} ms`,
      );
      lastReport = now;
      lastSent = sent;
    }
    if (now - start > durationMs + 1000 && sent >= due) break;
    await sleep(5);
  }
  while (inFlight > 0) await sleep(10);
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const errorRate = sent > 0 ? failed / sent : 0;
  const result: LoadResult = {
    target: base.origin,
    seconds,
    sent,
    statuses,
    byKind,
    errors,
    failed,
    errorRate,
    requestsPerSecond: sent / seconds,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    expected,
    thresholdsPassed: errorRate <= THRESHOLDS.maxErrorRate && percentile(sorted, 95) <= THRESHOLDS.p95Ms,
  };
  say(`  sent ${sent} requests in ${seconds.toFixed(1)} s; ${expected.events} events accepted (${expected.good} good, ${expected.bad} bad on purpose, ${expected.redirects} redirects)`);

  if (verify) {
    if (!before) result.downstream = { skipped: 'no Micro API at the target (/micro/all)' };
    else {
      const t0 = Date.now();
      let now = before;
      let lastSay = 0;
      while (Date.now() - t0 < (opts.verifyTimeoutMs ?? 60_000)) {
        now = (await microCounts(control, base)) ?? now;
        const got = now.good - before.good + (now.bad - before.bad);
        if (got >= expected.events) break;
        if (Date.now() - lastSay > 2000) {
          say(`  waiting for events downstream: ${got}/${expected.events}`);
          lastSay = Date.now();
        }
        await sleep(250);
      }
      const good = now.good - before.good;
      const bad = now.bad - before.bad;
      result.downstream = { good, bad, total: good + bad, matched: good + bad === expected.events, waitedMs: Date.now() - t0 };
      say(`  downstream: ${good} good + ${bad} bad = ${good + bad} of ${expected.events} sent${good + bad === expected.events ? ' (all arrived)' : ' (MISMATCH)'}`);
    }
  }
  probing = false;
  await probeLoop;
  if (opts.latencyProbes) {
    const done = probes.filter((p) => p.rowAt !== undefined).map((p) => p.rowAt! - p.sentAt).sort((a, b) => a - b);
    result.rowLatencyMs = { n: done.length, p50: percentile(done, 50), p95: percentile(done, 95), missing: probes.length - done.length };
    say(`  tracker-to-row latency: p50 ${result.rowLatencyMs.p50.toFixed(0)} ms, p95 ${result.rowLatencyMs.p95.toFixed(0)} ms over ${done.length} probes (${result.rowLatencyMs.missing} not loaded in 60 s)`);
  }
  agent.destroy();
  control.destroy();
  return result;
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseLoadArgs(argv);
  if (parsed.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const o = parsed.options;
  process.stderr.write(`load: ${o.target}, ${o.rate} req/s for ${o.durationSeconds} s (ramp-up 10%), ${o.connections} connections\n`);
  const r = await runLoad(o);
  if (parsed.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else
    process.stdout.write(
      `\n${r.sent} requests, ${r.requestsPerSecond.toFixed(1)} req/s; statuses ${JSON.stringify(r.statuses)}; failed ${r.failed} (${(r.errorRate * 100).toFixed(2)}%, threshold ${THRESHOLDS.maxErrorRate * 100}%)\n` +
        `latency p50 ${r.latencyMs.p50.toFixed(1)} ms, p95 ${r.latencyMs.p95.toFixed(1)} ms (threshold ${THRESHOLDS.p95Ms} ms), p99 ${r.latencyMs.p99.toFixed(1)} ms\n` +
        `events accepted: ${r.expected.events}\n`,
    );
  const countsOk = !r.downstream || 'skipped' in r.downstream || r.downstream.matched;
  process.exitCode = r.thresholdsPassed && countsOk ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`load: ${(err as Error).message}\n`);
    process.exitCode = 2;
  });
