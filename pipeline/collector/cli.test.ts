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

function furrow(args: string[], cwd = ROOT): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'furrow.mjs'), ...args], {
    cwd,
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
    const file = join(dir, `pipeline-${stream}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        aws: { region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
        streams: { raw: stream },
        collector: { port: 0, sink: { thread, buffer: { timeLimitMs: 600_000, recordLimit: 500, byteLimit: 3_145_728 } } },
      }),
    );
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
});
