/**
 * `npm run bench [-- <stage> ...] [--quick]`: runs the stage benchmarks, prints every figure with its
 * same-run baseline and ratio, and writes load/results/<date>.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Bench, BenchResult } from './bench/types';
import { renderSvg } from './bench/svg';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const STAGES: Record<string, () => Promise<Bench>> = {
  emulator: async () => (await import('./bench/emulator')).bench,
  collector: async () => (await import('./bench/collector')).bench,
  enrich: async () => (await import('./bench/enrich')).bench,
  load: async () => (await import('./bench/load')).bench,
  iglu: async () => (await import('./bench/iglu')).bench,
  emulate: async () => (await import('./bench/emulate')).bench,
  pipeline: async () => (await import('./bench/pipeline')).bench,
};
/** Stages that only run when named (long, load the whole machine). */
const OPT_IN = new Set(['pipeline']);

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

export function renderMarkdown(results: BenchResult[], when: string): string {
  const lines = [`# Furrow benchmarks, ${when}`, '', '| stage | metric | value | baseline | ratio | goal | met |', '|---|---|---|---|---|---|---|'];
  for (const r of results)
    for (const m of r.metrics)
      lines.push(
        `| ${r.stage} | ${m.name} | ${fmt(m.value)} ${m.unit} | ${m.baseline ? `${m.baseline.name}: ${fmt(m.baseline.value)}` : ''} | ${
          m.ratio !== undefined ? `${m.ratio.toFixed(2)}x` : ''
        } | ${m.goal ?? ''} | ${m.pass === undefined ? '' : m.pass ? 'yes' : 'NO'} |`,
      );
  for (const r of results) for (const n of r.notes ?? []) lines.push('', `- ${r.stage}: ${n}`);
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: npm run bench [-- <stage>...] [--quick]\nStages: ${Object.keys(STAGES).join(', ')} (default: all but ${[...OPT_IN].join(', ')})\n`);
    return;
  }
  const quick = argv.includes('--quick');
  const wanted = argv.filter((a) => !a.startsWith('--'));
  for (const w of wanted) if (!STAGES[w]) throw new Error(`unknown stage '${w}'; stages: ${Object.keys(STAGES).join(', ')}`);
  // The apps the stages start run as deployed: from bin/build.mjs's bundle (built now if the sources changed),
  // unless FURROW_FROM_SOURCE=1 asks for the TypeScript through tsx.
  let runtime = 'TypeScript sources through tsx (FURROW_FROM_SOURCE=1)';
  if (process.env.FURROW_FROM_SOURCE !== '1') {
    const { build } = await import('../bin/build.mjs');
    runtime = `bundle ${relative(join(import.meta.dirname, '..'), await build())}`;
  }
  process.stdout.write(`apps run from: ${runtime}\n`);
  const results: BenchResult[] = [];
  for (const name of wanted.length ? wanted : Object.keys(STAGES).filter((s) => !OPT_IN.has(s))) {
    process.stdout.write(`\n== ${name} ==\n`);
    const bench = await STAGES[name]!();
    const r = await bench({ quick });
    (r.notes ??= []).push(`apps run from: ${runtime}`);
    for (const m of r.metrics)
      process.stdout.write(
        `  ${m.name}: ${fmt(m.value)} ${m.unit}` +
          (m.baseline ? `  (baseline ${m.baseline.name}: ${fmt(m.baseline.value)}, ratio ${m.ratio?.toFixed(2)}x)` : '') +
          (m.goal ? `  goal ${m.goal}: ${m.pass ? 'met' : 'NOT met'}` : '') +
          '\n',
      );
    results.push(r);
  }
  const when = new Date().toISOString();
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = when.slice(0, 19).replace(/:/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ when, node: process.version, results }, null, 2));
  writeFileSync(join(dir, `${stamp}.md`), renderMarkdown(results, when) + `\n![ratios to same-run baselines](${stamp}.svg)\n`);
  writeFileSync(join(dir, `${stamp}.svg`), renderSvg(results, `Furrow benchmarks ${when} (node ${process.version})`));
  process.stdout.write(`\nwrote load/results/${stamp}.json, .md and .svg\n`);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
