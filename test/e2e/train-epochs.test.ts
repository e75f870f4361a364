/**
 * The reference's training protocol: --warmup-ratio (warmup = ceil(R · total steps), then cosine,
 * as transformers' get_cosine_schedule_with_warmup — golden values from the closed form here),
 * --save-every-epoch (checkpoint-epoch-N/ in Hugging Face layout, loadable, the last equal to the
 * final model), the effective batch printed, and `eval --all-checkpoints`: the base model (from
 * the run's trainer_state.json) and every checkpoint evaluated into curve.json / .md / .svg.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curvePoints, evaluateCurve, writeCurve } from '../../lib/eval/checkpoint-curve';
import { evaluateTask } from '../../lib/eval/evaluate';
import type { MultipleChoiceReport } from '../../lib/eval/metrics';
import { readTaskFile } from '../../lib/eval/task-file';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { warmupSteps } from '../../lib/train/options';
import { train } from '../../lib/train/train';
import { runCli } from '../helpers/cli';
import { makeTmpDir, readSharedConfig, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

let root: string;
let base: string;
let text: string;
let taskFile: string;

beforeAll(async () => {
  root = makeTmpDir('resurface-epochs-');
  base = path.join(root, 'base');
  await initRandomModel({
    configJson: readSharedConfig('EleutherAI--pythia-70m'),
    outDir: base,
    seed: 3,
    tiny: { maxPositionEmbeddings: 64 },
    tokenizerDir: sharedTokenizerDir('pythia'),
  });
  const words = ['river', 'stone', 'light', 'north', 'quiet', 'garden'];
  text = path.join(root, 'text.txt');
  fs.writeFileSync(text, Array.from({ length: 12 }, (_, i) => `The ${words[i % 6]} and the ${words[(i * 5) % 6]} met.`).join('\n'));
  taskFile = path.join(root, 'task.jsonl');
  const items = [
    { context: 'The river and the', choices: [' stone', ' paper'], gold: 0 },
    { context: 'The light and the', choices: [' north', ' glass', ' quiet'], gold: 0 },
    { context: 'The garden and the', choices: [' window', ' river'], gold: 1 },
  ];
  fs.writeFileSync(taskFile, items.map((x) => JSON.stringify(x)).join('\n'));
}, 120_000);

afterAll(() => {
  if (root) removeTmpDir(root);
});

describe('train --warmup-ratio --save-every-epoch, eval --all-checkpoints', () => {
  let run: string;

  it('warmup = ceil(R · total) (transformers warmup_ratio), then cosine; R and --warmup together are refused', async () => {
    expect(warmupSteps({ warmup: 0, warmupRatio: 0.1 }, 25)).toBe(3);
    expect(warmupSteps({ warmup: 0, warmupRatio: 0.1 }, 30)).toBe(3);
    expect(warmupSteps({ warmup: 0, warmupRatio: 0 }, 30)).toBe(0);
    expect(warmupSteps({ warmup: 5 }, 30)).toBe(5);
    await expect(
      train({ model: base, data: text, out: path.join(root, 'bad'), warmup: 2, warmupRatio: 0.1, maxSteps: 2 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('a checkpoint per epoch in Hugging Face layout; the lr follows warmup + cosine; the last epoch is the final model', async () => {
    run = path.join(root, 'run');
    const events: string[] = [];
    let start: unknown;
    const s = await train({
      model: base,
      data: text,
      out: run,
      epochs: 3,
      batchSize: 2,
      gradAccum: 1,
      seqLen: 16,
      lr: 1e-3,
      schedule: 'cosine',
      warmupRatio: 0.25,
      saveEveryEpoch: true,
      threads: 1,
      onProgress: (p) => {
        if (p.event === 'checkpoint') events.push(path.basename(p.checkpoint!));
        if (p.event === 'start') start = p;
      },
    });
    const total = s.totalSteps;
    const W = Math.ceil(0.25 * total);
    expect(start).toMatchObject({ warmupSteps: W, effectiveBatch: { sequences: 2, seqLen: 16, tokens: 32 } });
    expect(events).toEqual(['checkpoint-epoch-1', 'checkpoint-epoch-2', 'checkpoint-epoch-3']);
    const metrics = fs
      .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; lr: number });
    for (const m of metrics) {
      const k = m.step - 1;
      const golden = k < W ? (1e-3 * k) / W : 1e-3 * 0.5 * (1 + Math.cos((Math.PI * (k - W)) / (total - W)));
      expect(m.lr, `step ${m.step}`).toBeCloseTo(golden, 12);
    }
    for (const e of [1, 2, 3]) {
      const d = path.join(run, `checkpoint-epoch-${e}`);
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'trainer_state.json'])
        expect(fs.existsSync(path.join(d, f)), `${d}/${f}`).toBe(true);
      expect(fs.existsSync(path.join(d, 'optimizer.safetensors'))).toBe(false);
      expect(JSON.parse(fs.readFileSync(path.join(d, 'trainer_state.json'), 'utf8')).epoch).toBe(e);
    }
    expect(
      fs
        .readFileSync(path.join(run, 'checkpoint-epoch-3', 'model.safetensors'))
        .equals(fs.readFileSync(path.join(run, 'model.safetensors'))),
    ).toBe(true);
    expect(
      fs
        .readFileSync(path.join(run, 'checkpoint-epoch-1', 'model.safetensors'))
        .equals(fs.readFileSync(path.join(run, 'model.safetensors'))),
    ).toBe(false);
  }, 120_000);

  it('evaluates the base model and every epoch checkpoint; the curve files are written', async () => {
    const points = curvePoints(run);
    expect(points.map((p) => p.label)).toEqual(['base', 'epoch 1', 'epoch 2', 'epoch 3']); // the final model is epoch 3
    expect(points[0]!.dir).toBe(path.resolve(base));
    const task = readTaskFile(taskFile);
    const rows = await evaluateCurve(run, [task], (d) => Model.load(d, { threads: 1 }), { batchSize: 4 });
    expect(rows).toHaveLength(4);
    // independent of the curve code: the base model evaluated directly
    const m = await Model.load(base, { threads: 1 });
    try {
      const direct = (await evaluateTask(m, await TextTokenizer.load(base), task, { batchSize: 4 })) as MultipleChoiceReport;
      expect(rows[0]).toMatchObject({ label: 'base', step: 0, acc: direct.acc, acc_norm: direct.acc_norm });
    } finally {
      m.dispose();
    }
    const files = await writeCurve(path.join(root, 'curve'), run, rows);
    expect(fs.readFileSync(files.svg, 'utf8')).toMatch(/^<svg/);
    expect(
      fs
        .readFileSync(files.markdown, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('| epoch')),
    ).toHaveLength(3);
    expect(JSON.parse(fs.readFileSync(files.json, 'utf8')).rows).toEqual(rows);
  }, 120_000);

  it('on the command line: the effective batch is printed; eval --all-checkpoints writes the curve', async () => {
    const out = path.join(root, 'cli-run');
    const t = await runCli(
      [
        'train',
        '--model',
        base,
        '--data',
        text,
        '--out',
        out,
        '--max-steps',
        '2',
        '--batch-size',
        '2',
        '--grad-accum',
        '3',
        '--seq-len',
        '16',
        '--warmup-ratio',
        '0.5',
        '--save-every-epoch',
        '--threads',
        '1',
      ],
      120_000,
    );
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toContain('effective batch: 2 × 3 = 6 sequences × 16 tokens = 96 tokens per step; 2 steps, warmup 1');
    const e = await runCli(
      ['eval', '--model', out, '--all-checkpoints', '--task', taskFile, '--task', taskFile, '--threads', '1', '--json'],
      120_000,
    );
    expect(e.status, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout);
    const labels: string[] = j.rows.map((r: { label: string }) => r.label);
    expect(labels.slice(0, 2)).toEqual(['base', 'base']); // two tasks per model
    expect(labels.length).toBeGreaterThanOrEqual(4);
    for (let i = 2; i < labels.length; i += 2) {
      expect(labels[i]).toMatch(/^epoch \d+$/);
      expect(labels[i + 1]).toBe(labels[i]);
    }
    expect(fs.existsSync(path.join(out, 'eval-curve', 'curve.svg'))).toBe(true);
    const bad = await runCli(['eval', '--model', base, '--all-checkpoints', '--task', taskFile], 60_000);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('ERR_INVALID_ARGUMENT');
  }, 240_000);
});
