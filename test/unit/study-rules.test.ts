/** The study's building blocks on hand-made inputs: roles, alignment and clusters, verdict rules, edge cases. */
import { describe, expect, it } from 'vitest';
import {
  cellsOf,
  decide,
  extractionRates,
  relativeDropTest,
  roleOf,
  slopeTest,
  studentTable,
  studyFindings,
  testContrast,
  clusterReplicates,
  type StudyContrast,
} from '../../lib/study';
import type { ResultsData, TrainedRun } from '../../lib/report';

const run = (source: string, fam: string, T: number, seed: number, correct: number[], extra: Partial<TrainedRun> = {}): TrainedRun => ({
  student: 's',
  source,
  studentFamily: 'A',
  sourceFamily: fam,
  temperature: T,
  seed,
  tasks: { t: { acc: 0, indices: correct.map((_, i) => i), correct, groups: correct.map((_, i) => `g${i >> 1}`) } },
  extraction: {},
  proxies: {},
  ...extra,
});

function data(runs: TrainedRun[], base = [1, 0, 1, 0, 1, 0, 0, 1]): ResultsData {
  return {
    experiment: 'x',
    tasks: ['t'],
    extraction: [],
    runs,
    bases: [
      {
        model: 's',
        family: 'A',
        tasks: { t: { acc: 0.5, indices: base.map((_, i) => i), correct: base, groups: base.map((_, i) => `g${i >> 1}`) } },
        extraction: {},
      },
    ],
    statistics: { resamples: 200, level: 0.95, seed: 0 },
    missing: [],
  };
}

const contrast = (p: number | null, pOpp: number | null, role: 'claim' | 'secondary' = 'claim'): StudyContrast => ({
  name: 'c',
  student: 's',
  role,
  estimate: 0,
  ci: [0, 0],
  unit: 'points',
  margin: 0,
  direction: 1,
  p,
  p_opposite: pOpp,
  p_adjusted: p,
  p_opposite_adjusted: pOpp,
  method: '',
});

describe('source roles', () => {
  const base = { student: 'q05', studentFamily: 'qwen', studentRecipe: 'qwen2.5' };
  it.each([
    [{ source: 'q05', sourceFamily: 'qwen', sourceRecipe: 'qwen2.5' }, 'self'],
    [{ source: 'q7', sourceFamily: 'qwen', sourceRecipe: 'qwen2.5' }, 'same-lineage'],
    [{ source: 'q3-8b', sourceFamily: 'qwen', sourceRecipe: 'qwen3' }, 'different-recipe'],
    [{ source: 'llama', sourceFamily: 'llama' }, 'cross-family'],
    [{ source: 'natural', sourceFamily: 'qwen', control: 'forgetting' as const }, 'forgetting-control'],
  ])('%o → %s', (src, role) => expect(roleOf({ ...base, ...src })).toBe(role));
  it('without recipe labels, same family means same lineage', () =>
    expect(roleOf({ student: 'a', source: 'b', studentFamily: 'F', sourceFamily: 'F' })).toBe('same-lineage'));
});

