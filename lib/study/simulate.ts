/**
 * Simulated studies with this project's design shape, fed through the same analysis code as real
 * results: the calibration tests (false-positive rate with no true effect, power with planted
 * effects) and `resurface stats power` (the same numbers for a user's own grid) both use it.
 *
 * The generative model, per student s and item i of a task (items in clusters of `clusterSize`):
 *   p_c ~ U(0.25, 0.75) per cluster; p_si = clamp(p_c + N(0, 0.05), 0.1, 0.9)   item difficulty
 *   y0_si ~ Bernoulli(p_si)                                                       the untrained student
 *   a trained run r of cell (s, source, τ) with shift d = effect + N(0, seedSd) (seed) + N(0, interactionSd) per cluster:
 *   y_ri = y0_si with probability `keep`, else Bernoulli(clamp(p_si + d / (1 − keep), 0, 1))
 * so E[y_ri − y0_si] = d over the item population: `effect` is the true gain (an accuracy share),
 * and with effect 0 every contrast's null holds exactly. Extraction: each held-out sequence is
 * memorized by the untrained student with probability `baseRate`; a run keeps a memorized one with
 * probability `retention` (+ seed noise) — the true relative drop is 1 − retention.
 */
import type { BaseModelResult, ExtractScores, ResultsData, StatisticsSettings, TaskScores, TrainedRun } from '../report/results';
import { Rng } from '../stats/prng';
import { roleOf, type SourceRole } from './roles';

export interface SimModel {
  name: string;
  family: string;
  recipe?: string;
}

export interface SimDesign {
  students: SimModel[];
  sources: SimModel[];
  /** Add a forgetting-control cell per student (natural text of its own distribution). */
  forgettingControl?: boolean;
  temperatures: number[];
  seeds: number;
  tasks: Array<{ name: string; items: number; clusterSize: number }>;
  extraction?: { sequences: number; baseRate: number };
  /** Number of proxy columns (task-free, unrelated to the gain: the null of "a proxy predicts"). */
  proxies?: number;
  /** Simulate coverage / fidelity measures of each corpus. */
  corpusMeasures?: boolean;
  statistics: StatisticsSettings;
}

export interface SimNoise {
  /** SD of a run's shift (accuracy share): seed-to-seed training and corpus noise. */
  seedSd: number;
  /** SD of the per-cluster, per-cell shift (item clusters reacting differently to a corpus). */
  interactionSd: number;
  /** Probability that a trained run keeps the untrained answer on an item. */
  keep: number;
  /** SD of a run's retention around the cell's. */
  retentionSd: number;
  /** SD of corpus measures around their trend. */
  measureSd: number;
}

export const DEFAULT_NOISE: SimNoise = { seedSd: 0.01, interactionSd: 0.01, keep: 0.5, retentionSd: 0.01, measureSd: 0.02 };

export interface SimEffects {
  /** True gain (accuracy share) of a cell. Default 0. */
  gain?: (role: SourceRole, student: string, source: string, temperature: number) => number;
  /** True retention of memorized sequences after training (1 − relative drop). Default 1 (no drop). */
  retention?: (role: SourceRole) => number;
  /** Slopes of coverage and fidelity per unit temperature. Default 0. */
  coverageSlope?: number;
  fidelitySlope?: number;
}

