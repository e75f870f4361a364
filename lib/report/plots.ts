/**
 * The report's figures as vega-lite specs, rendered to SVG headlessly by vega (renderer 'none':
 * no canvas, no browser). vega and vega-lite are ES modules with top-level await, so they are
 * loaded with a real dynamic import (which TypeScript's CommonJS output would otherwise turn
 * into require()).
 */
import type { Analysis } from './analysis';
import { loadEsm } from '../io/esm';

type Spec = Record<string, unknown>;

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, opts: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

let libs: Promise<[VegaModule, VegaLiteModule]> | undefined;
function loadVega() {
  libs ??= Promise.all([loadEsm<VegaModule>('vega'), loadEsm<VegaLiteModule>('vega-lite')]);
  return libs;
}

export async function renderSvg(spec: Spec): Promise<string> {
  const [vega, vl] = await loadVega();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', config: { font: 'sans-serif' } };
const fmt = (v: number) => (v >= 0 ? '+' : '') + (v * 100).toFixed(1);

/** Relational utility matrix: rows students, columns sources, colour = gain, text = gain [CI] in points. */
export function utilitySpec(a: Analysis): Spec {
  const values = a.utility
    .filter((c) => c.gain)
    .map((c) => ({
      student: c.student,
      source: c.source,
      gain: c.gain!.estimate * 100,
      label: `${fmt(c.gain!.estimate)} [${fmt(c.gain!.lo)}, ${fmt(c.gain!.hi)}]`,
    }));
  const maxAbs = Math.max(1e-9, ...values.map((v) => Math.abs(v.gain)));
  return {
    ...base,
    title: `Relational utility: benchmark gain of each student trained on each source (points, ${Math.round(a.level * 100)}% CI)`,
    data: { values },
    // 120 px a cell holds its label; horizontal source names leave no empty band under the matrix
    width: { step: 120 },
    height: { step: 48 },
    encoding: {
      x: { field: 'source', type: 'nominal', title: 'source (generator)', axis: { labelAngle: 0 } },
      y: { field: 'student', type: 'nominal', title: 'student' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'gain', type: 'quantitative', title: 'gain (points)', scale: { scheme: 'redblue', domain: [-maxAbs, maxAbs] } },
        },
      },
      // white text on the dark ends of the scale, where black was unreadable
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: `abs(datum.gain) > ${0.6 * maxAbs}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** The temperature axis: ticks at the temperatures run, and padding so the error bars of the
 *  lowest and highest temperature are not cut in half by the plot's edge. */
function temperatureAxis(temps: number[]): Record<string, unknown> {
  const ticks = [...new Set(temps)].sort((x, y) => x - y);
  return {
    field: 'temperature',
    type: 'quantitative',
    title: 'sampling temperature',
    scale: { zero: false, nice: false, padding: 24 },
    axis: { values: ticks, format: '~g' },
  };
}

/** Gain against temperature, one line per source–student pair, with CI error bars. */
export function temperatureSpec(a: Analysis): Spec {
  const values = a.temperature
    .filter((t) => t.gain && Number.isFinite(t.temperature))
    .map((t) => ({
      pair: `${t.student} ← ${t.source}`,
      temperature: t.temperature,
      gain: t.gain!.estimate * 100,
      lo: t.gain!.lo * 100,
      hi: t.gain!.hi * 100,
    }));
  return {
    ...base,
    title: 'Gain against sampling temperature',
    data: { values },
    width: 420,
    height: 260,
    encoding: {
      x: temperatureAxis(values.map((v) => v.temperature)),
      color: { field: 'pair', type: 'nominal', title: 'student ← source' },
    },
    layer: [
      // padding: the largest upper bound ended at the plot's top edge, looking cut off
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'gain', type: 'quantitative', title: 'benchmark gain (points)', scale: { padding: 12 } } },
      },
      { mark: 'rule', encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}

/** Coverage and fidelity of each source's corpora against temperature (seed means), one line per source and measure. */
export function corpusMeasuresSpec(a: Analysis): Spec {
  const values = a.corpusMeasures.flatMap((c) =>
    ['coverage', 'fidelity']
      .filter((m) => typeof c.measures[m] === 'number')
      .map((m) => ({ source: c.source, measure: m, temperature: c.temperature, value: c.measures[m]! * 100 })),
  );
  return {
    ...base,
    title: 'Corpus coverage and fidelity against sampling temperature',
    data: { values },
    width: 420,
    height: 260,
    mark: { type: 'line', point: true },
    encoding: {
      x: temperatureAxis(values.map((v) => v.temperature)),
      // short enough to fit beside the plot: a longer title overhung it and padded the figure with blank space
      y: { field: 'value', type: 'quantitative', title: 'facts covered / statements true, %' },
      color: { field: 'source', type: 'nominal', title: 'source' },
      strokeDash: { field: 'measure', type: 'nominal', title: 'measure' },
      shape: { field: 'measure', type: 'nominal', title: 'measure' }, // a single temperature draws points only, no dashes
    },
  };
}

/** One proxy against the gain, with Spearman rho and its CI in the title. */
export function proxySpec(a: Analysis, proxy: string): Spec {
  const p = a.proxies.find((x) => x.proxy === proxy)!;
  const r = p.spearman
    ? `Spearman ρ = ${p.spearman.estimate.toFixed(2)} [${p.spearman.lo.toFixed(2)}, ${p.spearman.hi.toFixed(2)}], n = ${p.n}`
    : `n = ${p.n} (too few to correlate)`;
  return {
    ...base,
    title: { text: `${proxy} vs gain`, subtitle: r },
    data: { values: p.points.map((q) => ({ ...q, y: q.y * 100, pair: `${q.student} ← ${q.source}` })) },
    width: 320,
    height: 240,
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: proxy, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: 'benchmark gain (points)' },
      color: { field: 'pair', type: 'nominal', title: 'student ← source' },
    },
  };
}

/** Every proxy against the gain in one faceted figure, each panel headed by its Spearman rho and CI. */
export function proxiesSpec(a: Analysis): Spec {
  const header = (p: Analysis['proxies'][number]) =>
    // Two lines (split by the header's labelExpr), each narrower than a panel: one line was cut mid-number.
    `${p.proxy}\n${p.student} · ` +
    (p.spearman
      ? `ρ = ${p.spearman.estimate.toFixed(2)} [${p.spearman.lo.toFixed(2)}, ${p.spearman.hi.toFixed(2)}], n = ${p.n}`
      : `n = ${p.n} (too few to correlate)`);
  const values = a.proxies.flatMap((p) =>
    p.points.map((q) => ({ panel: header(p), x: q.x, y: q.y * 100, pair: `${q.student} ← ${q.source}` })),
  );
  return {
    ...base,
    title: `Intrinsic proxies against benchmark gain (Spearman ρ, ${Math.round(a.level * 100)}% CI)`,
    data: { values },
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: a.proxies.map(header),
      header: { labelFontSize: 11, labelLimit: 0, labelExpr: "split(datum.label, '\\n')" },
    },
    // Three columns and the legend on top fit the report's 1100 px page at full size (no sideways scroll, no shrunk text).
    columns: 3,
    // lay the panels out by their plots, not by the unsplit header text (which spread the columns apart)
    bounds: 'flush',
    spacing: { column: 30, row: 90 },
    config: { ...base.config, legend: { orient: 'top', columns: 4 } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 275,
      height: 170,
      mark: { type: 'point', filled: true, size: 50 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'proxy value', scale: { zero: false } },
        y: { field: 'y', type: 'quantitative', title: 'benchmark gain (points)' },
        color: { field: 'pair', type: 'nominal', title: 'student ← source' },
      },
    },
  };
}

/** Capability against extraction, before and after self-training, with arrows from before to after. */
export function capabilitySpec(a: Analysis): Spec {
  const values = a.capability.map((c) => ({ ...c, accuracy: c.accuracy * 100, extraction: c.extraction * 100 }));
  const before = new Map(a.capability.filter((c) => c.stage === 'before').map((c) => [c.student, c]));
  const arrows = a.capability
    .filter((c) => c.stage === 'after' && before.has(c.student))
    .map((c) => ({
      x: before.get(c.student)!.extraction * 100,
      y: before.get(c.student)!.accuracy * 100,
      x2: c.extraction * 100,
      y2: c.accuracy * 100,
    }));
  return {
    ...base,
    title: 'Capability against verbatim extraction, before and after self-training',
    width: 420,
    height: 280,
    layer: [
      {
        data: { values: arrows },
        mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'extraction', type: 'quantitative', title: 'exact extraction rate (%)' },
          y: { field: 'accuracy', type: 'quantitative', title: 'benchmark accuracy (%)', scale: { zero: false } },
          shape: { field: 'stage', type: 'nominal', title: 'stage' },
          color: { field: 'label', type: 'nominal', title: 'model' },
        },
      },
    ],
  };
}

export interface Figure {
  file: string;
  title: string;
  svg: string;
}

export async function renderFigures(a: Analysis): Promise<Figure[]> {
  const figs: Array<[string, string, Spec]> = [
    ['utility-matrix.svg', 'Relational utility matrix', utilitySpec(a)],
    ['gain-vs-temperature.svg', 'Gain against temperature', temperatureSpec(a)],
    ...(a.corpusMeasures.some((c) => 'coverage' in c.measures || 'fidelity' in c.measures)
      ? [
          ['corpus-measures-vs-temperature.svg', 'Corpus coverage and fidelity against temperature', corpusMeasuresSpec(a)] as [
            string,
            string,
            Spec,
          ],
        ]
      : []),
    ['capability-vs-extraction.svg', 'Capability against extraction', capabilitySpec(a)],
    ...(a.proxies.length ? [['proxies-vs-gain.svg', 'Intrinsic proxies against gain', proxiesSpec(a)] as [string, string, Spec]] : []),
  ];
  const out: Figure[] = [];
  for (const [file, title, spec] of figs) out.push({ file, title, svg: await renderSvg(spec) });
  return out;
}
