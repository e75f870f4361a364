/**
 * Calibration of every verdict the report prints, by simulation through the same analysis code.
 *
 * Studies are simulated with this project's design shape (lib/study/simulate.ts: sources with the
 * paper's roles × temperatures × seeds × clustered items, seed-to-seed variance included). With no
 * true effect (or an effect exactly at the claim's boundary) each verdict — "supported" and
 * "contradicted" — must fire at most 5% of the time plus two Monte-Carlo standard errors; with
 * planted effects of the stated sizes the claims must be found at least 80% of the time. Every
 * simulation is seeded, so the counts are reproducible and the bounds cannot flake.
 *
 * The last block plants the two classic bugs — an items-only variance (seed noise left out) and
 * Holm removed — and shows that these same checks would catch them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adjustFamily,
  decide,
  rankCorrelationTest,
  studentStudies,
  studyFindings,
  studySettings,
  testContrast,
  cellsOf,
  type Finding,
} from '../../lib/study';
import { DEFAULT_NOISE, simulateStudy, type SimDesign, type SimEffects, type SimNoise } from '../../lib/study/simulate';
import { Rng } from '../../lib/stats/prng';
import { studentTCdf } from '../../lib/stats/special';
import { normalCdf } from '../../lib/stats/special';
import { holmAdjust } from '../../lib/stats/holm';

const ALPHA = 0.05;
const bound = (n: number) => ALPHA + 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / n);

/** The miniature lab's shape: one student, self / same-lineage / cross-family, 2 temperatures × 3 seeds, 4 tasks of 18 clusters × 3 items. */
function labDesign(over: Partial<SimDesign> = {}): SimDesign {
  return {
    students: [{ name: 'a-small', family: 'A' }],
    sources: [
      { name: 'a-small', family: 'A' },
      { name: 'a-large', family: 'A' },
      { name: 'b', family: 'B' },
    ],
    temperatures: [0.7, 1.0],
    seeds: 3,
    tasks: [0, 1, 2, 3].map((i) => ({ name: `task${i}`, items: 54, clusterSize: 3 })),
    extraction: { sequences: 48, baseRate: 0.8 },
    proxies: 6,
    corpusMeasures: true,
    statistics: { resamples: 200, level: 0.95, seed: 0 },
    ...over,
  };
}

type Counts = Record<string, { supported: number; contradicted: number; 'not shown': number }>;

function runStudies(n: number, design: SimDesign, effects: SimEffects, noise: SimNoise, seed0: number): Counts {
  const counts: Counts = {};
  for (let i = 0; i < n; i++) {
    for (const f of studyFindings(simulateStudy(design, effects, noise, seed0 + i))) {
      counts[f.id] ??= { supported: 0, contradicted: 0, 'not shown': 0 };
      counts[f.id]![f.verdict]++;
    }
  }
  return counts;
}

const noise = (seedSd: number): SimNoise => ({ ...DEFAULT_NOISE, seedSd });

describe('false-positive rates with no true effect (1000 studies of the lab design, seed SD 2 points)', () => {
  const N = 1000;
  let counts: Counts;
  // No gain anywhere, nothing forgotten (retention 1), flat corpus measures, proxies pure noise.
  beforeAll(() => {
    counts = runStudies(N, labDesign(), {}, noise(0.02), 1_000_000);
  }, 300_000);

  it.each(['utility', 'relational', 'proxies', 'temperature'])('%s: "supported" and "contradicted" each ≤ 5% + MC error', (id) => {
    const c = counts[id]!;
    expect(c.supported / N).toBeLessThanOrEqual(bound(N));
    expect(c.contradicted / N).toBeLessThanOrEqual(bound(N));
  });

  it('decoupling: nothing forgotten is never "supported"', () => {
    expect(counts.decoupling!.supported).toBe(0);
  });
});

