/**
 * Histogram of per-sample mean NLL, kept vs dropped by the audit. Bins as the reference's
 * (src/audit.py, save_histogram): `num_bins` equal bins over the shared range [p1, p99] of all
 * values (numpy percentile, linear interpolation); values outside the range are not counted.
 */
import { renderSvg } from '../report/plots';

export interface HistogramSeries {
  counts: number[];
  n: number;
  mean: number;
  median: number;
}

export interface NllHistogram {
  binEdges: number[];
  range: { lo: number; hi: number };
  kept: HistogramSeries;
  dropped: HistogramSeries;
}

/** numpy.percentile(values, q) with the default linear interpolation; `sorted` ascending. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (q / 100) * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! + f * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

function series(values: readonly number[], lo: number, hi: number, bins: number): HistogramSeries {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (v < lo || v > hi) continue;
    counts[width > 0 ? Math.min(bins - 1, Math.floor((v - lo) / width)) : 0]++;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return {
    counts,
    n: values.length,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
    median: percentile(sorted, 50),
  };
}

export function nllHistogram(kept: readonly number[], dropped: readonly number[], bins = 50): NllHistogram {
  const all = [...kept, ...dropped].sort((a, b) => a - b);
  const lo = percentile(all, 1);
  const hi = percentile(all, 99);
  const binEdges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  return { binEdges, range: { lo, hi }, kept: series(kept, lo, hi, bins), dropped: series(dropped, lo, hi, bins) };
}

/** Two rows (kept, dropped), each with its own count axis, since dropped samples are usually few. */
export function nllHistogramSvg(h: NllHistogram, title: string): Promise<string> {
  const values = (['kept', 'dropped'] as const).flatMap((set) =>
    h[set].counts.map((count, i) => ({ set: `${set} (n = ${h[set].n})`, lo: h.binEdges[i]!, hi: h.binEdges[i + 1]!, count })),
  );
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'sans-serif' },
    title,
    data: { values },
    facet: { row: { field: 'set', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 480,
      height: 140,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'lo', type: 'quantitative', title: 'mean NLL per token (nats)', scale: { zero: false } },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', title: 'samples' },
        color: { field: 'set', type: 'nominal', legend: null, scale: { range: ['steelblue', 'crimson'] } },
      },
    },
  });
}
