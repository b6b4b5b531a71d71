/**
 * What every stage benchmark returns. Each figure is paired with a baseline measured in the same run,
 * because absolute numbers on shared machines drift; the ratio is what we compare across runs.
 */
export interface BenchMetric {
  /** e.g. `kinesis PutRecords records/s`. */
  name: string;
  value: number;
  unit: string;
  /** The same figure for the baseline, measured in the same run (bare node:http, kinesis-local, floor, ...). */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or the inverse for latencies; say which in `name`). */
  ratio?: number;
  /** The goal from the issue, in words, e.g. `>= 20,000 records/s and >= 20x kinesis-local`. */
  goal?: string;
  /** Whether the goal was met in this run. */
  pass?: boolean;
}

export interface BenchResult {
  stage: string;
  metrics: BenchMetric[];
  /** Free-form notes: machine, sizes, anything a reader needs to judge the numbers. */
  notes?: string[];
}

export type Bench = (opts: { quick?: boolean }) => Promise<BenchResult>;