describe('false-positive rates at the boundary of each claim (400 studies each)', () => {
  const N = 400;

  it('relational: self beats both other sources by 6 points, but same-lineage = cross-family → "supported" ≤ 5%', () => {
    const c = runStudies(N, labDesign(), { gain: (role) => (role === 'self' ? 0.06 : 0) }, noise(0.02), 2_000_000);
    expect(c.relational!.supported / N).toBeLessThanOrEqual(bound(N));
  });

  it('decoupling: extraction drops by exactly 95% (capability +5 points) → "supported" ≤ 5%', () => {
    const c = runStudies(
      N,
      labDesign({ extraction: { sequences: 400, baseRate: 0.8 } }),
      { retention: () => 0.05, gain: () => 0.05 },
      noise(0.02),
      3_000_000,
    );
    expect(c.decoupling!.supported / N).toBeLessThanOrEqual(bound(N));
  });

  it('decoupling: nothing extracted after training, but capability falls by exactly δ = 1 point → "supported" ≤ 5%', () => {
    const c = runStudies(
      N,
      labDesign({ extraction: { sequences: 400, baseRate: 0.8 } }),
      { retention: () => 0, gain: () => -0.01 },
      noise(0.02),
      4_000_000,
    );
    expect(c.decoupling!.supported / N).toBeLessThanOrEqual(bound(N));
  });

  it('decoupling with a forgetting control that forgets as much → "supported" ≤ 5%', () => {
    const c = runStudies(
      N,
      labDesign({ forgettingControl: true, extraction: { sequences: 400, baseRate: 0.8 } }),
      { retention: () => 0, gain: () => 0.05 },
      noise(0.02),
      5_000_000,
    );
    expect(c.decoupling!.supported / N).toBeLessThanOrEqual(bound(N));
  });
});

/** Corpus-level (proxy, gain) pairs: S sources × T temperatures, a shared source effect in both (intra-cluster correlation). */
function proxyStudy(rng: Rng, S: number, T: number, rho: number, icc: number): { x: number[]; y: number[]; c: string[] } {
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const x: number[] = [];
  const y: number[] = [];
  const c: string[] = [];
  for (let s = 0; s < S; s++) {
    const ux = g();
    const uy = rho * ux + Math.sqrt(1 - rho * rho) * g();
    for (let t = 0; t < T; t++) {
      const ex = g();
      const ey = rho * ex + Math.sqrt(1 - rho * rho) * g();
      x.push(Math.sqrt(icc) * ux + Math.sqrt(1 - icc) * ex);
      y.push(Math.sqrt(icc) * uy + Math.sqrt(1 - icc) * ey);
      c.push(`s${s}`);
    }
  }
  return { x, y, c };
}

