/**
 * The design calculator behind `resurface stats power EXPERIMENT.yaml`: for the user's own grid
 * (students, source roles, temperatures, seeds) and task sizes (items and clusters read from the
 * task files), simulate studies through the same analysis as real results and report, per finding,
 * how often a verdict fires falsely and how often a planted effect is found.
 *
 * Scenarios (effects in accuracy points; "e" = --effect):
 *   null        every gain 0; extraction drops by exactly the claimed share (the boundary); flat
 *               corpus measures — every claim is false or at its boundary
 *   boundary    nothing extracted after training, but the self gain is exactly −δ (decoupling's
 *               other boundary)
 *   planted     self +e, same-lineage 0, different-recipe and cross-family −e (so each relational
 *               contrast is e), nothing extracted after self-training, forgetting control keeps
 *               what it memorized; coverage +slope, fidelity −slope per unit temperature
 */
import * as fs from 'node:fs';
import { readTaskFile } from '../eval/task-file';
import type { LoadedExperiment } from '../experiment/load';
import { DEFAULT_NOISE, simulateStudy, type SimDesign, type SimEffects, type SimNoise } from './simulate';
import { studyFindings } from './study';
import type { FindingId } from './findings';

export interface PowerOptions {
  effectPoints: number;
  sims: number;
  seedSdPoints: number;
  baseExtraction: number;
  corpusMeasures: boolean;
  slope: number;
  resamples: number;
  seed: number;
}

export const POWER_DEFAULTS: PowerOptions = {
  effectPoints: 5,
  sims: 300,
  seedSdPoints: 1.5,
  baseExtraction: 0.5,
  corpusMeasures: false,
  slope: 0.1,
  resamples: 200,
  seed: 0,
};

export interface PowerRow {
  finding: FindingId;
  /** Rate of a false "supported" (null scenarios where the claim is false; the worst of them). */
  falseSupported: number;
  /** Rate of a false "contradicted" (null scenario). */
  falseContradicted: number;
  /** Rate of "supported" with the planted effects. */
  power: number;
  /** Verdicts the design can never reach (e.g. no self pair, too few source clusters). */
  untestable: boolean;
}

export interface PowerReport {
  design: {
    students: number;
    sources: number;
    temperatures: number[];
    seeds: number;
    tasks: Array<{ name: string; items: number; clusters: number }>;
    heldoutSequences: number;
  };
  options: PowerOptions;
  rows: PowerRow[];
  /** Monte-Carlo standard error of a rate near 5% with this many simulations. */
  monteCarloSe: number;
}

function lineCount(file: string): number {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim()).length;
}

/** The simulated counterpart of an experiment file's design. */
export function designFromExperiment(loaded: LoadedExperiment, opts: PowerOptions): SimDesign {
  const e = loaded.experiment;
  const model = (name: string) => ({
    name,
    family: e.models[name]!.family,
    ...(e.models[name]!.recipe ? { recipe: e.models[name]!.recipe } : {}),
  });
  const tasks = Object.entries(loaded.tasks).map(([name, file]) => {
    const t = readTaskFile(file, { limit: e.evaluation.limit });
    const groups = new Set(t.items.map((it) => it.group ?? `#${it.index}`)).size;
    return { name, items: t.items.length, clusterSize: Math.max(1, Math.round(t.items.length / groups)) };
  });
  // held-out sequences only: control sets (never seen) are a sanity line, not part of the claim
  const controls = new Set(e.evaluation.extraction.filter((x) => x.control).map((x) => x.name));
  const sequences = Object.entries(loaded.extraction).reduce((a, [name, f]) => a + (controls.has(name) ? 0 : lineCount(f)), 0);
  return {
    students: e.grid.students.map(model),
    sources: e.grid.sources.map(model),
    temperatures: e.grid.temperatures ?? e.sampling.temperatures,
    seeds: e.grid.seeds.length,
    tasks,
    ...(sequences ? { extraction: { sequences, baseRate: opts.baseExtraction } } : {}),
    proxies: e.evaluation.proxies.enabled ? 4 : 0,
    corpusMeasures: opts.corpusMeasures,
    statistics: { ...e.statistics, resamples: opts.resamples },
  };
}

type Tally = Record<string, { supported: number; contradicted: number; notShown: number; untestable: number }>;

function tally(design: SimDesign, effects: SimEffects, noise: SimNoise, sims: number, seed0: number): Tally {
  const t: Tally = {};
  for (let i = 0; i < sims; i++) {
    for (const f of studyFindings(simulateStudy(design, effects, noise, seed0 + i))) {
      const x = (t[f.id] ??= { supported: 0, contradicted: 0, notShown: 0, untestable: 0 });
      if (f.verdict === 'supported') x.supported++;
      else if (f.verdict === 'contradicted') x.contradicted++;
      else x.notShown++;
      if (f.contrasts.filter((c) => c.role === 'claim').every((c) => c.p === null)) x.untestable++;
    }
  }
  return t;
}

export function powerAnalysis(design: SimDesign, opts: PowerOptions): PowerReport {
  const noise: SimNoise = { ...DEFAULT_NOISE, seedSd: opts.seedSdPoints / 100 };
  const e = opts.effectPoints / 100;
  const drop = design.statistics.extraction_drop ?? 0.95;
  const delta = (design.statistics.non_inferiority_points ?? 1) / 100;
  const nul = tally(design, { retention: () => 1 - drop }, noise, opts.sims, opts.seed + 1_000_000);
  const boundary = tally(
    design,
    { gain: (r) => (r === 'self' ? -delta : 0), retention: (r) => (r === 'forgetting-control' ? 1 : 0) },
    noise,
    opts.sims,
    opts.seed + 2_000_000,
  );
  const planted = tally(
    design,
    {
      gain: (r) => (r === 'self' ? e : r === 'same-lineage' || r === 'forgetting-control' ? 0 : -e),
      retention: (r) => (r === 'forgetting-control' ? 1 : 0),
      coverageSlope: opts.slope,
      fidelitySlope: -opts.slope,
    },
    noise,
    opts.sims,
    opts.seed + 3_000_000,
  );
  const ids: FindingId[] = ['utility', 'relational', 'decoupling', 'proxies', 'temperature'];
  const rows = ids.map((id) => {
    const n = nul[id]!;
    const b = boundary[id]!;
    const p = planted[id]!;
    return {
      finding: id,
      // Under the null, "proxies fail" is true (proxies are noise): only its false "contradicted" counts.
      falseSupported: id === 'proxies' ? NaN : Math.max(n.supported, id === 'decoupling' ? b.supported : 0) / opts.sims,
      falseContradicted: n.contradicted / opts.sims,
      power: (id === 'proxies' ? n.supported : p.supported) / opts.sims,
      untestable: p.untestable === opts.sims,
    };
  });
  return {
    design: {
      students: design.students.length,
      sources: design.sources.length,
      temperatures: design.temperatures,
      seeds: design.seeds,
      tasks: design.tasks.map((t) => ({ name: t.name, items: t.items, clusters: Math.ceil(t.items / t.clusterSize) })),
      heldoutSequences: design.extraction?.sequences ?? 0,
    },
    options: opts,
    rows,
    monteCarloSe: Math.sqrt((0.05 * 0.95) / opts.sims),
  };
}