function normal(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const bern = (rng: Rng, p: number): number => (rng.next() < p ? 1 : 0);

export function simulateStudy(design: SimDesign, effects: SimEffects, noise: SimNoise, seed: number): ResultsData {
  const rng = new Rng(seed);
  const bases: BaseModelResult[] = [];
  const runs: TrainedRun[] = [];
  const gainOf = effects.gain ?? (() => 0);
  const retentionOf = effects.retention ?? (() => 1);
  // Corpora are per (source, temperature, seed), shared by students: their measures and proxy noise.
  const corpusNoise = new Map<string, { coverage: number; fidelity: number }>();
  for (const student of design.students) {
    const probs: Float64Array[] = [];
    const baseTasks: Record<string, TaskScores> = {};
    for (const task of design.tasks) {
      const p = new Float64Array(task.items);
      const y0: number[] = [];
      const groups: string[] = [];
      for (let i = 0; i < task.items; i++) {
        const c = Math.floor(i / task.clusterSize);
        if (i % task.clusterSize === 0) p[i] = 0.25 + 0.5 * rng.next();
        else p[i] = p[i - (i % task.clusterSize)]!;
        groups.push(`c${c}`);
      }
      for (let i = 0; i < task.items; i++) {
        p[i] = clamp(p[i]! + 0.05 * normal(rng), 0.1, 0.9);
        y0.push(bern(rng, p[i]!));
      }
      probs.push(p);
      baseTasks[task.name] = { acc: y0.reduce((a, b) => a + b, 0) / task.items, indices: y0.map((_, i) => i), correct: y0, groups };
    }
    const memorized: number[] = [];
    if (design.extraction) for (let j = 0; j < design.extraction.sequences; j++) memorized.push(bern(rng, design.extraction.baseRate));
    const baseExtraction: Record<string, ExtractScores> = design.extraction
      ? {
          heldout: { rate: memorized.reduce((a, b) => a + b, 0) / memorized.length, indices: memorized.map((_, j) => j), exact: memorized },
        }
      : {};
    bases.push({ model: student.name, family: student.family, tasks: baseTasks, extraction: baseExtraction });

    const cells: Array<{ source: SimModel; control?: 'forgetting' }> = design.sources.map((source) => ({ source }));
    if (design.forgettingControl)
      cells.push({ source: { name: `${student.name}-natural`, family: student.family, recipe: student.recipe }, control: 'forgetting' });
    for (const { source, control } of cells) {
      const role = roleOf({
        student: student.name,
        source: source.name,
        studentFamily: student.family,
        sourceFamily: source.family,
        studentRecipe: student.recipe,
        sourceRecipe: source.recipe,
        control,
      });
      for (const T of design.temperatures) {
        const effect = gainOf(role, student.name, source.name, T);
        const interaction = design.tasks.map((task) =>
          Array.from({ length: Math.ceil(task.items / task.clusterSize) }, () => noise.interactionSd * normal(rng)),
        );
        for (let r = 0; r < design.seeds; r++) {
          const d = effect + noise.seedSd * normal(rng);
          const tasks: Record<string, TaskScores> = {};
          design.tasks.forEach((task, ti) => {
            const base = baseTasks[task.name]!;
            const correct = base.correct.map((y0, i) => {
              if (rng.next() < noise.keep) return y0;
              const shift = (d + interaction[ti]![Math.floor(i / task.clusterSize)]!) / (1 - noise.keep);
              return bern(rng, clamp(probs[ti]![i]! + shift, 0, 1));
            });
            tasks[task.name] = {
              acc: correct.reduce((a, b) => a + b, 0) / correct.length,
              indices: base.indices,
              correct,
              groups: base.groups,
            };
          });
          const extraction: Record<string, ExtractScores> = {};
          if (design.extraction) {
            const q = clamp(retentionOf(role) + noise.retentionSd * normal(rng), 0, 1);
            const exact = memorized.map((m) => (m ? bern(rng, q) : 0));
            extraction.heldout = { rate: exact.reduce((a, b) => a + b, 0) / exact.length, indices: exact.map((_, j) => j), exact };
          }
          const key = `${source.name}|${T}|${r}`;
          if (!corpusNoise.has(key))
            corpusNoise.set(key, { coverage: noise.measureSd * normal(rng), fidelity: noise.measureSd * normal(rng) });
          const cn = corpusNoise.get(key)!;
          const proxies: Record<string, number> = {};
          for (let k = 0; k < (design.proxies ?? 0); k++) proxies[`proxy${k}`] = normal(rng);
          runs.push({
            student: student.name,
            source: source.name,
            studentFamily: student.family,
            sourceFamily: source.family,
            ...(student.recipe ? { studentRecipe: student.recipe } : {}),
            ...(source.recipe ? { sourceRecipe: source.recipe } : {}),
            ...(control ? { control } : {}),
            ...(design.corpusMeasures && !control
              ? {
                  corpus: {
                    coverage: 0.5 + (effects.coverageSlope ?? 0) * T + cn.coverage,
                    fidelity: 0.8 + (effects.fidelitySlope ?? 0) * T + cn.fidelity,
                  },
                }
              : {}),
            temperature: T,
            seed: r,
            tasks,
            extraction,
            proxies,
          });
        }
      }
    }
  }
  return {
    experiment: 'simulated',
    tasks: design.tasks.map((t) => t.name),
    extraction: design.extraction ? ['heldout'] : [],
    runs,
    bases,
    statistics: design.statistics,
    missing: [],
  };
}
