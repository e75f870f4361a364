/**
 * lib/study and its special functions against an independent reference (test/reference/study_golden.py:
 * standard-library Python written from the definitions — t by numerical integration, Clopper–Pearson
 * by bisection on binomial tail sums, Holm as stated, and the two-stage contrast variance with the
 * same seeded cluster resamples).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clopperPearsonLower, clopperPearsonUpper } from '../../lib/stats/clopper-pearson';
import { holmAdjust } from '../../lib/stats/holm';
import { studentTCdf, studentTQuantile } from '../../lib/stats/special';
import { clusterReplicates, relativeDropTest, studentTable, testContrast, type LinearContrast } from '../../lib/study';
import type { ResultsData, TrainedRun } from '../../lib/report';
import { Rng } from '../../lib/stats';

const PY = '/usr/bin/python3';

/** A small study: 2 tasks with named clusters (uneven sizes), 3 sources; one stratum has a single run. */
function smallStudy(): ResultsData {
  const rng = new Rng(11);
  const groups = (n: number, k: number) => Array.from({ length: n }, (_, i) => `g${Math.floor((i * k) / n)}${i % 7 === 0 ? 'x' : ''}`);
  const taskSpec = [
    { name: 'alpha', n: 30, groups: groups(30, 6) },
    { name: 'beta', n: 22, groups: groups(22, 5) },
  ];
  const scores = (p: number) =>
    Object.fromEntries(
      taskSpec.map((t) => {
        const correct: number[] = Array.from({ length: t.n }, () => (rng.next() < p ? 1 : 0));
        return [t.name, { acc: correct.reduce((a, b) => a + b, 0) / t.n, indices: correct.map((_, i) => i), correct, groups: t.groups }];
      }),
    );
  const runs: TrainedRun[] = [];
  const cells: Array<[string, string, number, number, number]> = [
    ['s', 'A', 0.7, 3, 0.5],
    ['s', 'A', 1.0, 3, 0.55],
    ['l', 'A', 1.0, 2, 0.65],
    ['b', 'B', 1.0, 1, 0.45],
  ];
  for (const [source, fam, T, seeds, p] of cells)
    for (let seed = 0; seed < seeds; seed++)
      runs.push({
        student: 's',
        source,
        studentFamily: 'A',
        sourceFamily: fam,
        temperature: T,
        seed,
        tasks: scores(p),
        extraction: {},
        proxies: {},
      });
  return {
    experiment: 'golden',
    tasks: ['alpha', 'beta'],
    extraction: [],
    runs,
    bases: [{ model: 's', family: 'A', tasks: scores(0.5), extraction: {} }],
    statistics: { resamples: 250, level: 0.95, seed: 3 },
    missing: [],
  };
}

