import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Supervisor } from './supervisor';

const furrowBin = resolve(import.meta.dirname, '../../bin/furrow.mjs');

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Supervisor', () => {
  let sup: Supervisor | undefined;
  afterEach(async () => {
    await sup?.stop(2_000);
  });

  it('restarts a stage killed with SIGKILL and stops every stage with no stray process', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'furrow-sup-'));
    const notices: string[] = [];
    sup = new Supervisor({ furrowBin, logDir, notify: (l) => notices.push(l) });
    const port = await freePort();
    await sup.start({ name: 'aws', args: ['emulator', '--port', String(port)], healthUrl: `http://127.0.0.1:${port}/_furrow/health` });
    const first = sup.pids().aws!;
    expect(alive(first)).toBe(true);
    process.kill(first, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const st = sup.status()[0]!;
      if (st.state === 'ready' && st.pid && st.pid !== first) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const st = sup.status()[0]!;
    expect(st.state).toBe('ready');
    expect(st.restarts).toBe(1);
    expect(st.lastExit?.signal).toBe('SIGKILL');
    expect(notices.join('\n')).toMatch(/aws exited \(SIGKILL\); restarting/);
    const second = st.pid!;
    expect((await fetch(`http://127.0.0.1:${port}/_furrow/health`)).status).toBe(200);
    await sup.stop(5_000);
    expect(alive(second)).toBe(false);
    expect(sup.status()[0]!.state).toBe('stopped');
    expect(readFileSync(join(logDir, 'aws.log'), 'utf8')).toMatch(/furrow emulator listening/);
  });

  it('fails clearly when a stage never becomes healthy', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'furrow-sup-'));
    sup = new Supervisor({ furrowBin, logDir });
    const port = await freePort();
    // The health URL points at a port nothing listens on.
    await expect(
      sup.start({ name: 'aws', args: ['emulator', '--port', '0'], healthUrl: `http://127.0.0.1:${port}/_furrow/health` }, 1_500),
    ).rejects.toThrow(/aws did not become healthy within 1500 ms \(see .*aws\.log\)/);
  });

  it('waits for every health URL of a stage that has several (one app hosting several loaders)', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'furrow-sup-'));
    sup = new Supervisor({ furrowBin, logDir });
    const [port, silent] = [await freePort(), await freePort()];
    const health = `http://127.0.0.1:${port}/_furrow/health`;
    await sup.start({ name: 'answers', args: ['emulator', '--port', String(port)], healthUrl: health }, 30_000);
    // Its first URL answers (the stage above), its second never does: not ready.
    await expect(sup.start({ name: 'half', args: ['emulator', '--port', '0'], healthUrl: [health, `http://127.0.0.1:${silent}/health`] }, 2_000)).rejects.toThrow(
      /half did not become healthy within 2000 ms/,
    );
    // Every URL answers: ready.
    await sup.start({ name: 'both', args: ['emulator', '--port', '0'], healthUrl: [health, health] }, 30_000);
    expect(sup.status().map((st) => [st.name, st.state])).toEqual([
      ['answers', 'ready'],
      ['half', 'failed'],
      ['both', 'ready'],
    ]);
  });
});
