import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceProfile, FIXED_SEED } from './profile';
import { checkInvariant, recordInvariant } from './recorder';
import { parseResults, renderReport } from './render';
import { parseArgs } from '../run';

describe('conformance report plumbing', () => {
  it('the default profile is small with the fixed seed; env selects full and a seed; bad values are refused', () => {
    const d = conformanceProfile({});
    expect([d.size, d.seed, d.runs(5, 500)]).toEqual(['small', FIXED_SEED, 5]);
    const f = conformanceProfile({ FURROW_CONFORMANCE_SIZE: 'full', FURROW_CONFORMANCE_SEED: '42' });
    expect([f.size, f.seed, f.runs(5, 500)]).toEqual(['full', 42, 500]);
    expect(() => conformanceProfile({ FURROW_CONFORMANCE_SIZE: 'huge' })).toThrow(/small or full/);
    expect(() => conformanceProfile({ FURROW_CONFORMANCE_SEED: 'x' })).toThrow(/integer/);
  });

  it('records pass and fail (with counts filled in during the check) and renders them per suite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'furrow-report-'));
    const file = join(dir, 'r.jsonl');
    const before = process.env.FURROW_CONFORMANCE_RESULTS;
    process.env.FURROW_CONFORMANCE_RESULTS = file;
    try {
      const rec = { suite: 'faults', invariant: 'nothing acknowledged is lost', cases: 1, counts: {} as Record<string, number> };
      await checkInvariant(rec, () => {
        rec.counts.sent = 10;
      });
      await expect(checkInvariant({ suite: 'fuzz', invariant: 'no crash | no hang', cases: 3 }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      recordInvariant({ suite: 'fuzz', invariant: 'direct', cases: 2, passed: true });
    } finally {
      if (before === undefined) delete process.env.FURROW_CONFORMANCE_RESULTS;
      else process.env.FURROW_CONFORMANCE_RESULTS = before;
    }
    const records = parseResults(readFileSync(file, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    expect(records.map((r) => [r.suite, r.passed, r.counts?.sent])).toEqual([
      ['faults', true, 10],
      ['fuzz', false, undefined],
      ['fuzz', true, undefined],
    ]);
    const md = renderReport({ when: 'now', node: 'v20', size: 'small', seed: 7, exitCode: 1, durationSeconds: 3, invariants: records });
    expect(md).toContain('## faults');
    expect(md).toContain('| nothing acknowledged is lost | 1 | pass | sent: 10 |');
    expect(md).toContain('no crash \\| no hang | 3 | **FAIL**: boom');
    expect(md).toContain('2 of 3 held');
    expect(md).toContain('--seed 7');
    expect(md).toContain('FAILED (exit 1)');
  });

  it('the conformance command parses its flags and refuses unknown ones', () => {
    expect(parseArgs(['--report', '--seed', '9', '--size', 'small', 'routing'])).toEqual({ report: true, seed: 9, size: 'small', filters: ['routing'] });
    expect(parseArgs(['--help'])).toBe('help');
    expect(() => parseArgs(['--seed', 'abc'])).toThrow(/integer/);
    expect(() => parseArgs(['--size', 'big'])).toThrow(/small or full/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option/);
  });
});
