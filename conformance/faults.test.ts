/**
 * Faults survived (issue #9): the whole emulate pipeline (collector in ack-after-write mode, every stage its
 * own supervised process, warehouse on the embedded Postgres that also backs the Iglu Server) under steady
 * traffic, with one fault at a time in the middle of the run: throttling, 500s, latency and hung requests on
 * each AWS service, a restart of the embedded Postgres, and kill -9 of each stage. After each, the pipeline
 * must catch up by itself: no acknowledged event lost, no event_id in atomic.events twice, bad rows where
 * they belong. The traffic also resends some acknowledged requests (a 200 lost on the way back), so the loader
 * must drop duplicates. `npm test` runs one fault per service and two kills; `npm run conformance` runs every
 * service × fault kind, the Postgres restart, kill -9 of every stage, and kill -9 of the transformer while SQS fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulate, type RunningEmulate } from '../emulator/emulate/index';
import { conformanceProfile } from './report/profile';
import { checkInvariant } from './report/recorder';
import { PING_SCHEMA_JSON } from './faults/traffic';
import { APP_PREFIX, FaultRunner, type Scenario, type ScenarioCounts } from './faults/scenario';
import type { AwsService } from './faults/inject';

const profile = conformanceProfile();
/** Postgres by default: the same embedded database as the Iglu Server, so its restart hits both. */
const warehouse = process.env.FURROW_CONFORMANCE_WAREHOUSE === 'snowflake' ? 'snowflake' : 'postgres';
const full = profile.size === 'full';

const SERVICES: AwsService[] = ['kinesis', 's3', 'sqs', 'dynamodb'];
/** Kill targets: a stage, or every stage named `<target>-…` (see stagesNamed). */
const STAGES = ['collector', 'enrich', 's3-loader', 'transformer', 'loader', 'iglu-server'];

function awsScenarios(): Scenario[] {
  const holdMs = full ? 4_000 : 2_500;
  const kinds = {
    throttle: { error: 'throttle', errorRate: 0.5 },
    '500s': { error: '500', errorRate: 0.5 },
    latency: { latencyMs: 400 },
    // Requests that hang and end with the socket closed: clients must time out or retry, not wait forever.
    'hung requests': { error: 'timeout', timeoutMs: 3_000, count: 4 },
  } as const;
  if (!full) {
    // One kind per service, a different one each.
    const picks: [AwsService, keyof typeof kinds][] = [['kinesis', 'throttle'], ['s3', '500s'], ['sqs', 'latency'], ['dynamodb', 'throttle']];
    return picks.map(([service, kind]) => ({ name: `${service} ${kind}`, fault: { kind: 'aws', rule: { service, ...kinds[kind] }, holdMs } }));
  }
  return SERVICES.flatMap((service) =>
    (Object.keys(kinds) as (keyof typeof kinds)[]).map((kind): Scenario => ({ name: `${service} ${kind}`, fault: { kind: 'aws', rule: { service, ...kinds[kind] }, holdMs } })),
  );
}

const scenarios: Scenario[] = [
  ...awsScenarios(),
  ...(full ? [{ name: 'postgres restart', fault: { kind: 'postgres-restart', downMs: 2_000 } } as Scenario] : []),
  ...(full
    ? [
        ...STAGES.map((stage): Scenario => ({ name: `kill -9 ${stage}`, fault: { kind: 'kill', stages: [stage] } })),
        // A window sealed while SQS fails waits in the transformer for its message to go out: killed then, it must be sent again.
        { name: 'kill -9 transformer while SQS fails', fault: { kind: 'kill', stages: ['transformer'], during: { rule: { service: 'sqs', error: '500' }, leadMs: 3_000, holdMs: 5_000 } } } as Scenario,
      ]
    : // The two that recover without a lease hand-over (kill -9 of enrich is also in conformance/emulate.test.ts).
      [{ name: 'kill -9 collector and loader', fault: { kind: 'kill', stages: ['collector', 'loader'] } } as Scenario]),
];

describe(`faults survived (${profile.size} profile: ${scenarios.length} scenarios, warehouse ${warehouse})`, () => {
  let dir: string;
  let pipeline: RunningEmulate;
  let runner: FaultRunner;
  const totals: Record<string, number> = {};
  let failed = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'furrow-faults-'));
    const schemas = join(dir, 'schemas', 'com.acme.faults', 'ping', 'jsonschema');
    mkdirSync(schemas, { recursive: true });
    writeFileSync(join(schemas, '1-0-0'), JSON.stringify(PING_SCHEMA_JSON));
    pipeline = await startEmulate({
      stateDir: join(dir, 'state'),
      schemasDir: join(dir, 'schemas'),
      warehouse,
      collectorAckMode: 'ack',
      ports: { collector: 0, aws: 0, iglu: 0, postgres: 0, snowflake: 0 },
    });
    runner = new FaultRunner(
      pipeline,
      { requestsPerSecond: 10, eventsPerRequest: 3, badEvery: 10, resendEvery: 7, leadMs: 1_500, tailMs: 1_000, catchUpTimeoutMs: 120_000 },
      (line) => process.stdout.write(`[faults] ${line}\n`),
    );
  }, 180_000);

  afterAll(async () => {
    await runner?.close();
    await pipeline?.stop();
    // Keep the stage logs of a failed run for a look.
    if (failed) process.stdout.write(`[faults] stage logs kept in ${join(dir, 'state', 'logs')}\n`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  for (const scenario of scenarios) {
    it(`after ${scenario.name}: every acknowledged event is loaded once or a bad row, and the pipeline catches up by itself`, async () => {
      const record = { suite: 'faults', invariant: `${scenario.name}: no acknowledged event lost, no event_id loaded twice, caught up by itself`, cases: 1, counts: {} as Record<string, number> };
      await checkInvariant(record, async () => {
        const { counts, problems } = await runner.run(scenario);
        record.counts = counts;
        failed ||= problems.length > 0;
        for (const [k, v] of Object.entries(counts)) totals[k] = k === 'catchUpSeconds' ? Math.max(totals[k] ?? 0, v) : (totals[k] ?? 0) + v;
        expect(problems).toEqual([]);
        expect(counts.acknowledged).toBeGreaterThan(0);
        expect(counts.loaded).toBeGreaterThan(0);
      });
    }, 300_000);
  }

  it('over the whole run: no event_id is in atomic.events twice', async () => {
    const record = { suite: 'faults', invariant: 'over every fault run: no event_id in atomic.events twice', cases: scenarios.length, counts: {} as Record<string, number> };
    await checkInvariant(record, async () => {
      const rows = await runner.warehouse.rowsPerEvent(APP_PREFIX);
      const twice = [...rows].filter(([, n]) => n > 1);
      record.counts = { ...(totals as Partial<ScenarioCounts>), rows: [...rows.values()].reduce((a, b) => a + b, 0), distinctEventIds: rows.size };
      expect(twice).toEqual([]);
      expect(rows.size).toBeGreaterThan(0);
    });
  }, 60_000);
});
