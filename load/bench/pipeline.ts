/**
 * `npm run bench -- pipeline` (never part of `npm test`; opt-in because it loads the machine for minutes):
 * the whole laptop pipeline (`startEmulate()`, all ports 0) under the load runner's mix at doubling
 * rates, until the p95 tracker-to-row latency passes 5 s, requests fail, or events go missing. Reports
 * the highest sustained events/s and the stage that saturated first, judged by where the backlog piled up
 * when sending stopped: the collector (failed/slow requests), enrich (accepted events not yet on the
 * enriched/bad streams, as seen by the Micro feed), the transformer (enriched good events not yet in a
 * sealed window) or the loader (transformed events not yet loaded). Same-run baseline: the runner against
 * a bare node:http server that answers 200, i.e. what the load generator can do on this machine now.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulate } from '../../emulator/emulate/index';
import { runLoad, type LoadResult } from '../run';
import type { Bench, BenchMetric } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.split(' ').at(-1));
    return sum;
  } catch {
    return NaN;
  }
}

interface Snapshot {
  micro: number;
  microGood: number;
  transformed: number;
  loaded: number;
  transformerLagMs: number;
  feedLag: string;
}

export const bench: Bench = async ({ quick }) => {
  const stepSeconds = quick ? 6 : 15;
  const maxSteps = quick ? 5 : 8;
  const notes = [`${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; load generator and pipeline share the machine`];
  const metrics: BenchMetric[] = [];
  const quiet = () => undefined;

  // Baseline: the same runner against a bare server, at the rate where the pipeline is later measured.
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'furrow-bench-pipeline-'));
  const running = await startEmulate({ stateDir: dir, ports: { collector: 0, aws: 0, iglu: 0, postgres: 0, snowflake: 0 } });
  try {
    const cfg = JSON.parse(readFileSync(running.configFile, 'utf8')) as { transformer: { port: number }; loader: { port: number } };
    const transformerUrl = `http://127.0.0.1:${cfg.transformer.port}`;
    const loaderUrl = `http://127.0.0.1:${cfg.loader.port}`;
    const collector = running.urls.collector;
    const snapshot = async (): Promise<Snapshot> => {
      const status = (await (await fetch(`${collector}/micro/status`)).json()) as { summary: { good: number; bad: number }; stages: { name: string; detail?: string }[] };
      return {
        micro: status.summary.good + status.summary.bad,
        microGood: status.summary.good,
        transformed: await metric(transformerUrl, 'furrow_transformer_events_good_total'),
        loaded: await metric(loaderUrl, 'furrow_loader_count_good_total'),
        transformerLagMs: await metric(transformerUrl, 'furrow_transformer_millis_behind_latest'),
        feedLag: status.stages.find((s) => s.name === 'micro-feed')?.detail ?? '',
      };
    };

    // Warm-up (schemas, tables, JIT), not measured.
    await runLoad({ target: collector, rate: 5, durationSeconds: 4, verify: true, verifyTimeoutMs: 120_000, progress: quiet });

    let rate = 5;
    let sustained: { rate: number; eventsPerSecond: number; r: LoadResult } | undefined;
    let failing: { rate: number; reason: string; stage: string; r: LoadResult } | undefined;
    for (let step = 0; step < maxSteps; step++) {
      const before = await snapshot();
      let atEnd: Snapshot | undefined;
      const timer = setTimeout(() => void snapshot().then((s) => (atEnd = s)), stepSeconds * 1000);
      process.stdout.write(`  step ${step + 1}: ${rate} req/s for ${stepSeconds} s…\n`);
      const r = await runLoad({ target: collector, rate, durationSeconds: stepSeconds, verify: true, verifyTimeoutMs: 60_000, latencyProbes: true, progress: quiet });
      clearTimeout(timer);
      atEnd ??= await snapshot();
      const sendSeconds = r.seconds;
      const eventsPerSecond = r.expected.events / sendSeconds;
      const d = r.downstream && !('skipped' in r.downstream) ? r.downstream : undefined;
      // Backlog per stage when sending stopped, in events (deltas over the step, so stragglers of the
      // previous step can make a small one negative; only large positive backlogs mean anything).
      const backlog = {
        collector: r.failed,
        enrich: r.expected.events - (atEnd.micro - before.micro),
        transformer: atEnd.microGood - before.microGood - (atEnd.transformed - before.transformed),
        loader: atEnd.transformed - before.transformed - (atEnd.loaded - before.loaded),
      };
      const row = r.rowLatencyMs;
      const line =
        `${rate} req/s → ${r.requestsPerSecond.toFixed(1)} req/s, ${eventsPerSecond.toFixed(1)} events/s sent; HTTP p95 ${r.latencyMs.p95.toFixed(0)} ms, failed ${r.failed}; ` +
        `row latency p50 ${row?.p50.toFixed(0)} / p95 ${row?.p95.toFixed(0)} ms (${row?.n} probes, ${row?.missing} missing); downstream ${d ? `${d.total}/${r.expected.events}` : 'n/a'}; ` +
        `backlog at send end: enrich ${backlog.enrich}, transformer ${backlog.transformer}, loader ${backlog.loader} (transformer lag ${atEnd.transformerLagMs} ms${atEnd.feedLag ? `, Micro feed ${atEnd.feedLag}` : ''})`;
      process.stdout.write(`    ${line}\n`);
      notes.push(`step ${step + 1}: ${line}`);
      const reason =
        r.failed > 0
          ? `${r.failed} failed requests`
          : !d || !d.matched
            ? `events missing downstream (${d?.total ?? '?'} of ${r.expected.events})`
            : !row || row.n === 0 || row.missing > 0
              ? 'latency probes not loaded within 60 s'
              : row.p95 > 5000
                ? `p95 tracker-to-row latency ${row.p95.toFixed(0)} ms > 5 s`
                : r.requestsPerSecond < rate * 0.8
                  ? `load generator / collector could not keep the rate (${r.requestsPerSecond.toFixed(1)} of ${rate} req/s)`
                  : '';
      if (reason) {
        const stage =
          r.failed > 0 || r.latencyMs.p95 > 1000
            ? 'collector'
            : (Object.entries(backlog).filter(([k]) => k !== 'collector').sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown');
        failing = { rate, reason, stage, r };
        break;
      }
      sustained = { rate, eventsPerSecond, r };
      rate *= 2;
      await sleep(2000);
    }

    // Same-run baseline at the highest sustained rate (or the first rate).
    const baseRate = sustained?.rate ?? 5;
    const b = await runLoad({ target: bareUrl, rate: baseRate * 2, durationSeconds: stepSeconds, verify: false, progress: quiet });
    notes.push(`baseline: runner against a bare node:http server at ${baseRate * 2} req/s: ${b.requestsPerSecond.toFixed(1)} req/s, p95 ${b.latencyMs.p95.toFixed(1)} ms, ${b.expected.events / b.seconds} events/s`);
    if (failing) notes.push(`stopped at ${failing.rate} req/s: ${failing.reason}; first saturated stage: ${failing.stage}`);
    else notes.push(`did not saturate within ${maxSteps} doubling steps`);
    notes.push(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const bEvents = b.expected.events / b.seconds;
    metrics.push({
      name: 'whole pipeline sustained events/s (p95 row latency < 5 s, nothing lost)',
      value: sustained?.eventsPerSecond ?? 0,
      unit: 'events/s',
      baseline: { name: `runner → bare node:http at ${baseRate * 2} req/s (what the generator delivers at the next step's rate)`, value: bEvents },
      ratio: (sustained?.eventsPerSecond ?? 0) / bEvents,
    });
    if (sustained?.r.rowLatencyMs)
      metrics.push({
        name: 'tracker-to-row latency p95 at the sustained rate (ratio = pipeline/bare HTTP p95)',
        value: sustained.r.rowLatencyMs.p95,
        unit: 'ms',
        baseline: { name: 'bare node:http p95', value: b.latencyMs.p95 },
        ratio: sustained.r.rowLatencyMs.p95 / Math.max(b.latencyMs.p95, 0.001),
        goal: '< 5 s',
        pass: sustained.r.rowLatencyMs.p95 < 5000,
      });
    return { stage: 'pipeline', metrics, notes };
  } finally {
    await running.stop();
    await new Promise<void>((r) => bare.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
};
