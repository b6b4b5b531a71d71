/** Turns recorded invariants into conformance/report.md and report.json. Pure: no I/O. */
import type { InvariantRecord } from './recorder';

export interface ConformanceReport {
  when: string;
  node: string;
  size: string;
  seed: number;
  /** vitest's exit status for the run: 0 when every test passed. */
  exitCode: number;
  durationSeconds: number;
  invariants: InvariantRecord[];
}

export function parseResults(jsonLines: string): InvariantRecord[] {
  const out: InvariantRecord[] = [];
  for (const line of jsonLines.split('\n')) {
    if (!line.trim()) continue;
    out.push(JSON.parse(line) as InvariantRecord);
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderReport(report: ConformanceReport): string {
  const passed = report.invariants.filter((i) => i.passed).length;
  const lines = [
    `# Furrow conformance report`,
    '',
    `- when: ${report.when}; node ${report.node}; profile **${report.size}**; seed **${report.seed}** (replay: \`npm run conformance -- --report --seed ${report.seed}\`)`,
    `- vitest: ${report.exitCode === 0 ? 'all tests passed' : `FAILED (exit ${report.exitCode})`} in ${report.durationSeconds.toFixed(0)} s`,
    `- invariants: ${passed} of ${report.invariants.length} held`,
    '',
  ];
  const suites = [...new Set(report.invariants.map((i) => i.suite))];
  for (const suite of suites) {
    lines.push(`## ${suite}`, '', '| invariant | cases | result | counts |', '|---|---|---|---|');
    for (const i of report.invariants.filter((x) => x.suite === suite)) {
      const counts = i.counts ? Object.entries(i.counts).map(([k, v]) => `${k}: ${v}`).join(', ') : '';
      lines.push(`| ${cell(i.invariant)} | ${i.cases} | ${i.passed ? 'pass' : `**FAIL**: ${cell(i.detail ?? '')}`} | ${cell(counts)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
