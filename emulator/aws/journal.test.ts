import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from './journal';

describe('Journal', () => {
  it('replays every record in order across read chunks, skipping a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-journal-'));
    const j = new Journal<{ i: number; pad: string }>(dir, 'svc');
    // ~6 MB: more than one 4 MiB read chunk, so lines straddle chunk boundaries.
    const pad = 'x'.repeat(1_000);
    for (let i = 0; i < 6_000; i += 100) j.appendMany(Array.from({ length: 100 }, (_, k) => ({ i: i + k, pad })));
    appendFileSync(join(dir, 'svc.jsonl'), '{"i": 6000, "pa');
    const got = j.read();
    expect(got).toHaveLength(6_000);
    expect(got.every((r, idx) => r.i === idx && r.pad === pad)).toBe(true);
    j.close();
  });

  it('compacts to a snapshot that replays the same records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-journal-'));
    const j = new Journal<number>(dir, 'svc');
    for (let i = 0; i < 10; i++) j.append(i);
    j.compact([7, 8, 9]);
    j.append(10);
    expect(new Journal<number>(dir, 'svc').read()).toEqual([7, 8, 9, 10]);
    j.close();
  });
});
