/**
 * Conformance suites record each invariant they checked (and fault-run counts) here. Under
 * `npm run conformance` the records are appended as JSON lines to FURROW_CONFORMANCE_RESULTS and turned
 * into conformance/report.md and report.json; under plain `npm test` recording is a no-op.
 */
import { appendFileSync } from 'node:fs';

export interface InvariantRecord {
  /** Suite name, e.g. 'failed-event routing', 'faults', 'fuzz', 'security'. */
  suite: string;
  /** The invariant in words, as the test states it. */
  invariant: string;
  /** Generated or attempted cases (fast-check runs, fuzz inputs, fault runs). */
  cases: number;
  passed: boolean;
  seed?: number;
  /** Counts worth reporting: events sent / loaded / bad / duplicates removed, inputs by outcome, ... */
  counts?: Record<string, number>;
  /** A short failure message or counterexample when passed is false. */
  detail?: string;
}

export function recordInvariant(record: InvariantRecord): void {
  const file = process.env.FURROW_CONFORMANCE_RESULTS;
  if (!file) return;
  appendFileSync(file, JSON.stringify({ ...record, at: new Date().toISOString() }) + '\n');
}

/**
 * Run a check and record it whatever the outcome: `passed` is whether `check` resolved. The error is
 * re-thrown so the test fails as usual. `record` is read after `check` settles, so a check may fill in
 * `record.counts` (or `cases`) as it learns them.
 */
export async function checkInvariant<T>(
  record: Omit<InvariantRecord, 'passed' | 'detail'>,
  check: () => Promise<T> | T,
): Promise<T> {
  try {
    const result = await check();
    recordInvariant({ ...record, passed: true });
    return result;
  } catch (err) {
    recordInvariant({ ...record, passed: false, detail: String((err as Error).message ?? err).slice(0, 2000) });
    throw err;
  }
}
