/**
 * One fault scenario on a running emulate pipeline: steady traffic, a fault in the middle, the fault
 * cleared, then wait for the pipeline to catch up by itself and account for every event: each acknowledged
 * good event is exactly one row in `atomic.events`, each acknowledged bad event has a bad row in the bucket,
 * nothing is routed both ways, and no event_id is ever loaded twice.
 */
import type { RunningEmulate } from '../../emulator/emulate/index';
import { awsClients, emulatorSettings, type AwsClients } from '../../pipeline/streams/aws-clients';
import { addAwsFault, clearAwsFaults, killStage, restarted, sleep, stagesNamed, totalRestarts, type AwsFaultRule } from './inject';
import { badRowsPerEvent, BucketLines, postgresProbe, snowflakeProbe, windowRowsPerEvent, type WarehouseProbe } from './outcomes';
import { Traffic } from './traffic';

export type Fault =
  | { kind: 'aws'; rule: AwsFaultRule; holdMs: number }
  /** kill -9 of the stages (names or name prefixes, see `stagesNamed`), optionally while an AWS fault holds. */
  | { kind: 'kill'; stages: string[]; during?: { rule: AwsFaultRule; leadMs: number; holdMs: number } }
  | { kind: 'postgres-restart'; downMs: number };

export interface Scenario {
  name: string;
  fault: Fault;
}

export interface RunSettings {
  requestsPerSecond: number;
  eventsPerRequest: number;
  badEvery: number;
  /** Resend every n-th acknowledged request (a tracker whose 200 got lost): duplicates the loader must drop. */
  resendEvery: number;
  /** Traffic before the fault, and after it ends. */
  leadMs: number;
  tailMs: number;
  /** How long the pipeline may take to account for every event after the traffic stopped. */
  catchUpTimeoutMs: number;
}

export interface ScenarioCounts extends Record<string, number> {
  sent: number;
  acknowledged: number;
  loaded: number;
  bad: number;
  duplicatesRemoved: number;
  restarts: number;
  catchUpSeconds: number;
}

export interface ScenarioResult {
  counts: ScenarioCounts;
  /** Broken invariants, in words; empty when the scenario held. */
  problems: string[];
}

