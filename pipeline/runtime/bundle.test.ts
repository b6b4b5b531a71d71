/**
 * bin/build.mjs and bin/furrow.mjs on a copy of the project in a folder of its own: the bundle runs the apps
 * from outside their source folders (files found from the project root, the producer thread's own entry),
 * and an edited source is never served by a stale bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { emulatorSettings, kinesisClient } from '../streams/aws-clients';
import { createStreams, readAll } from '../streams/kinesis-producer.testkit';
import { decodeCollectorPayload } from '../core/collector-payload';
import { send } from '../collector/http.testkit';

const ROOT = join(import.meta.dirname, '..', '..');
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', FURROW_FROM_SOURCE: '', FURROW_CODE: '' };

describe('the production bundle (bin/build.mjs) in a copy of the project', () => {
  let copy: string;
  let emu: RunningEmulator;
  let client: KinesisClient;
  const node = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, args, { cwd: tmpdir(), env: { ...ENV, ...env }, encoding: 'utf8', timeout: 60_000 });

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'furrow-bundle-'));
    for (const part of ['bin', 'pipeline', 'emulator', 'package.json', 'tsconfig.json'])
      cpSync(join(ROOT, part), join(copy, part), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    emu = await startEmulator({ port: 0 });
    client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
    await createStreams(client, ['raw-bundle', 'bad-1']);
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('builds once per source fingerprint; furrow runs the bundle while it matches the sources, the sources after an edit', () => {
    expect(node([join(copy, 'bin', 'build.mjs'), '--check']).status).toBe(1);
    const built = node([join(copy, 'bin', 'build.mjs')]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/^furrow build: built build\/[0-9a-f]{16} in \d+ ms$/m);
    expect(node([join(copy, 'bin', 'build.mjs')]).stdout).toMatch(/up to date/);
    expect(node([join(copy, 'bin', 'furrow.mjs'), '--version']).stdout).toMatch(/^furrow \d+\.\d+\.\d+ \(bundle build\/[0-9a-f]{16}\)$/m);
    expect(node([join(copy, 'bin', 'furrow.mjs'), '--version'], { FURROW_FROM_SOURCE: '1' }).stdout).toMatch(/\(TypeScript sources\)/);

    // An edited source: the bundle no longer matches, so the sources run until the next build.
    appendFileSync(join(copy, 'pipeline', 'cli.ts'), '\n// edited\n');
    expect(node([join(copy, 'bin', 'build.mjs'), '--check']).status).toBe(1);
    expect(node([join(copy, 'bin', 'furrow.mjs'), '--version']).stdout).toMatch(/\(TypeScript sources\)/);
    expect(node([join(copy, 'bin', 'build.mjs')]).status).toBe(0);
    expect(node([join(copy, 'bin', 'furrow.mjs'), '--version']).stdout).toMatch(/\(bundle build\//);
    expect(readdirSync(join(copy, 'build')).filter((d) => !d.startsWith('.'))).toHaveLength(2);
  }, 90_000);

  it('a bundled collector with its producer thread (sink.thread) records a hit and flushes it on SIGTERM', async () => {
    expect(node([join(copy, 'bin', 'build.mjs')]).status).toBe(0);
    const config = join(copy, 'pipeline.json');
    writeFileSync(
      config,
      JSON.stringify({
        aws: { region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
        streams: { raw: 'raw-bundle' },
        collector: { port: 0, sink: { thread: true, buffer: { timeLimitMs: 600_000, recordLimit: 500, byteLimit: 3_145_728 } } },
      }),
    );
    const child = spawn(process.execPath, [join(copy, 'bin', 'furrow.mjs'), 'collector', '--config', config], { cwd: tmpdir(), env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 30_000;
      let port = 0;
      while (!port) {
        const m = /"msg":"collector listening[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"msg":"collector listening/.exec(out);
        if (m) port = Number(m[1] ?? m[2]);
        else if (Date.now() > deadline) throw new Error(`collector did not start:\n${out}`);
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toMatch(/"runtime":"bundle"/);
      expect((await send(`http://127.0.0.1:${port}`, { path: '/i?e=pv&aid=bundled' })).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const records = await readAll(client, 'raw-bundle');
      expect(records).toHaveLength(1);
      expect(decodeCollectorPayload(records[0]!.data).querystring).toBe('e=pv&aid=bundled');
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
