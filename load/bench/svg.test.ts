import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { kindOf, renderSvg } from './svg';
import type { BenchResult } from './types';

const results: BenchResult[] = [
  {
    stage: 'collector',
    metrics: [
      { name: 'tp2 POST req/s', value: 5000, unit: 'req/s', baseline: { name: 'bare <node:http> & co', value: 10000 }, ratio: 0.5 },
      { name: 'p99 latency', value: 20, unit: 'ms', baseline: { name: 'bare', value: 2 }, ratio: 10 },
      { name: 'peak RSS', value: 100, unit: 'MiB' },
    ],
  },
  { stage: 'emulate', metrics: [{ name: 'start time', value: 9000, unit: 'ms', baseline: { name: 'bare node', value: 60 }, ratio: 150 }] },
];

describe('bench SVG chart', () => {
  it('is well-formed SVG with one bar per metric, labels escaped', () => {
    const svg = renderSvg(results, 'Furrow <bench> 2026');
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: { rect: { '@_class'?: string; '@_data-metric'?: string; '@_width': string; '@_x': string }[] } };
    expect(doc.svg).toBeDefined();
    const bars = doc.svg.rect.filter((r) => r['@_class'] === 'bar');
    expect(bars.map((b) => b['@_data-metric'])).toEqual(['tp2 POST req/s', 'p99 latency', 'peak RSS', 'start time']);
    // Log scale around the axis: 0.5x goes left, 10x and 150x go right and 150x is longer; no ratio, no length.
    const [half, ten, none, many] = bars.map((b) => ({ x: Number(b['@_x']), w: Number(b['@_width']) }));
    expect(half!.x + half!.w).toBeCloseTo(ten!.x, 0);
    expect(many!.w).toBeGreaterThan(ten!.w);
    expect(ten!.w).toBeGreaterThan(half!.w);
    expect(none!.w).toBe(0);
    expect(svg).toContain('bare &lt;node:http&gt; &amp; co');
    expect(svg).toContain('= 0.50x');
  });

  it('an empty run is still valid SVG with no bars', () => {
    const svg = renderSvg([], 'empty');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).not.toContain('class="bar"');
  });

  it('classifies throughput and latency', () => {
    expect(kindOf('req/s', 'x')).toBe('throughput');
    expect(kindOf('ms', 'p95')).toBe('latency');
    expect(kindOf('MiB', 'rss')).toBe('other');
  });
});
