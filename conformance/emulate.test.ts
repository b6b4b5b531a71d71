/**
 * `furrow emulate` as a user runs it: the real command in a child process, real tracker traffic, the
 * Micro API and the warehouse read back, a stage killed with SIGKILL and restarted, a clean stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import { snowflakeWarehouse } from '../emulator/emulate/warehouse';
import { until } from './until';

const furrowBin = resolve(import.meta.dirname, '../bin/furrow.mjs');

interface EmulateState {
  urls: { collector: string; iglu: string; snowflake: string };
  pids: Record<string, number | null>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('furrow emulate (the command, end to end)', () => {
  let child: ChildProcess;
  let out = '';
  let stateDir: string;
  let state: EmulateState;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-emulate-'));
    stateDir = join(dir, 'state');
    const schemas = join(dir, 'schemas', 'com.acme', 'checkout', 'jsonschema');
    mkdirSync(schemas, { recursive: true });
    writeFileSync(
      join(schemas, '1-0-0'),
      JSON.stringify({
        $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
        self: { vendor: 'com.acme', name: 'checkout', format: 'jsonschema', version: '1-0-0' },
        type: 'object',
        properties: { total: { type: 'number' } },
        required: ['total'],
        additionalProperties: false,
      }),
    );
    // A broken file is reported (file and line) and skipped; the pipeline still starts.
    writeFileSync(join(dir, 'schemas', 'broken.json'), '{\n  "self": {\n    "vendor": "com.acme",\n  oops\n}');
    child = spawn(
      process.execPath,
      [furrowBin, 'emulate', '--state-dir', stateDir, '--schemas', join(dir, 'schemas'), '--port', '0', '--aws-port', '0', '--iglu-port', '0', '--postgres-port', '0', '--snowflake-port', '0'],
      // Its own process group: as when a user runs it in a terminal.
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => (/Furrow is ready in/.test(out) ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 150_000, 'emulate to be ready');
    state = JSON.parse(readFileSync(join(stateDir, 'emulate.json'), 'utf8')) as EmulateState;
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      for (const pid of Object.values(state?.pids ?? {})) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('reports a broken user schema with its file and line, and publishes the good one', async () => {
    expect(out).toMatch(/schema broken\.json:\d+: not valid JSON/);
    const res = await fetch(`${state.urls.iglu}/schemas/com.acme/checkout/jsonschema/1-0-0`);
    expect(res.status).toBe(200);
  });

  it('takes tracker events to the Micro API and to rows in atomic.events, and survives a stage killed with SIGKILL', async () => {
    const port = Number(new URL(state.urls.collector).port);
    let answered = 0;
    const t = newTracker(
      { namespace: 'e2e', appId: 'furrow-e2e' },
      // The emitter may put several queued events into one POST: count events, not requests.
      { endpoint: '127.0.0.1', protocol: 'http', port, bufferSize: 1, eventMethod: 'post', onRequestSuccess: (batch) => (answered += batch.length) },
    );
    const send = async (n: number) => {
      const before = answered;
      t.track(buildPageView({ pageUrl: 'https://shop.acme.com/?utm_source=news', pageTitle: 'Shop' }));
      t.track(buildStructEvent({ category: 'shop', action: 'add', value: 2 }));
      t.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/checkout/jsonschema/1-0-0', data: { total: 25.5 } } }));
      // Invalid against the user's schema: a schema_violations bad row.
      t.track(buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/checkout/jsonschema/1-0-0', data: { total: 'lots' } } }));
      await until(async () => (await t.flush(), answered - before >= n ? true : undefined), 20_000, 'tracker answers');
    };
    await send(4);
    const micro = (path: string, init?: RequestInit) => fetch(`${state.urls.collector}/micro/${path}`, init).then((r) => r.json());
    expect(await micro('all?wait=4&timeout=30000')).toEqual({ total: 4, good: 3, bad: 1 });
    const good = (await micro('good')) as { eventType: string; schema: string; event: { event_id: string; app_id: string } }[];
    expect(good.map((g) => g.eventType).sort()).toEqual(['page_view', 'struct', 'unstruct']);
    expect(good.every((g) => g.event.app_id === 'furrow-e2e')).toBe(true);
    const bad = (await micro('bad')) as { errors: string[] }[];
    expect(bad[0]!.errors[0]).toMatch(/^schema_violations/);

    // Rows land in atomic.events (Snowflake emulator, read back through snowflake-sdk).
    const wh = snowflakeWarehouse(state.urls.snowflake);
    try {
      await until(async () => ((await wh.count()) >= 3 ? true : undefined), 60_000, '3 rows in atomic.events');
      const row = await wh.row(good[0]!.event.event_id);
      expect(row).not.toBeNull();
      const lookup = (await micro(`events/${good[0]!.event.event_id}`)) as { stages: { loaded: boolean } };
      expect(lookup.stages.loaded).toBe(true);

      // kill -9 enrich: the supervisor restarts it, and events sent meanwhile are not lost.
      const enrichPid = state.pids.enrich!;
      process.kill(enrichPid, 'SIGKILL');
      await send(4);
      const restarted = await until(() => {
        const s = JSON.parse(readFileSync(join(stateDir, 'emulate.json'), 'utf8')) as EmulateState;
        return s.pids.enrich && s.pids.enrich !== enrichPid ? s : undefined;
      }, 30_000, 'enrich to be restarted');
      state = restarted;
      expect(await micro('all?wait=8&timeout=60000')).toMatchObject({ good: 6, bad: 2 });
      await until(async () => ((await wh.count()) >= 6 ? true : undefined), 60_000, '6 rows in atomic.events');
      expect(await wh.count()).toBe(6);
    } finally {
      await wh.close();
    }
  }, 240_000);

  it('stops every stage on SIGTERM and leaves no process behind', async () => {
    const pids = Object.values(state.pids).filter((p): p is number => Boolean(p));
    expect(pids.length).toBe(7); // emulate and its six stages (iglu-server, collector, enrich, s3-loader, transformer, loader)
    child.kill('SIGTERM');
    await until(() => (child.exitCode !== null ? true : undefined), 30_000, 'emulate to exit');
    expect(child.exitCode).toBe(0);
    await until(() => (pids.every((p) => !alive(p)) ? true : undefined), 10_000, 'every stage to exit');
    expect(existsSync(join(stateDir, 'logs', 'collector.log'))).toBe(true);
  }, 60_000);
});