describe('proxies: the equivalence rule, cluster-aware (2000 simulated corpus sets each)', () => {
  const N = 2000;
  const rate = (S: number, rho: number, icc: number, key: 'p' | 'pOpposite') => {
    const rng = new Rng(S * 1000 + Math.round(rho * 100) + Math.round(icc * 10));
    let k = 0;
    for (let i = 0; i < N; i++) {
      const { x, y, c } = proxyStudy(rng, S, 4, rho, icc);
      const r = rankCorrelationTest(x, y, c, 0.5, 0.95);
      if (r[key] !== null && r[key]! < ALPHA) k++;
    }
    return k / N;
  };

  it.each([
    [8, 0.9],
    [8, 0.1],
    [20, 0.5],
  ])('a proxy that truly correlates at ρ = 0.5 (%i sources, ICC %f) is called "failing" ≤ 5% of the time', (S, icc) => {
    expect(rate(S, 0.5, icc, 'p')).toBeLessThanOrEqual(bound(N));
  });

  it.each([
    [8, 0.9],
    [20, 0.5],
  ])('a proxy at exactly |ρ| = 0.5 (%i sources, ICC %f) is called "predictive" ≤ 5% of the time', (S, icc) => {
    expect(rate(S, 0.5, icc, 'pOpposite')).toBeLessThanOrEqual(bound(N));
  });

  it('with fewer than 8 sources nothing is decided: an interval needs ≥ 8 source clusters', () => {
    const { x, y, c } = proxyStudy(new Rng(1), 5, 4, 0, 0.5);
    const r = rankCorrelationTest(x, y, c, 0.5, 0.95);
    expect(r.p).toBeNull();
    expect(r.note).toMatch(/5 independent source clusters: an interval needs at least 8/);
  });

  it('the tails hold where Holm uses them: at 8 sources with one corpus each, P(p < 0.001) ≤ 0.001 at |ρ| = 0.5', () => {
    // (with 5 sources ρ̂ = ±1 happens ~4% of the time and got p ≈ 0: Holm over many proxies then failed)
    const rng = new Rng(77);
    let k = 0;
    const M = 20000;
    for (let i = 0; i < M; i++) {
      const { x, y, c } = proxyStudy(rng, 8, 1, 0.5, 0.5);
      const r = rankCorrelationTest(x, y, c, 0.5, 0.95);
      if (r.pOpposite !== null && r.pOpposite < 0.001) k++;
    }
    expect(k / M).toBeLessThanOrEqual(0.001 + 3 * Math.sqrt(0.001 / M));
  });

  it('a family of 8 noise proxies over 8 sources is "contradicted" ≤ 5% of the time (Holm)', () => {
    const rng = new Rng(78);
    let k = 0;
    const M = 2000;
    for (let i = 0; i < M; i++) {
      const { y: gains, c } = proxyStudy(rng, 8, 1, 0, 0.5);
      const fam = Array.from({ length: 8 }, () => {
        const px = proxyStudy(rng, 8, 1, 0, 0.5).x;
        const r = rankCorrelationTest(px, gains, c, 0.5, 0.95);
        return { p: r.p, p_opposite: r.pOpposite };
      });
      const adj = holmAdjust(fam.map((f) => f.p_opposite));
      if (adj.some((p) => p !== null && p < ALPHA)) k++;
    }
    expect(k / M).toBeLessThanOrEqual(bound(M));
  });

  it('power: a useless proxy (ρ = 0) is shown to fail (|ρ| < 0.5) ≥ 80% of the time with 40 sources', () => {
    expect(rate(40, 0, 0.5, 'p')).toBeGreaterThanOrEqual(0.8);
  });
});

describe('power with planted effects (200 studies)', () => {
  const N = 200;
  // The paper's temperature sweep, 4 tasks × 150 items, 200 held-out sequences, seed SD 1 point.
  const design = labDesign({
    temperatures: [0.3, 0.7, 1.0, 1.25],
    tasks: [0, 1, 2, 3].map((i) => ({ name: `task${i}`, items: 150, clusterSize: 3 })),
    extraction: { sequences: 200, baseRate: 0.8 },
  });
  const effects: SimEffects = {
    gain: (role) => (role === 'self' ? 0.08 : role === 'same-lineage' ? 0.04 : 0),
    retention: () => 0,
    coverageSlope: 0.2,
    fidelitySlope: -0.2,
  };
  let counts: Counts;
  beforeAll(() => {
    counts = runStudies(N, design, effects, noise(0.01), 6_000_000);
  }, 300_000);

  it('utility (self gain +8 points) ≥ 80%', () => expect(counts.utility!.supported / N).toBeGreaterThanOrEqual(0.8));
  it('relational (self +8 > same-lineage +4 > cross-family 0) ≥ 80%', () =>
    expect(counts.relational!.supported / N).toBeGreaterThanOrEqual(0.8));
  it('decoupling (nothing extracted after, capability +8 points, 200 sequences) ≥ 80%', () =>
    expect(counts.decoupling!.supported / N).toBeGreaterThanOrEqual(0.8));
  it('temperature (coverage +0.2 / fidelity −0.2 per unit temperature, corpus SD 0.02) ≥ 80%', () =>
    expect(counts.temperature!.supported / N).toBeGreaterThanOrEqual(0.8));
});

