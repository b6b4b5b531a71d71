import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { harness, type Harness, type TestCollector } from '../pipeline/collector/testkit';
import { isLoopback, parseLoadArgs, runLoad } from './run';

const ROOT = join(import.meta.dirname, '..');

describe('load runner: targets', () => {
  it('accepts loopback targets and refuses others without --allow-remote', () => {
    for (const u of ['http://127.0.0.1:9090', 'http://localhost:1', 'http://[::1]:9090', 'http://127.1.2.3']) expect(isLoopback(u), u).toBe(true);
    for (const u of ['http://10.0.0.1', 'http://collector.example.com', 'http://0.0.0.0:9090', 'http://128.0.0.1']) expect(isLoopback(u), u).toBe(false);
    expect(() => parseLoadArgs(['--target', 'http://collector.example.com'])).toThrow(/refusing .*non-loopback.*--allow-remote/);
    expect(() => parseLoadArgs(['--target', 'http://10.1.2.3:8080', '--rate', '5'])).toThrow(/--allow-remote/);
    const ok = parseLoadArgs(['--target', 'http://collector.example.com', '--allow-remote', '--rate', '5', '--duration', '2m']);
    expect(ok.help).toBe(false);
    if (!ok.help) expect([ok.options.target, ok.options.rate, ok.options.durationSeconds]).toEqual(['http://collector.example.com', 5, 120]);
    expect(() => parseLoadArgs(['--rate', 'fast'])).toThrow(/--rate/);
    expect(() => parseLoadArgs(['--duration', 'soon'])).toThrow(/duration/);
  });

  it('the CLI exits non-zero and sends nothing for a remote target, and prints --help', async () => {
    const run = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'load', 'run.ts'), ...args], { cwd: ROOT, timeout: 25_000 }, (err, stdout, stderr) =>
          resolve({ status: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout, stderr }),
        ),
      );
    const [refused, help] = await Promise.all([run(['--target', 'http://192.0.2.1:9090', '--duration', '1s']), run(['--help'])]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/refusing to send load to non-loopback target 192\.0\.2\.1:9090/);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--allow-remote/);
  });
});

describe('load runner: a short run against an in-process collector', () => {
  let h: Harness;
  let c: TestCollector;
  beforeAll(async () => {
    h = await harness();
    c = await h.start({ enableDefaultRedirect: true });
  });
  afterAll(async () => h?.stop());

  it('sends the scheduled requests at the rate and every one is answered and recorded', async () => {
    const lines: string[] = [];
    const r = await runLoad({ target: c.url, rate: 40, durationSeconds: 1.5, verify: true, progress: (l) => lines.push(l), seed: 3 });
    // 1.5 s at 40/s with a 1 s ramp from 4/s: 22 in the ramp + 20 on the plateau.
    expect(r.sent).toBe(42);
    const answered = Object.values(r.statuses).reduce((a, b) => a + b, 0);
    expect(answered).toBe(r.sent);
    expect(r.errors).toBe(0);
    expect(r.failed).toBe(0);
    expect(Object.values(r.byKind).reduce((a, b) => a + b, 0)).toBe(r.sent);
    // No Micro API on a bare collector: the end-to-end check says so instead of passing silently.
    expect(r.downstream).toEqual({ skipped: 'no Micro API at the target (/micro/all)' });
    // Every accepted request is one raw record (a tp2 batch is one CollectorPayload).
    const records = await c.readRaw();
    expect(records.length).toBe(r.statuses['200']! + (r.statuses['302'] ?? 0));
    expect(r.statuses['200']! + (r.statuses['302'] ?? 0)).toBe(r.sent);
    expect(r.expected.events).toBeGreaterThanOrEqual(r.sent);
    expect(lines.some((l) => /sent 42 requests/.test(l))).toBe(true);
  });
});