describe('study statistics against the independent reference', () => {
  const data = smallStudy();
  const table = studentTable(data, 's', data.bases[0])!;
  const reps = clusterReplicates(table, 250, 3);
  const k = (source: string, T: number) => table.strata.findIndex((s) => s.source === source && s.temperature === T);
  const contrasts: LinearContrast[] = [
    {
      name: 'self gain',
      student: 's',
      terms: [
        { stratum: k('s', 0.7), coef: 0.5 },
        { stratum: k('s', 1.0), coef: 0.5 },
      ],
      baseCoef: -1,
      margin: 0,
      direction: 1,
    },
    {
      name: 'same − self',
      student: 's',
      terms: [
        { stratum: k('l', 1.0), coef: 1 },
        { stratum: k('s', 1.0), coef: -1 },
      ],
      baseCoef: 0,
      margin: 0.01,
      direction: 1,
    },
    {
      name: 'cross gain (one run: pooled seed variance)',
      student: 's',
      terms: [{ stratum: k('b', 1.0), coef: 1 }],
      baseCoef: -1,
      margin: -0.01,
      direction: 1,
    },
  ];
  const problem = {
    level: 0.95,
    t_cdf: [
      [1.7, 2],
      [-0.4, 3.5],
      [2.9, 7.25],
      [12, 1],
      [0.3, 40],
    ],
    t_quantile: [
      [0.975, 2],
      [0.95, 3.5],
      [0.99, 11.3],
      [0.6, 1.2],
    ],
    cp: [
      [0, 24, 0.025],
      [3, 24, 0.025],
      [24, 24, 0.05],
      [17, 40, 0.01],
      [1, 200, 0.025],
    ],
    holm: [
      [0.01, 0.04, 0.03, 0.005],
      [0.2, null, 0.01, 0.5, 0.03],
      [0.04, 0.04],
    ],
    drop_lower: [
      [20, 0, 24, 0.05],
      [150, 0, 200, 0.05],
      [160, 3, 200, 0.1],
    ],
    study: {
      resamples: 250,
      seed: 3,
      tasks: table.tasks.map((t, ti) => ({ sizes: [...t.sizes], base: [...table.base[ti]!] })),
      strata: table.strata.map((s) => ({ runs: s.runs.map((_, r) => table.tasks.map((_, ti) => [...s.sums[ti]![r]!])) })),
    },
    contrasts,
  };
  const ref = JSON.parse(execFileSync(PY, ['test/reference/study_golden.py'], { input: JSON.stringify(problem), encoding: 'utf8' }));

  it('Student t CDF and quantile (fractional df too)', () => {
    problem.t_cdf.forEach(([x, df], i) => expect(studentTCdf(x!, df!)).toBeCloseTo(ref.t_cdf[i], 9));
    problem.t_quantile.forEach(([p, df], i) => expect(studentTQuantile(p!, df!)).toBeCloseTo(ref.t_quantile[i], 7));
  });

  it('Clopper–Pearson bounds, including 0 of n and n of n', () => {
    problem.cp.forEach(([kk, n, a], i) => {
      expect(clopperPearsonLower(kk!, n!, a!)).toBeCloseTo(ref.cp[i][0], 10);
      expect(clopperPearsonUpper(kk!, n!, a!)).toBeCloseTo(ref.cp[i][1], 10);
    });
    expect(clopperPearsonUpper(0, 24, 0.025)).toBeCloseTo(1 - 0.025 ** (1 / 24), 12); // the closed form at k = 0
  });

  it('Holm step-down adjustment (ties and missing p-values)', () => {
    problem.holm.forEach((ps, i) => {
      const got = holmAdjust(ps as Array<number | null>);
      got.forEach((p, j) => (ref.holm[i][j] === null ? expect(p).toBeNull() : expect(p).toBeCloseTo(ref.holm[i][j], 14)));
    });
  });

  it('relative-drop lower bound at the boundary: nothing extracted after training never gives [100%, 100%]', () => {
    problem.drop_lower.forEach(([kb, ka, n, a], i) => {
      // The two-sided interval at level 1 − 2α has the one-sided lower bound at α.
      const d = relativeDropTest(kb! / n!, ka! / n!, n!, 0.95, 1 - 2 * a!)!;
      expect(d.ci[0]).toBeCloseTo(ref.drop_lower[i], 9);
      expect(d.ci[0]).toBeLessThan(1);
    });
  });

  it('two-stage contrast variance, Satterthwaite df, interval and p (same cluster resamples)', () => {
    contrasts.forEach((c, i) => {
      const got = testContrast(table, reps, c, 0.95);
      const want = ref.contrasts[i];
      expect(got.estimate).toBeCloseTo(want.estimate, 12);
      expect(got.varSeeds).toBeCloseTo(want.varSeeds, 14);
      expect(got.varItems / want.varItems).toBeCloseTo(1, 10);
      expect(got.df).toBeCloseTo(want.df, 8);
      expect(got.ci[0]).toBeCloseTo(want.ci[0], 7);
      expect(got.ci[1]).toBeCloseTo(want.ci[1], 7);
      expect(got.p!).toBeCloseTo(want.p, 7);
    });
  });
});
