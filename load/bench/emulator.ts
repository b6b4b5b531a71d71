/**
 * `npm run bench -- emulator`: Kinesis throughput of Furrow's emulator against kinesis-local (kinesis-mock),
 * both in child processes, both driven by the real @aws-sdk/client-kinesis over HTTP/1.1 (our aws-clients
 * factory), 1 KiB records in PutRecords batches of 500, then GetRecords of everything back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { emulatorSettings, kinesisClient } from '../../pipeline/streams/aws-clients';
import type { Bench, BenchMetric, BenchResult } from './types';

const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const RECORD_BYTES = 1024;
const BATCH = 500;
const SHARDS = 4;

interface Target {
  name: string;
  endpoint: string;
  child: ChildProcess;
}

interface Run {
  putRecords: number;
  putSeconds: number;
  getRecords: number;
  getSeconds: number;
  throttled: number;
  /** CPU the server process used (ms) during each phase, when /proc is there to tell. */
  putCpuMs?: number;
  getCpuMs?: number;
}

export const bench: Bench = async ({ quick }) => {
  const oursBatches = quick ? 40 : 200; // 20k / 100k records
  const localBatches = quick ? 4 : 10; // kinesis-local slows down as a stream fills: keep its work bounded
  const notes: string[] = [`${cpus().length} cores, node ${process.version}; ${RECORD_BYTES} B records, PutRecords batches of ${BATCH}, ${SHARDS} shards`];
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  notes.push(`load average at start: ${load()} (other work on the machine slows both emulators)`);

  const ours = await startOurs();
  let oursRun: Run;
  let sqsMetrics: BenchMetric[];
  try {
    oursRun = await measure(ours, { batches: oursBatches, concurrency: 4, warmupBatches: 10 });
    sqsMetrics = await maybeSqs(ours.endpoint, notes, quick);
  } finally {
    await stop(ours.child);
  }

  const local = await startKinesisLocal();
  let localRun: Run;
  try {
    localRun = await measure(local, { batches: localBatches, concurrency: 1, warmupBatches: 0 });
  } finally {
    await stop(local.child);
  }

  notes.push(`load average at end: ${load()}`);
  const perK = (cpu: number | undefined, n: number) => (cpu === undefined ? 'n/a' : `${((cpu * 1000) / n).toFixed(1)} ms`);
  notes.push(
    `server CPU per 1,000 records: furrow put ${perK(oursRun.putCpuMs, oursRun.putRecords)}, get ${perK(oursRun.getCpuMs, oursRun.getRecords)}; ` +
      `kinesis-local put ${perK(localRun.putCpuMs, localRun.putRecords)}, get ${perK(localRun.getCpuMs, localRun.getRecords)}`,
  );
  const putOurs = oursRun.putRecords / oursRun.putSeconds;
  const putLocal = localRun.putRecords / localRun.putSeconds;
  const getOurs = oursRun.getRecords / oursRun.getSeconds;
  const getLocal = localRun.getRecords / localRun.getSeconds;
  notes.push(
    `furrow: ${oursRun.putRecords} records put in ${oursRun.putSeconds.toFixed(2)} s (4 PutRecords in flight), read back in ${oursRun.getSeconds.toFixed(2)} s` +
      (oursRun.throttled ? `, ${oursRun.throttled} per-record failures` : ''),
    `kinesis-local 0.6.2: ${localRun.putRecords} records put in ${localRun.putSeconds.toFixed(2)} s (1 in flight; it slows as a stream fills), read back in ${localRun.getSeconds.toFixed(2)} s`,
  );
  const putRatio = putOurs / putLocal;
  const metrics: BenchMetric[] = [
    {
      name: 'kinesis PutRecords records/s',
      value: putOurs,
      unit: 'records/s',
      baseline: { name: 'kinesis-local', value: putLocal },
      ratio: putRatio,
      goal: '>= 20,000 records/s put and >= 20x kinesis-local',
      pass: putOurs >= 20_000 && putRatio >= 20,
    },
    {
      name: 'kinesis GetRecords records/s',
      value: getOurs,
      unit: 'records/s',
      baseline: { name: 'kinesis-local', value: getLocal },
      ratio: getOurs / getLocal,
    },
  ];
  // Records per second of server CPU: steadier than wall-clock figures when other work shares the machine.
  if (oursRun.putCpuMs && localRun.putCpuMs) {
    const ours = oursRun.putRecords / (oursRun.putCpuMs / 1000);
    const local = localRun.putRecords / (localRun.putCpuMs / 1000);
    metrics.push({ name: 'kinesis PutRecords records per server CPU-second', value: ours, unit: 'records/CPU-s', baseline: { name: 'kinesis-local', value: local }, ratio: ours / local });
  }
  if (oursRun.getCpuMs && localRun.getCpuMs) {
    const ours = oursRun.getRecords / (oursRun.getCpuMs / 1000);
    const local = localRun.getRecords / (localRun.getCpuMs / 1000);
    metrics.push({ name: 'kinesis GetRecords records per server CPU-second', value: ours, unit: 'records/CPU-s', baseline: { name: 'kinesis-local', value: local }, ratio: ours / local });
  }
  metrics.push(...sqsMetrics);
  const result: BenchResult = { stage: 'emulator', metrics, notes };
  return result;
};

