import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient } from '../streams/aws-clients';
import { createStreams, readAll } from '../streams/kinesis-producer.testkit';
import { decodeCollectorPayload } from '../core/collector-payload';
import { send } from './http.testkit';

const ROOT = join(import.meta.dirname, '..', '..');
const children = new Set<ChildProcess>();

function furrow(args: string[], cwd = ROOT, detached = false): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'furrow.mjs'), ...args], {
    cwd,
    detached,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => (children.delete(child), r(code))));
  return { child, out: () => out, exited };
}

/** A pipeline config for a collector on the test emulator, writing `stream`; buffered for 10 minutes unless SIGTERM flushes. */
function writeConfig(dir: string, endpoint: string, stream: string, collector: Record<string, unknown>): string {
  const file = join(dir, `pipeline-${stream}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      aws: { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
      streams: { raw: stream },
      collector: { port: 0, ...collector, sink: { ...(collector.sink as object), buffer: { timeLimitMs: 600_000, recordLimit: 500, byteLimit: 3_145_728 } } },
    }),
  );
  return file;
}

async function waitForPort(out: () => string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of out().split('\n'))
      if (line.startsWith('{')) {
        try {
          const j = JSON.parse(line) as { port?: number; msg?: string };
          if (j.port && j.msg?.startsWith('collector listening')) return j.port;
        } catch {
          /* partial line */
        }
      }
    if (Date.now() > deadline) throw new Error(`collector did not start:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('furrow collector (child process)', () => {
  let emu: RunningEmulator;
  let client: KinesisClient;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    await createStreams(client, ['raw', 'bad-1']);
    dir = mkdtempSync(join(tmpdir(), 'furrow-collector-'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    client?.destroy();
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--help prints usage; a missing --config fails with a clear message', async () => {
    const help = furrow(['collector', '--help']);
    const bad = furrow(['collector']);
    expect(await help.exited).toBe(0);
    expect(help.out()).toContain('Usage: furrow collector --config FILE');
    expect(await bad.exited).toBe(1);
    expect(bad.out()).toContain('--config FILE is required');
  });

  // The thread placement runs from a directory outside the project: its worker must still find its loader.
  it.each([
    { thread: false, cwd: 'the project', stream: 'raw-direct' },
    { thread: true, cwd: 'a foreign directory', stream: 'raw-threaded' },
  ])('SIGTERM flushes the buffered records to the raw stream before exiting (sink.thread $thread, started from $cwd)', async ({ thread, stream }) => {
    await createStreams(client, [stream]);
    const file = writeConfig(dir, emu.endpoint, stream, { sink: { thread } });
    const c = furrow(['collector', '--config', file], thread ? dir : ROOT);
    const port = await waitForPort(c.out);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 5; i++) expect((await send(url, { path: `/i?e=pv&n=${i}` })).status).toBe(200);
    expect((await send(url, { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2', body: '{"n":"post"}' })).status).toBe(200);
    // buffered (10-minute time limit): nothing on the stream yet
    expect(await readAll(client, stream)).toEqual([]);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    const recs = (await readAll(client, stream)).map((r) => decodeCollectorPayload(r.data));
    expect(recs.map((p) => p.querystring)).toEqual(['e=pv&n=0', 'e=pv&n=1', 'e=pv&n=2', 'e=pv&n=3', 'e=pv&n=4', '']);
    expect(recs[5]!.body).toBe('{"n":"post"}');
    expect(c.out()).toContain('shutdown: buffers flushed');
  });

  // systemd and a terminal's Ctrl-C signal the whole process group; Kubernetes signals only the primary.
  it.each([
    { signalled: 'the primary', group: false },
    { signalled: 'the whole process group', group: true },
  ])('workers: 2 serves from two processes on one port, sums /metrics, and SIGTERM to $signalled flushes both before exit', async ({ group }) => {
    const stream = group ? 'raw-cluster-group' : 'raw-cluster';
    await createStreams(client, [stream]);
    const file = writeConfig(dir, emu.endpoint, stream, { workers: 2 });
    const c = furrow(['collector', '--config', file], ROOT, group);
    await waitFor(() => /collector listening on \S+ \(2 workers\)/.test(c.out()), c.out);
    const port = await waitForPort(c.out);
    const url = `http://127.0.0.1:${port}`;
    // a new connection per request: the primary deals connections to the workers in turn
    for (let i = 0; i < 10; i++) expect((await send(url, { path: `/i?e=pv&n=${i}`, headers: { connection: 'close' } })).status).toBe(200);
    const metrics = (await send(url, { path: '/metrics', headers: { connection: 'close' } })).body.toString();
    expect(metrics).toMatch(/furrow_collector_http_requests_total\{route="pixel",status="200"\} 10\b/);
    expect(metrics).toMatch(/furrow_collector_sink_healthy\{stream="[^"]+"\} 1\b/); // min over the workers, not a sum
    const pids = new Set([...c.out().matchAll(/"pid":(\d+)[^\n]*"msg":"collector listening on http/g)].map((m) => m[1]));
    expect(pids.size).toBe(3); // two workers and the primary's summary line
    expect(await readAll(client, stream)).toEqual([]); // buffered (10-minute time limit)
    if (group) process.kill(-c.child.pid!, 'SIGTERM');
    else c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    const recs = (await readAll(client, stream)).map((r) => decodeCollectorPayload(r.data));
    expect(recs.map((p) => p.querystring).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e=pv&n=${i}`).sort());
    const flushed = [...c.out().matchAll(/"good":(\d+)[^\n]*shutdown: buffers flushed/g)].map((m) => Number(m[1]));
    expect(flushed).toHaveLength(2);
    expect(flushed.every((n) => n > 0)).toBe(true); // both workers served and flushed
  });
  it('workers: 2 replaces a worker that dies, and keeps serving on the same port', async () => {
    const file = join(dir, 'pipeline-cluster-restart.json');
    writeFileSync(
      file,
      JSON.stringify({
        aws: { region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
        collector: { port: 0, workers: 2 },
      }),
    );
    const c = furrow(['collector', '--config', file]);
    await waitFor(() => /\(2 workers\)/.test(c.out()), c.out);
    const port = await waitForPort(c.out);
    const workerPids = () => [...c.out().matchAll(/"pid":(\d+)[^\n]*"goodStream"/g)].map((m) => Number(m[1]));
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => workerPids().length === 3, c.out, 60_000); // a new worker boots (tsx, the SDK): slow on a loaded CI box
    expect(c.out()).toContain('collector worker died');
    for (let i = 0; i < 6; i++) expect((await send(`http://127.0.0.1:${port}`, { path: '/health', headers: { connection: 'close' } })).status).toBe(200);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });
});

async function waitFor(cond: () => boolean, out: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out; output:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