describe('the calibration catches planted bugs', () => {
  it('an items-only variance (seed noise left out) fires far above 5% when seeds vary — the correct rule does not', () => {
    const N = 300;
    const design = labDesign({ tasks: [0, 1, 2, 3].map((i) => ({ name: `task${i}`, items: 300, clusterSize: 3 })) });
    let correct = 0;
    let itemsOnly = 0;
    for (let i = 0; i < N; i++) {
      const data = simulateStudy(design, {}, noise(0.02), 7_000_000 + i);
      const s = studySettings(data);
      const [{ table, reps }] = studentStudies(data, s);
      const self = cellsOf(table).find((c) => c.role === 'self')!;
      const tc = testContrast(
        table,
        reps,
        {
          name: 'self gain',
          student: table.student,
          terms: self.strata.map((k) => ({ stratum: k, coef: 1 / self.strata.length })),
          baseCoef: -1,
          margin: 0,
          direction: 1,
        },
        0.95,
      );
      if (tc.p! < ALPHA) correct++;
      if (1 - normalCdf(tc.estimate / Math.sqrt(tc.varItems)) < ALPHA) itemsOnly++;
    }
    expect(correct / N).toBeLessThanOrEqual(bound(N));
    expect(itemsOnly / N).toBeGreaterThan(0.1);
  });

  it('without Holm, "contradicted" over a family of 6 slopes fires far above 5%', () => {
    const N = 600;
    const design = labDesign({
      temperatures: [0.3, 0.7, 1.0, 1.25],
      tasks: [{ name: 'task0', items: 30, clusterSize: 3 }],
      extraction: undefined,
      proxies: 0,
    });
    let holm = 0;
    let raw = 0;
    for (let i = 0; i < N; i++) {
      const f = studyFindings(simulateStudy(design, {}, noise(0.02), 8_000_000 + i)).find((x) => x.id === 'temperature') as Finding;
      if (f.verdict === 'contradicted') holm++;
      const unadjusted = f.contrasts.map((c) => ({ ...c, p_adjusted: c.p, p_opposite_adjusted: c.p_opposite }));
      if (decide(unadjusted, ALPHA) === 'contradicted') raw++;
      // Holm adjustment is idempotent on already-adjusted p-values' order: re-adjusting changes nothing.
      expect(decide(adjustFamily(f.contrasts.map((c) => ({ ...c }))), ALPHA)).toBe(f.verdict);
    }
    expect(holm / N).toBeLessThanOrEqual(bound(N));
    expect(raw / N).toBeGreaterThan(0.15);
  });

  it('the t reference matters with few seeds: a normal reference over-rejects at 3 seeds × 1 temperature', () => {
    // Pure seed noise, huge item pool: the contrast's df are ~2 per cell.
    const N = 500;
    const design = labDesign({
      temperatures: [1.0],
      tasks: [{ name: 'task0', items: 400, clusterSize: 1 }],
      extraction: undefined,
      proxies: 0,
      corpusMeasures: false,
    });
    let t = 0;
    let z = 0;
    for (let i = 0; i < N; i++) {
      const data = simulateStudy(design, {}, { ...noise(0.03), keep: 0.9 }, 9_000_000 + i);
      const s = studySettings(data);
      const [{ table, reps }] = studentStudies(data, s);
      const self = cellsOf(table).find((c) => c.role === 'self')!;
      const tc = testContrast(
        table,
        reps,
        {
          name: 'self gain',
          student: table.student,
          terms: self.strata.map((k) => ({ stratum: k, coef: 1 })),
          baseCoef: -1,
          margin: 0,
          direction: 1,
        },
        0.95,
      );
      if (tc.p! < ALPHA) t++;
      if (1 - normalCdf(tc.estimate / tc.se) < ALPHA) z++;
      expect(tc.p).toBeCloseTo(1 - studentTCdf(tc.estimate / tc.se, tc.df), 12);
    }
    expect(t / N).toBeLessThanOrEqual(bound(N));
    expect(z / N).toBeGreaterThan(t / N + 0.02);
  });
});