/** Put `batches` x 500 records (after a warm-up), then read every shard from TRIM_HORIZON to the end. */
async function measure(t: Target, opts: { batches: number; concurrency: number; warmupBatches: number }): Promise<Run> {
  const client = kinesisClient(emulatorSettings(t.endpoint, { maxAttempts: 1, requestTimeoutMs: 120_000 }));
  try {
    const stream = `bench-${Date.now()}`;
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: SHARDS }));
    await waitUntilStreamExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { StreamName: stream });

    // A pool of distinct 1 KiB payloads and keys; batches reuse them (the SDK base64-encodes each anyway).
    const pool = Array.from({ length: BATCH }, (_, i) => ({ Data: new Uint8Array(randomBytes(RECORD_BYTES)), key: `user-${i}` }));
    let n = 0;
    const nextBatch = (): PutRecordsRequestEntry[] =>
      pool.map((p) => ({ Data: p.Data, PartitionKey: `${p.key}-${n++ % 100_003}` }));

    let throttled = 0;
    const put = async (count: number): Promise<number> => {
      let next = 0;
      let ok = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: nextBatch() }));
          ok += BATCH - (out.FailedRecordCount ?? 0);
          throttled += out.FailedRecordCount ?? 0;
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, worker));
      return ok;
    };
    const warm = opts.warmupBatches ? await put(opts.warmupBatches) : 0;
    const c0 = cpuMs(t.child);
    const t0 = performance.now();
    const putRecords = await put(opts.batches);
    const putSeconds = (performance.now() - t0) / 1000;
    const c1 = cpuMs(t.child);

    const { Shards } = await client.send(new ListShardsCommand({ StreamName: stream }));
    const t1 = performance.now();
    const counts = await Promise.all(
      (Shards ?? []).map(async (sh) => {
        let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: sh.ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
          .ShardIterator;
        let got = 0;
        while (it) {
          const out = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
          got += out.Records?.length ?? 0;
          if (!out.Records?.length && out.MillisBehindLatest === 0) break;
          it = out.NextShardIterator;
        }
        return got;
      }),
    );
    const getSeconds = (performance.now() - t1) / 1000;
    const c2 = cpuMs(t.child);
    const getRecords = counts.reduce((a, b) => a + b, 0);
    if (getRecords !== putRecords + warm) throw new Error(`${t.name}: put ${putRecords + warm} records but read back ${getRecords}`);
    const diff = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);
    return { putRecords, putSeconds, getRecords, getSeconds, throttled, putCpuMs: diff(c0, c1), getCpuMs: diff(c1, c2) };
  } finally {
    client.destroy();
  }
}

/** User + system CPU time of a child process in ms (Linux /proc), or undefined elsewhere. */
function cpuMs(child: ChildProcess): number | undefined {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, 100 per second on Linux
  } catch {
    return undefined;
  }
}

/** The SQS part of this stage belongs to a teammate: if `load/bench/sqs.ts` exists, its metrics are appended. */
async function maybeSqs(endpoint: string, notes: string[], quick: boolean | undefined): Promise<BenchMetric[]> {
  const file = join(import.meta.dirname, 'sqs.ts');
  if (!existsSync(file)) return [];
  const mod = (await import(pathToFileURL(file).href)) as { benchSqs?: (endpoint: string, opts: { quick?: boolean }) => Promise<unknown> };
  if (typeof mod.benchSqs !== 'function') return [];
  const out = await mod.benchSqs(endpoint, { quick });
  if (Array.isArray(out)) return out as BenchMetric[];
  const r = out as Partial<BenchResult> | undefined;
  notes.push(...(r?.notes ?? []));
  return r?.metrics ?? [];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function startOurs(): Promise<Target> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [join(ROOT, 'bin', 'furrow.mjs'), 'emulator', '--port', String(port)], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${endpoint}/_furrow/health`, child, 'furrow emulator');
  return { name: 'furrow', endpoint, child };
}

async function startKinesisLocal(): Promise<Target> {
  const [port, tlsPort] = [await freePort(), await freePort()];
  const durations = Object.fromEntries(
    [
      'CREATE_STREAM',
      'DELETE_STREAM',
      'REGISTER_STREAM_CONSUMER',
      'START_STREAM_ENCRYPTION',
      'STOP_STREAM_ENCRYPTION',
      'DEREGISTER_STREAM_CONSUMER',
      'MERGE_SHARDS',
      'SPLIT_SHARD',
      'UPDATE_SHARD_COUNT',
      'UPDATE_STREAM_MODE',
    ].map((k) => [`${k}_DURATION`, '0ms']),
  );
  const child = track(
    spawn(process.execPath, ['-r', join(import.meta.dirname, 'force-loopback.cjs'), require.resolve('kinesis-local/main.js')], {
      cwd: ROOT,
      stdio: 'ignore',
      env: {
        ...process.env,
        KINESIS_MOCK_PLAIN_PORT: String(port),
        KINESIS_MOCK_TLS_PORT: String(tlsPort),
        KINESIS_MOCK_CERT_PATH: require.resolve('kinesis-local/server.json'),
        LOG_LEVEL: 'WARN',
        ...durations,
      },
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${endpoint}/`, child, 'kinesis-local');
  return { name: 'kinesis-local', endpoint, child };
}

/** Poll until the URL answers at all (kinesis-local answers GET / with 404). */
async function waitUntilUp(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it answered`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not answer ${url} within 30 s`);
}

/** SIGTERM, then SIGKILL after 3 s (kinesis-local does not always honour SIGTERM). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export type { KinesisClient };