export const APP_PREFIX = 'faults-';

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export class FaultRunner {
  private readonly aws: AwsClients;
  readonly bucket: BucketLines;
  readonly warehouse: WarehouseProbe;

  constructor(
    private readonly pipeline: RunningEmulate,
    private readonly settings: RunSettings,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.aws = awsClients(emulatorSettings(pipeline.urls.aws));
    this.bucket = new BucketLines(this.aws.s3);
    this.warehouse = pipeline.urls.snowflake ? snowflakeProbe(pipeline.urls.snowflake) : postgresProbe(pipeline.urls.postgres);
  }

  async close(): Promise<void> {
    await clearAwsFaults(this.pipeline.urls.aws).catch(() => undefined);
    await this.warehouse.close().catch(() => undefined);
    this.aws.destroy();
  }

  private async inject(fault: Fault): Promise<void> {
    const { supervisor, urls } = this.pipeline;
    if (fault.kind === 'aws') {
      await addAwsFault(urls.aws, fault.rule);
      try {
        await sleep(fault.holdMs);
      } finally {
        await clearAwsFaults(urls.aws);
      }
    } else if (fault.kind === 'kill') {
      const during = fault.during;
      if (during) {
        await addAwsFault(urls.aws, during.rule);
        await sleep(during.leadMs);
      }
      // The AWS fault ends on its own schedule: a stage may not even start while it holds.
      const cleared = during ? sleep(during.holdMs).then(() => clearAwsFaults(urls.aws)) : Promise.resolve();
      try {
        const killed = fault.stages.flatMap((t) => stagesNamed(supervisor, t)).map((stage) => ({ stage, pid: killStage(supervisor, stage) }));
        await Promise.all(killed.map(({ stage, pid }) => restarted(supervisor, stage, pid)));
      } finally {
        await cleared;
      }
    } else {
      await this.pipeline.postgres.restart({ downMs: fault.downMs });
    }
  }

  async run(scenario: Scenario): Promise<ScenarioResult> {
    const s = this.settings;
    const appId = `${APP_PREFIX}${slug(scenario.name)}`;
    const traffic = new Traffic({
      collectorUrl: this.pipeline.urls.collector,
      appId,
      requestsPerSecond: s.requestsPerSecond,
      eventsPerRequest: s.eventsPerRequest,
      badEvery: s.badEvery,
      resendEvery: s.resendEvery,
    });
    const restartsBefore = totalRestarts(this.pipeline.supervisor);
    traffic.start();
    let faultEnd: number;
    try {
      await sleep(s.leadMs);
      this.log(`${scenario.name}: injecting`);
      await this.inject(scenario.fault);
      faultEnd = Date.now();
      await sleep(s.tailMs);
    } finally {
      await traffic.stop();
    }
    const good = new Set(traffic.ids((e) => !e.bad));
    const bad = new Set(traffic.ids((e) => e.bad));
    const ackedGood = traffic.ids((e) => e.acked && !e.bad);
    const ackedBad = traffic.ids((e) => e.acked && e.bad);
    this.log(`${scenario.name}: traffic stopped (${JSON.stringify(traffic.counts())}); waiting for the pipeline to catch up`);

    // Catch up: every acknowledged event accounted for, or the time is up.
    const deadline = Date.now() + s.catchUpTimeoutMs;
    let rows = new Map<string, number>();
    let badRows = new Map<string, number>();
    for (;;) {
      rows = await this.warehouse.rowsPerEvent(appId).catch(() => rows);
      const allLoaded = ackedGood.every((id) => rows.has(id));
      if (allLoaded) badRows = await badRowsPerEvent(this.bucket, bad).catch(() => badRows);
      if ((allLoaded && ackedBad.every((id) => badRows.has(id))) || Date.now() > deadline) break;
      await sleep(1_000);
    }
    const caughtUpAt = Date.now();
    // Anything still arriving (a duplicate window, a late bad row) shows up here.
    await sleep(2_000);
    rows = await this.warehouse.rowsPerEvent(appId);
    badRows = await badRowsPerEvent(this.bucket, new Set([...good, ...bad]));
    const windowRows = await windowRowsPerEvent(this.bucket, await this.warehouse.manifestBases(), appId);

    const problems: string[] = [];
    const list = (ids: string[]) => `${ids.length} (e.g. ${ids.slice(0, 3).join(', ')})`;
    const lost = ackedGood.filter((id) => !rows.has(id));
    if (lost.length) problems.push(`acknowledged good events not loaded: ${list(lost)}`);
    const lostBad = ackedBad.filter((id) => !badRows.has(id));
    if (lostBad.length) problems.push(`acknowledged bad events without a bad row: ${list(lostBad)}`);
    const twice = [...rows].filter(([, n]) => n > 1).map(([id]) => id);
    if (twice.length) problems.push(`event_ids loaded more than once: ${list(twice)}`);
    const badLoaded = [...rows.keys()].filter((id) => bad.has(id));
    if (badLoaded.length) problems.push(`bad events loaded as rows: ${list(badLoaded)}`);
    const goodAsBad = [...badRows.keys()].filter((id) => good.has(id));
    if (goodAsBad.length) problems.push(`good events turned into bad rows: ${list(goodAsBad)}`);
    const strangers = [...rows.keys()].filter((id) => !good.has(id));
    if (strangers.length) problems.push(`rows whose event_id was never sent: ${list(strangers)}`);

    const t = traffic.counts();
    let windowLines = 0;
    for (const [id, n] of windowRows) if (rows.has(id)) windowLines += n;
    const loaded = [...rows.values()].reduce((a, b) => a + b, 0);
    const counts: ScenarioCounts = {
      sent: t.sent,
      acknowledged: t.acknowledged,
      loaded,
      bad: [...badRows.keys()].filter((id) => bad.has(id)).length,
      duplicatesRemoved: Math.max(0, windowLines - loaded),
      restarts: totalRestarts(this.pipeline.supervisor) - restartsBefore,
      catchUpSeconds: Math.round((caughtUpAt - faultEnd) / 100) / 10,
      unacknowledgedLoaded: [...rows.keys()].filter((id) => !traffic.events.get(id)?.acked).length,
      badRowsArchived: [...badRows].filter(([id]) => bad.has(id)).reduce((a, [, n]) => a + n, 0),
      resent: t.resent,
      failedRequests: t.failedRequests,
      retries: t.retries,
    };
    this.log(`${scenario.name}: ${JSON.stringify(counts)}${problems.length ? ` PROBLEMS: ${problems.join('; ')}` : ''}`);
    return { counts, problems };
  }
}
