/** `evaluation.checkpoints`: every epoch's checkpoint of every trained run evaluated, as the reference does, and the report's learning curve. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, fakeExecutors, loadExperiment } from '../../lib/experiment';
import { runExperiment } from '../../lib/experiment/run-experiment';
import { evalExecutor } from '../../lib/experiment/executors/evaluate';
import { trainExecutor } from '../../lib/experiment/executors/train';
import { record, writeCorpusFixture } from '../helpers/corpus-fixture';
import { stepContext, writeFixtureExperiment } from '../helpers/experiment-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { makeTinyModel } from '../helpers/tiny-models';

const tmp = makeTmpDir('resurface-ckpt-');
afterAll(() => removeTmpDir(tmp));

function withEpochs(dir: string, training: string, evaluation = '  checkpoints: true\n'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = writeFixtureExperiment(dir, { seeds: [0, 1], temperatures: [1.0] });
  const text = fs
    .readFileSync(file, 'utf8')
    .replace('training:\n  max_steps: 10\n', `training:\n${training}`)
    .replace('evaluation:\n', `evaluation:\n${evaluation}`);
  fs.writeFileSync(file, text);
  return file;
}

describe('evaluating every epoch', () => {
  const file = withEpochs(path.join(tmp, 'ok'), '  epochs: 3\n  save_every_epoch: true\n');

  it('plans one evaluation per task and epoch before the last, reading the epoch checkpoint', () => {
    const plan = buildPlan(loadExperiment(file));
    const ids = plan.steps.filter((s) => s.id.startsWith('eval/small/large/T1/s0/')).map((s) => s.id);
    expect(ids).toEqual(['eval/small/large/T1/s0/facts', 'eval/small/large/T1/s0/epoch1/facts', 'eval/small/large/T1/s0/epoch2/facts']);
    const e1 = plan.steps.find((s) => s.id === 'eval/small/large/T1/s0/epoch1/facts')!;
    expect(e1.settings.checkpoint).toBe('checkpoint-epoch-1');
    expect(e1.coords.epoch).toBe(1);
    expect(plan.steps.find((s) => s.id === 'train/small/large/T1/s0')!.settings.save_every_epoch).toBe(true);
  });

  it('the report shows the learning curve and the findings use the final models only', async () => {
    const runDir = path.join(tmp, 'ok', 'run');
    const r = await runExperiment({ file, out: runDir, executors: fakeExecutors() });
    if (r.mode !== 'run') throw new Error(`expected a run, got ${r.mode}`);
    expect(r.summary.failures).toEqual([]);
    const md = fs.readFileSync(path.join(runDir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('## Accuracy by training epoch');
    for (const epoch of [0, 1, 2, 3]) expect(md).toMatch(new RegExp(`\\| small \\| large \\| ${epoch} \\| \\d+\\.\\d% \\| `));
    const csv = fs
      .readFileSync(path.join(runDir, 'report', 'results.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(1 + 3 + 3 * 2); // header, 3 base models, 3 sources × 2 seeds (no row per epoch)
  });

  it('needs training.save_every_epoch and whole epochs', () => {
    expect(() => loadExperiment(withEpochs(path.join(tmp, 'bad'), '  epochs: 3\n'))).toThrow(/evaluation\.checkpoints.*save_every_epoch/s);
    expect(() => loadExperiment(withEpochs(path.join(tmp, 'bad2'), '  max_steps: 10\n  save_every_epoch: true\n'))).toThrow(
      /whole number of training\.epochs/,
    );
  });
});

describe('real executors', () => {
  it('a train step with save_every_epoch keeps its epoch checkpoints and an eval step reads one', async () => {
    const model = await makeTinyModel('EleutherAI--pythia-70m', tmp);
    const corpus = path.join(tmp, 'corpus');
    fs.mkdirSync(corpus);
    await writeCorpusFixture(corpus, [Array.from({ length: 12 }, (_, i) => record(i, [5 + i, 6 + i, 7 + i, 8 + i, 9 + i, 10 + i]))]);
    const ctx = (outDir: string, inputs: Record<string, { dir: string; result: Record<string, unknown> }>) =>
      stepContext(outDir, model, inputs);
    const t = {
      epochs: 2,
      lr: 1e-3,
      schedule: 'constant',
      warmup: 0,
      batch_size: 4,
      grad_accum: 1,
      seq_len: 8,
      packing: 'concat',
      weight_decay: 0,
      grad_clip: 1,
      betas: [0.9, 0.999],
      eps: 1e-8,
      dtype: 'float32',
      seed: 0,
      save_every_epoch: true,
    };
    const trained = path.join(tmp, 'trained');
    await trainExecutor.run(
      { id: 'train/x', settings: t } as never,
      ctx(trained, { corpus: { dir: corpus, result: { samples: 12, tokens: 72 } } }),
    );
    expect(fs.existsSync(path.join(trained, 'checkpoint-epoch-1', 'config.json'))).toBe(true);
    const task = path.join(tmp, 'task.jsonl');
    fs.writeFileSync(
      task,
      [0, 1, 2].map((i) => JSON.stringify({ context: `Item ${i} is`, choices: ['red', 'blue'], gold: i % 2 })).join('\n') + '\n',
    );
    const evalStep = (checkpoint?: string) =>
      ({
        id: 'eval/x',
        settings: { limit: null, ...(checkpoint ? { checkpoint } : {}) },
        runtime: { batch_size: 4, task_file: task },
      }) as never;
    const atEpoch1 = (await evalExecutor.run(
      evalStep('checkpoint-epoch-1'),
      ctx(path.join(tmp, 'e1'), { model: { dir: trained, result: {} } }),
    )) as { items: Array<{ loglikelihoods: number[] }> };
    const final = (await evalExecutor.run(evalStep(), ctx(path.join(tmp, 'e2'), { model: { dir: trained, result: {} } }))) as {
      items: Array<{ loglikelihoods: number[] }>;
    };
    // two different models: epoch 1 and the end of training
    expect(atEpoch1.items[0]!.loglikelihoods).not.toEqual(final.items[0]!.loglikelihoods);
  });
});
