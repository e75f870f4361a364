/** A hand-made results table for report tests: known structure, seeded item outcomes. */
import { Rng } from '../../lib/stats';
import type { ResultsData, TrainedRun } from '../../lib/report';

export function handMadeResults(): ResultsData {
  const rng = new Rng(5);
  const nItems = 200;
  const nSeq = 40;
  const items = (p: number) => Array.from({ length: nItems }, () => (rng.next() < p ? 1 : 0));
  const seqs = (p: number) => Array.from({ length: nSeq }, () => (rng.next() < p ? 1 : 0));
  const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
  const task = (correct: number[]) => ({ acc: correct.reduce((s, v) => s + v, 0) / correct.length, indices: idx(correct.length), correct });
  const ext = (exact: number[]) => ({ rate: exact.reduce((s, v) => s + v, 0) / exact.length, indices: idx(exact.length), exact });
  // Base student: 40% on the task, 50% of canaries extracted. The larger same-family source helps a lot,
  // self a little, the cross-family source not at all; every source lowers extraction.
  const baseCorrect = items(0.4);
  const baseExact = seqs(0.5);
  const families: Record<string, string> = { small: 'A', large: 'A', other: 'B' };
  const lift: Record<string, number> = { small: 0.05, large: 0.25, other: 0 };
  const runs: TrainedRun[] = [];
  let k = 0;
  for (const source of ['small', 'large', 'other'])
    for (const temperature of [0.7, 1.0])
      for (const seed of [0, 1]) {
        const correct = baseCorrect.map((c) => (c === 1 ? 1 : rng.next() < lift[source] * (temperature === 1 ? 1.2 : 0.8) ? 1 : 0));
        const exact = baseExact.map((e) => (e === 1 && rng.next() < 0.6 ? 1 : 0));
        k++;
        runs.push({
          student: 'small',
          source,
          studentFamily: 'A',
          sourceFamily: families[source],
          temperature,
          seed,
          tasks: { facts: task(correct) },
          extraction: { canaries: ext(exact) },
          proxies: { loglik_student: -3 + 0.1 * k + rng.next() * 0.01, 'tfidf_centroid:facts': rng.next() },
          trainLoss: 2.5,
        });
      }
  return {
    experiment: 'hand-made',
    tasks: ['facts'],
    extraction: ['canaries'],
    runs,
    bases: [
      { model: 'small', family: 'A', tasks: { facts: task(baseCorrect) }, extraction: { canaries: ext(baseExact) } },
      { model: 'large', family: 'A', tasks: { facts: task(items(0.7)) }, extraction: { canaries: ext(seqs(0.8)) } },
    ],
    statistics: { resamples: 500, level: 0.95, seed: 0 },
    missing: [],
  };
}