describe('aligning a student’s results', () => {
  it('clusters items by their group, strata by (source, temperature), cells in role order', () => {
    const d = data([
      run('x', 'B', 1, 0, [1, 1, 1, 1, 0, 0, 0, 0]),
      run('s', 'A', 1, 0, [1, 0, 1, 0, 1, 1, 1, 1]),
      run('s', 'A', 1, 1, [1, 1, 1, 0, 1, 0, 1, 1]),
      run('s', 'A', 0.5, 0, [0, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    const t = studentTable(d, 's', d.bases[0])!;
    expect([...t.tasks[0]!.sizes]).toEqual([2, 2, 2, 2]);
    expect([...t.base[0]!]).toEqual([1, 1, 1, 1]);
    expect(t.strata.map((s) => `${s.source}@${s.temperature}×${s.runs.length}`)).toEqual(['s@0.5×1', 's@1×2', 'x@1×1']);
    expect(cellsOf(t).map((c) => `${c.source}:${c.role}:${c.strata.join(',')}`)).toEqual(['s:self:0,1', 'x:cross-family:2']);
  });

  it('items missing from one run are left out for every model; a run without the task is dropped', () => {
    const partial = run('s', 'A', 1, 0, [1, 0, 1, 0]);
    const d = data([partial, run('s', 'A', 1, 1, [1, 1, 1, 1, 1, 1, 1, 1]), { ...run('s', 'A', 1, 2, []), tasks: {} }]);
    const t = studentTable(d, 's', d.bases[0])!;
    expect(t.tasks[0]!.items).toBe(4);
    expect(t.dropped).toHaveLength(1);
  });

  it('one run per cell everywhere: seed variance is unknown and nothing is tested', () => {
    const d = data([run('s', 'A', 1, 0, [1, 1, 1, 1, 1, 1, 1, 1]), run('x', 'B', 1, 0, [0, 0, 0, 0, 0, 0, 0, 0])]);
    const t = studentTable(d, 's', d.bases[0])!;
    const tc = testContrast(
      t,
      clusterReplicates(t, 100, 0),
      { name: 'g', student: 's', terms: [{ stratum: 0, coef: 1 }], baseCoef: -1, margin: 0, direction: 1 },
      0.95,
    );
    expect(tc.p).toBeNull();
    expect(tc.note).toMatch(/seed-to-seed variance cannot be estimated/);
    const f = studyFindings(d);
    expect(f.find((x) => x.id === 'utility')!.verdict).toBe('not shown');
    expect(f.find((x) => x.id === 'utility')!.mde!.text).toMatch(/cannot be tested/);
  });
});

describe('three verdicts', () => {
  it('supported only when every claim contrast holds; secondary contrasts never decide', () => {
    expect(decide([contrast(0.01, 0.99), contrast(0.02, 0.98)], 0.05)).toBe('supported');
    expect(decide([contrast(0.01, 0.99), contrast(0.2, 0.8)], 0.05)).toBe('not shown');
    expect(decide([contrast(0.01, 0.99), contrast(0.9, 0.01, 'secondary')], 0.05)).toBe('supported');
  });
  it('contradicted when any claim contrast holds in the opposite direction; untestable is never supported', () => {
    expect(decide([contrast(0.01, 0.99), contrast(0.99, 0.01)], 0.05)).toBe('contradicted');
    expect(decide([contrast(0.01, 0.99), contrast(null, null)], 0.05)).toBe('not shown');
    expect(decide([], 0.05)).toBe('not shown');
  });
});

describe('edge cases of the exact and regression rules', () => {
  it('relative drop: nothing to drop from is untestable; 0 of n after keeps a finite lower bound', () => {
    expect(relativeDropTest(0, 0, 50, 0.95, 0.95)).toBeNull();
    const d = relativeDropTest(40 / 50, 0, 50, 0.95, 0.95)!;
    expect(d.estimate).toBe(1);
    expect(d.ci[0]).toBeLessThan(0.95); // 50 sequences cannot show a 95% drop
    expect(d.ci[1]).toBe(1);
    expect(d.p).toBeGreaterThan(0.05);
    const big = relativeDropTest(800 / 1000, 0, 1000, 0.95, 0.95)!;
    expect(big.p).toBeLessThan(0.05);
  });
  it('slope: one temperature or a perfect fit is untestable', () => {
    expect(slopeTest([1, 1, 1], [0.1, 0.2, 0.3], 1, 0.95).p).toBeNull();
    expect(slopeTest([0.5, 1, 1.5], [1, 2, 3], 1, 0.95).p).toBeNull();
    const t = slopeTest([0.5, 0.5, 1, 1, 1.5, 1.5], [1, 1.1, 2, 2.2, 2.9, 3.1], 1, 0.95);
    expect(t.slope).toBeCloseTo(1.95, 12); // by hand: Sxy = 1.95, Sxx = 1
    expect(t.p).toBeLessThan(0.001);
    expect(t.df).toBe(4);
  });
});

describe('the held-out set of the decoupling claim', () => {
  const ext = (exact: number[], ids?: string[]) => ({
    rate: exact.reduce((a, b) => a + b, 0) / exact.length,
    indices: exact.map((_, i) => i),
    exact,
    ...(ids ? { ids } : {}),
  });
  it("a sequence a cell's corpus regenerated leaves that cell's clean set, for the base and every run", () => {
    const ids = ['c1', 'c2', 'c3', 'c4'];
    const base = { held: ext([1, 1, 1, 0], ids) };
    const runs = [
      run('s', 'A', 1, 0, [1], { extraction: { held: ext([0, 1, 0, 0], ids) }, contaminated: ['c2'] }),
      run('s', 'A', 1, 1, [1], { extraction: { held: ext([0, 0, 1, 0], ids) } }),
    ];
    // c2 (regenerated by seed 0's corpus) is out: before 2/3 (c1, c3 of c1, c3, c4), after (0 + 0.5 + 0) / 3
    expect(extractionRates(base, runs, ['held'])).toEqual({ n: 3, before: 2 / 3, after: 0.5 / 3, excluded: 1 });
  });
});

describe('the forgetting-control reference of the decoupling claim', () => {
  it('drops the canaries the self corpora regenerated from the control reference too', () => {
    const ext = (exact: number[]) => ({ rate: 0, indices: exact.map((_, i) => i), exact, ids: ['c1', 'c2', 'c3', 'c4'] });
    const base = {
      model: 's',
      family: 'A',
      tasks: { t: { acc: 0.5, indices: [0, 1, 2, 3], correct: [1, 0, 1, 0], groups: ['g0', 'g0', 'g1', 'g1'] } },
      extraction: { held: ext([1, 1, 1, 1]) },
    };
    const r = (source: string, seed: number, correct: number[], exact: number[], extra: Partial<TrainedRun> = {}) => ({
      ...run(source, 'A', 1, seed, correct, { extraction: { held: ext(exact) }, ...extra }),
      tasks: { t: { acc: 0, indices: [0, 1, 2, 3], correct, groups: ['g0', 'g0', 'g1', 'g1'] } },
    });
    const d: ResultsData = {
      experiment: 'x',
      tasks: ['t'],
      extraction: ['held'],
      runs: [
        r('s', 0, [1, 1, 1, 0], [0, 1, 0, 0], { contaminated: ['c2'] }),
        r('s', 1, [1, 0, 1, 1], [0, 1, 0, 0], { contaminated: ['c2'] }),
        r('s:natural', 0, [1, 0, 1, 0], [1, 1, 1, 0], { control: 'forgetting' }),
        r('s:natural', 1, [1, 0, 0, 0], [1, 1, 1, 0], { control: 'forgetting' }),
      ],
      bases: [base],
      statistics: { resamples: 100, level: 0.95, seed: 0 },
      missing: [],
    };
    const f = studyFindings(d).find((x) => x.id === 'decoupling')!;
    const vsControl = f.contrasts.find((c) => c.name.includes('forgetting control'))!;
    // without c2 (regenerated by the self corpora): control extracts 2 of 3, self 0 of 3 → a 100% drop
    expect(vsControl.estimate).toBe(1);
  });
});
