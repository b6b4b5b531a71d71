/**
 * A dependency-free SVG bar chart of a benchmark run: one horizontal bar per metric, its length the
 * ratio to the same-run baseline on a log scale around 1x (right of the axis: more than the baseline,
 * left: less). Throughput figures are blue, latencies orange, the rest grey; every row is labelled with
 * the value, the baseline and the ratio, so the chart reads without the table.
 */
import type { BenchResult } from './types';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

export function kindOf(unit: string, name: string): 'throughput' | 'latency' | 'other' {
  if (/\/s\b/.test(unit) || /\/s\b/.test(name)) return 'throughput';
  if (/^(ms|s|µs|us)$/.test(unit) || /latency|start/i.test(name)) return 'latency';
  return 'other';
}

const COLOURS = { throughput: '#3b6fb6', latency: '#e08a2c', other: '#8a8a8a' };

export function renderSvg(results: BenchResult[], title: string): string {
  const rows = results.flatMap((r) => r.metrics.map((m) => ({ stage: r.stage, m })));
  const width = 1100;
  const labelW = 560;
  const rowH = 26;
  const top = 56;
  const plotX = labelW + 20;
  const plotW = width - plotX - 30;
  const axisX = plotX + plotW / 2;
  const decades = 3; // the plot spans 10^-3 .. 10^3 around 1x
  const height = top + rows.length * rowH + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="42" fill="#555">bar = value / same-run baseline, log scale (1x at the axis; for latencies a bar right of the axis is slower than the baseline)</text>`,
  ];
  for (const d of [-3, -2, -1, 0, 1, 2, 3]) {
    const x = axisX + (d / decades) * (plotW / 2);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 6}" x2="${x.toFixed(1)}" y2="${top + rows.length * rowH}" stroke="${d === 0 ? '#000' : '#ddd'}" stroke-width="${d === 0 ? 1.5 : 1}"/>`,
      `<text x="${x.toFixed(1)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${d >= 0 ? 10 ** d : `1/${10 ** -d}`}x</text>`,
    );
  }
  rows.forEach(({ stage, m }, i) => {
    const y = top + i * rowH;
    const kind = kindOf(m.unit, m.name);
    const ratio = m.ratio !== undefined && Number.isFinite(m.ratio) && m.ratio > 0 ? m.ratio : undefined;
    const logR = ratio !== undefined ? Math.max(-decades, Math.min(decades, Math.log10(ratio))) : 0;
    const len = (Math.abs(logR) / decades) * (plotW / 2);
    const x = logR >= 0 ? axisX : axisX - len;
    const label =
      `${stage} · ${m.name}: ${fmt(m.value)} ${m.unit}` +
      (m.baseline ? ` vs ${m.baseline.name} ${fmt(m.baseline.value)}` : ' (no same-run baseline)') +
      (ratio !== undefined ? ` = ${ratio.toFixed(2)}x` : '');
    out.push(
      `<text x="10" y="${y + 17}"${m.pass === false ? ' fill="#b00020"' : ''}>${esc(label.length > 95 ? label.slice(0, 94) + '…' : label)}</text>`,
      `<rect class="bar" data-stage="${esc(stage)}" data-metric="${esc(m.name)}" x="${x.toFixed(1)}" y="${y + 5}" width="${Math.max(len, ratio !== undefined ? 1 : 0).toFixed(1)}" height="${rowH - 10}" fill="${COLOURS[kind]}"><title>${esc(label)}</title></rect>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
