/**
 * `npm run conformance [-- --report] [--seed N] [--size small|full] [filter...]`: the conformance suite at
 * full size (or small), with a fresh seed unless one is given. With --report it writes
 * conformance/report.md and conformance/report.json from what each suite recorded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResults, renderReport, type ConformanceReport } from './report/render';

const HELP = `Usage: npm run conformance -- [--report] [--seed N] [--size small|full] [filter...]

Runs Furrow's conformance suite (conformance/**/*.test.ts) through vitest.
  --report        write conformance/report.md and conformance/report.json
  --seed N        fast-check seed for every property (default: a fresh random seed, printed)
  --size S        'full' (default): large generated runs, every fault and fuzz case; 'small': what npm test runs
  filter...       vitest file filters, e.g. routing faults
`;

interface Args { report: boolean; seed: number; size: 'small' | 'full'; filters: string[] }

export function parseArgs(argv: string[]): Args | 'help' {
  const args: Args = { report: false, seed: Math.floor(Math.random() * 2 ** 31), size: 'full', filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--report') args.report = true;
    else if (a === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v)) throw new Error(`--seed needs an integer, got '${argv[i]}'`);
      args.seed = v;
    } else if (a === '--size') {
      const v = argv[++i];
      if (v !== 'small' && v !== 'full') throw new Error(`--size must be small or full, got '${v}'`);
      args.size = v;
    } else if (a.startsWith('--')) throw new Error(`unknown option '${a}'\n\n${HELP}`);
    else args.filters.push(a);
  }
  return args;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'furrow-conformance-'));
  const resultsFile = join(dir, 'results.jsonl');
  process.stdout.write(`conformance: profile ${args.size}, seed ${args.seed}\n`);
  const started = Date.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.conformance.config.ts', ...args.filters],
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          FURROW_CONFORMANCE_SIZE: args.size,
          FURROW_CONFORMANCE_SEED: String(args.seed),
          FURROW_CONFORMANCE_RESULTS: resultsFile,
        },
      },
    );
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  const report: ConformanceReport = {
    when: new Date().toISOString(),
    node: process.version,
    size: args.size,
    seed: args.seed,
    exitCode,
    durationSeconds: (Date.now() - started) / 1000,
    invariants: existsSync(resultsFile) ? parseResults(readFileSync(resultsFile, 'utf8')) : [],
  };
  rmSync(dir, { recursive: true, force: true });
  const failed = report.invariants.filter((i) => !i.passed).length;
  process.stdout.write(`\nconformance: ${report.invariants.length - failed}/${report.invariants.length} invariants held; vitest exit ${exitCode}; seed ${args.seed}\n`);
  if (args.report) {
    writeFileSync(join(import.meta.dirname, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(import.meta.dirname, 'report.md'), renderReport(report));
    process.stdout.write('wrote conformance/report.md and conformance/report.json\n');
  }
  process.exitCode = exitCode || (failed ? 1 : 0);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`conformance: ${(err as Error).message}\n`);
    process.exitCode = 2;
  });
}
