/** MMLU per-subject and group scores against test/reference/harness_groups.py (the harness's formulas). */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateMultipleChoice, type ItemResult } from '../../lib/eval/metrics';
import { MMLU_SUBJECTS } from '../../lib/eval/mmlu-subjects';

describe('MMLU group aggregation (weight_by_size, pooled_sample_stderr)', () => {
  it('subjects → categories → mmlu equal the reference, unequal subject sizes', () => {
    const subjects = [
      'abstract_algebra',
      'anatomy',
      'virology',
      'marketing',
      'sociology',
      'econometrics',
      'philosophy',
      'prehistory',
      'world_religions',
    ];
    const items: ItemResult[] = [];
    subjects.forEach((s, si) => {
      for (let i = 0; i < 3 + si * 2; i++) {
        const pred = (i * (si + 3)) % 4 === 0 ? 0 : 1;
        items.push({
          index: items.length,
          gold: 0,
          pred,
          pred_norm: pred,
          loglikelihoods: [0, 0, 0, 0],
          is_greedy: [false, false, false, false],
          subtask: `mmlu_${s}`,
        });
      }
    });
    const report = aggregateMultipleChoice('mmlu', items);
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(__dirname, '..', 'reference', 'harness_groups.py')], {
        encoding: 'utf8',
        input: JSON.stringify({
          items: items.map((r) => ({ subject: r.subtask!.slice(5), acc: r.pred === r.gold ? 1 : 0 })),
          categories: MMLU_SUBJECTS,
        }),
      }),
    ) as Record<string, { acc: number; acc_stderr: number; n: number }>;
    const ours = { ...report.subtasks!, ...report.groups! };
    expect(Object.keys(ours).sort()).toEqual(Object.keys(ref).sort());
    for (const [name, r] of Object.entries(ref)) {
      expect(ours[name]!.n).toBe(r.n);
      expect(ours[name]!.values['acc']).toBeCloseTo(r.acc, 12);
      expect(ours[name]!.values['acc_stderr']).toBeCloseTo(r.acc_stderr, 12);
    }
    expect(report.groups!['mmlu']!.values['acc']).toBeCloseTo(report.acc, 12); // size-weighted = the item mean
  });
});
