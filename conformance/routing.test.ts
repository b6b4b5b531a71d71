/**
 * Failed-event routing (issue #9): generated tracker traffic with a known mix — valid events of every
 * type, and every kind of invalid input (bad payload_data, unknown schema, schema violation in an entity,
 * oversized requests and events, broken Thrift, enrichment failures from a JavaScript enrichment,
 * loader-side failures) — must put every event in exactly one destination of the expected kind: a row in
 * atomic.events, or one bad row of the expected type on bad-1 (archived under s3 bad/), bad-2 or the
 * transformer's output=bad; never both, never neither (except on purpose: dropped by the JavaScript
 * enrichment, refused with 413). Shrinking finds a minimal failing case; the seed is printed.
 *
 *   1. in-process: the stages' routing code on generated cases, many runs (no processes).
 *   2. across the pipeline: `startEmulate` (every stage a child process, Snowflake emulator), each
 *      fast-check run a batch sent over HTTP and put on streams, every outcome read back.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { conformanceProfile } from './report/profile';
import { checkInvariant } from './report/recorder';
import { mapLimit, putRecord, sendHttp, startPipeline, type Pipeline } from './harness';
import { ROUTING_ENRICHMENTS, ROUTING_SCHEMAS } from './routing/config';
import { inProcessSettings, runInProcess } from './routing/in-process';
import { caseCounts, judge, type Verdict } from './routing/ledger';
import { caseShape, describeInput, everyKindCase, materialise, type CaseShape, type MaterialCase } from './routing/traffic';

const profile = conformanceProfile();
const SUITE = 'failed-event routing';
const RUN = Math.random().toString(36).slice(2, 8);

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function failure(c: MaterialCase, v: Verdict, extra: string[] = [], showMissing = true): Error {
  const lines = [...v.violations, ...extra, ...(showMissing ? v.missing.map((m) => `missing: ${m}`) : [])];
  return new Error(
    `${lines.length} routing problem(s) in a case of ${c.inputs.length} input(s) (seed ${profile.seed}):\n  ${lines.slice(0, 40).join('\n  ')}` +
      `${lines.length > 40 ? `\n  … and ${lines.length - 40} more` : ''}\ninputs:\n  ${c.inputs.map((i, n) => `#${n} ${describeInput(i)}`).join('\n  ')}`,
  );
}

const withoutBad1Garbage = (s: CaseShape) => s.filter((i) => i.kind !== 'bad1-garbage');

describe('failed-event routing, in-process (collector size tiers, enrich, transformer)', () => {
  it('every generated input gets exactly the outcome the routing model gives it', async () => {
    const settings = await inProcessSettings();
    const numRuns = profile.runs(60, 1_000) + 1;
    const counts: Record<string, number> = {};
    console.log(`[routing] in-process property: seed ${profile.seed}, the every-kind example + ${numRuns - 1} runs`);
    let n = 0;
    await checkInvariant(
      { suite: SUITE, invariant: 'in-process: collector size tiers, enrich and the transformer route every generated input exactly as the model says', cases: numRuns, seed: profile.seed, counts },
      () =>
        fc.assert(
          fc.asyncProperty(caseShape(12).map(withoutBad1Garbage), async (shape) => {
            const c = materialise(shape, `${RUN}p${++n}`);
            const v = judge(c, await runInProcess(c, settings));
            if (v.violations.length || v.missing.length) throw failure(c, v);
            addCounts(counts, caseCounts(c));
          }),
          { seed: profile.seed, numRuns, examples: [[withoutBad1Garbage(everyKindCase())]] },
        ),
    );
  }, 300_000);
});

describe('failed-event routing across the running pipeline (emulator, every stage a process)', () => {
  let p: Pipeline;
  const sent: MaterialCase[] = [];
  const injected = new Set<string>();
  const statuses = new Map<MaterialCase, (number | null)[]>();
  /** How long one batch may take to be accounted for (the machine may be loaded). */
  const DEADLINE_MS = profile.runs(120_000, 180_000);

  beforeAll(async () => {
    const t0 = Date.now();
    p = await startPipeline({ schemas: ROUTING_SCHEMAS, enrichments: ROUTING_ENRICHMENTS });
    console.log(`[routing] pipeline (${p.warehouse}) started in ${Date.now() - t0} ms`);
  }, 240_000);

  afterAll(async () => {
    await p?.stop();
  }, 60_000);

  /** Send one case, wait until everything is accounted for (or the deadline), settle, judge. */
  async function runCase(shape: CaseShape, tag: string): Promise<MaterialCase> {
    const c = materialise(shape, tag);
    sent.push(c);
    for (const i of c.inputs) if (i.kind === 'record' && i.stream === 'bad-1') injected.add(i.data.toString('utf8'));
    const st = await mapLimit(c.inputs, 6, async (i) => {
      if (i.kind === 'http') return sendHttp(p.collectorUrl, i.request);
      await putRecord(p.aws.kinesis, i.stream, i.data, i.marker);
      return null;
    });
    statuses.set(c, st);
    const observe = async () => {
      await p.outcomes.poll();
      return judge(c, { warehouse: await p.outcomes.warehouseCounts(c.appId), badRows: p.outcomes.badRows, statuses: st, requireArchive: true }, injected);
    };
    const end = Date.now() + DEADLINE_MS;
    let v = await observe();
    const extra: string[] = [];
    while (!v.complete && v.violations.length === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 400));
      v = await observe();
      const dlq = await p.outcomes.deadLetteredWindows();
      if (dlq > 0) {
        extra.push(`${dlq} window(s) on the loader's dead-letter queue: their events will never load`);
        break;
      }
    }
    if (v.violations.length === 0 && extra.length === 0) {
      // Settle: a second copy (a late duplicate, a row after a bad row) would arrive within a window or flush.
      await new Promise((r) => setTimeout(r, 2_500));
      v = await observe();
    }
    if (!v.complete && Date.now() >= end) extra.push(`not everything was accounted for within ${DEADLINE_MS} ms`);
    if (!v.complete || extra.length) for (const stage of ['enrich', 'transformer', 'loader', 's3-loader-bad']) extra.push(...p.stageProblems(stage));
    // Stopped early on a wrong destination: what has not arrived yet is not (yet) a problem.
    if (v.violations.length || extra.length || !v.complete) throw failure(c, v, extra, Date.now() >= end || extra.length > 0);
    return c;
  }

  it('every event ends in exactly one destination of the expected kind; never both, never neither', async () => {
    // fast-check counts the every-kind example among the runs.
    const numRuns = profile.runs(3, 25) + 1;
    const maxInputs = profile.runs(12, 40);
    const counts: Record<string, number> = { cases: 0 };
    console.log(`[routing] pipeline property: seed ${profile.seed}, the every-kind example + ${numRuns - 1} runs of up to ${maxInputs} inputs`);
    let n = 0;
    const t0 = Date.now();
    await checkInvariant(
      {
        suite: SUITE,
        invariant: 'across the pipeline: every event in exactly one destination of the expected kind (atomic.events, bad-1 + s3 bad/, bad-2, transformer output=bad), never both, never neither; counts match',
        cases: numRuns,
        seed: profile.seed,
        counts,
      },
      () =>
        fc.assert(
          fc.asyncProperty(caseShape(maxInputs), async (shape) => {
            const started = Date.now();
            const c = await runCase(shape, `${RUN}c${++n}`);
            const cc = caseCounts(c);
            addCounts(counts, cc);
            counts.cases!++;
            console.log(`[routing] case ${n}: ${cc.inputs} inputs, ${cc.events ?? 0} events accounted for in ${Date.now() - started} ms`);
            counts['duration (s)'] = Math.round((Date.now() - t0) / 1000);
          }),
          { seed: profile.seed, numRuns, examples: [[everyKindCase()]], interruptAfterTimeLimit: profile.runs(15, 60) * 60_000, markInterruptAsFailure: true },
        ),
    );
  }, profile.runs(20, 90) * 60_000);

  it('nothing reaches a second destination later, and every bad row seen belongs to an input', async () => {
    const counts: Record<string, number> = {};
    await checkInvariant(
      { suite: SUITE, invariant: 'after the run: no late second destination for any event of any case, no bad row nor row unaccounted for', cases: sent.length, seed: profile.seed, counts },
      async () => {
        // Let every stage flush (transformer window, s3-loader buffers) before the final look.
        await new Promise((r) => setTimeout(r, 4_000));
        await p.outcomes.poll();
        const problems: string[] = [];
        for (const c of sent) {
          const v = judge(c, { warehouse: await p.outcomes.warehouseCounts(c.appId), badRows: p.outcomes.badRows, statuses: statuses.get(c) ?? [], requireArchive: true }, injected);
          problems.push(...v.violations);
        }
        // Every bad row must name an event or an input of some case (the pipeline saw no other traffic).
        const known = new Set(sent.flatMap((c) => c.inputs.flatMap((i) => i.events.map((e) => e.eid))));
        const markers = new Set(sent.flatMap((c) => c.inputs.map((i) => i.marker)));
        const stray = p.outcomes.badRows.filter(
          (r) => !(r.place === 'bad-1' && injected.has(r.json)) && !(r.eventId && known.has(r.eventId)) && ![...r.text.matchAll(/furrow-routing\/([a-z0-9]+\/[0-9]+)/g)].some((m) => markers.has(m[1]!)),
        );
        for (const r of stray.slice(0, 10)) problems.push(`a ${r.type} on ${r.place} (${r.from}) belongs to no input: ${r.json.slice(0, 300)}`);
        const all = await p.outcomes.warehouseCounts('furrow-routing.');
        const expected = sent.reduce((a, c) => a + c.inputs.reduce((b, i) => b + i.events.filter((e) => e.expect.to === 'warehouse').length, 0), 0);
        const rows = [...all.values()].reduce((a, b) => a + b, 0);
        Object.assign(counts, { cases: sent.length, 'rows in atomic.events': rows, 'rows expected': expected, 'bad rows seen (all places)': p.outcomes.badRows.length });
        if (rows !== expected) problems.push(`atomic.events holds ${rows} rows of the suite's events, the cases expect ${expected}`);
        if (problems.length) throw new Error(`${problems.length} problem(s) after the run:\n  ${problems.slice(0, 30).join('\n  ')}`);
      },
    );
  }, 120_000);
});
