/**
 * The report scores ARC and HellaSwag by acc_norm and other multiple-choice tasks by acc (the
 * lm-evaluation-harness convention), per item too: the study pairs items by these 0/1 scores.
 * The eval result below is built so that acc and acc_norm disagree on every item.
 */
import { describe, expect, it } from 'vitest';
import { headlineMetric } from '../../lib/eval/headline-metric';
import { taskScoresFromEval } from '../../lib/report/results';

// gold 0 everywhere; pred (raw loglikelihood) right on items 0, 1; pred_norm right on items 2, 3, 4
const evalResult = {
  task: 'x',
  n: 5,
  acc: 0.4,
  acc_stderr: 0.24,
  acc_norm: 0.6,
  acc_norm_stderr: 0.245,
  items: [
    { index: 0, gold: 0, pred: 0, pred_norm: 1 },
    { index: 1, gold: 0, pred: 0, pred_norm: 2 },
    { index: 2, gold: 0, pred: 1, pred_norm: 0 },
    { index: 3, gold: 0, pred: 3, pred_norm: 0 },
    { index: 4, gold: 0, pred: 2, pred_norm: 0 },
  ],
};

describe('headline metric of a task', () => {
  it('acc_norm for ARC and HellaSwag, acc for the rest', () => {
    for (const t of ['arc_easy', 'arc_challenge', 'ARC-Easy', 'arc', 'hellaswag']) expect(headlineMetric(t), t).toBe('acc_norm');
    for (const t of ['piqa', 'sciq', 'lambada', 'mmlu', 'archive', 'facts-latent', 'truthfulqa_mc2'])
      expect(headlineMetric(t), t).toBe('acc');
  });

  it('acc_norm scores come from pred_norm, acc scores from pred', () => {
    const norm = taskScoresFromEval(evalResult, headlineMetric('arc_easy'));
    expect(norm).toMatchObject({ metric: 'acc_norm', acc: 0.6, acc_stderr: 0.245, indices: [0, 1, 2, 3, 4], correct: [0, 0, 1, 1, 1] });
    const plain = taskScoresFromEval(evalResult, headlineMetric('piqa'));
    expect(plain).toMatchObject({ metric: 'acc', acc: 0.4, acc_stderr: 0.24, correct: [1, 1, 0, 0, 0] });
  });

  it('a task without acc_norm (mc2, loglikelihood) keeps acc', () => {
    const { acc_norm: _n, acc_norm_stderr: _s, ...mc2 } = evalResult;
    expect(taskScoresFromEval({ ...mc2, acc_norm: null }, 'acc_norm')).toMatchObject({ metric: 'acc', acc: 0.4, correct: [1, 1, 0, 0, 0] });
  });
});
