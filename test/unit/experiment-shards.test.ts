/**
 * Data-parallel sampling in experiments (`sampling.shards: N`): N part steps, which `--devices` and
 * `--emit slurm` run in parallel, and a merge step that takes the corpus's id; the merged corpus is
 * byte for byte the one a single sample step writes (real executors, tiny model, real tokenizer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, fakeExecutors, loadExperiment, type Step } from '../../lib/experiment';
import { runExperiment } from '../../lib/experiment/run-experiment';
import type { StepContext } from '../../lib/experiment/executor';
import { mergeExecutor, sampleExecutor } from '../../lib/experiment/executors/corpus';
import { levels } from '../../lib/experiment/slurm';
import { stepContext, writeFixtureExperiment } from '../helpers/experiment-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { makeTinyModel } from '../helpers/tiny-models';

const tmp = makeTmpDir('resurface-shards-');
afterAll(() => removeTmpDir(tmp));

function sharded(dir: string, extra: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = writeFixtureExperiment(dir, { seeds: [0], temperatures: [1.0] });
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  max_new_tokens: 16\n', `  max_new_tokens: 16\n${extra}`));
  return file;
}

describe('sharded sampling in the plan', () => {
  const file = sharded(path.join(tmp, 'plan'), '  shards: 3\n  batch_size: 4\n');

  it('N part steps on devices, one merge step with the corpus id, downstream unchanged', () => {
    const plan = buildPlan(loadExperiment(file));
    const parts = plan.steps.filter((s) => s.id.startsWith('sample/large/T1/s0/'));
    expect(parts.map((s) => `${s.id} ${s.kind} ${s.device}`)).toEqual([
      'sample/large/T1/s0/part0of3 sample true',
      'sample/large/T1/s0/part1of3 sample true',
      'sample/large/T1/s0/part2of3 sample true',
    ]);
    expect(parts.map((s) => s.settings.part)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    const merge = plan.steps.find((s) => s.id === 'sample/large/T1/s0')!;
    expect(merge.kind).toBe('merge');
    expect(merge.deps).toEqual(parts.map((s) => s.id));
    expect(plan.steps.find((s) => s.id === 'train/small/large/T1/s0')!.deps).toEqual(['sample/large/T1/s0']);
    // Slurm: the parts are one job array level, the merges the next.
    const lv = levels(plan.steps);
    expect(lv[0]!.filter((s) => s.kind === 'sample')).toHaveLength(9);
    expect(lv[1]!.filter((s) => s.kind === 'merge')).toHaveLength(3);
  });

  it('needs a numeric batch size (every part must decode with the same one)', () => {
    expect(() => loadExperiment(sharded(path.join(tmp, 'auto'), '  shards: 2\n  batch_size: auto\n'))).toThrow(
      /sharded sampling needs a numeric batch_size/,
    );
  });

  it('runs through the runner on two devices', async () => {
    const r = await runExperiment({ file, out: path.join(tmp, 'plan', 'run'), devices: ['cuda:0', 'cuda:1'], executors: fakeExecutors() });
    if (r.mode !== 'run') throw new Error(`expected a run, got ${r.mode}`);
    expect(r.summary.failures).toEqual([]);
  });
});

describe('the merged corpus is the single-process corpus', () => {
  it('byte for byte, shards and counts', async () => {
    const model = await makeTinyModel('EleutherAI--pythia-70m', tmp);
    const settings = {
      temperature: 1,
      seed: 3,
      num_samples: 120,
      max_new_tokens: 12,
      top_k: 0,
      top_p: 1,
      min_p: 0,
      start_token: null,
      logprobs: true,
    };
    const ctx = (outDir: string, inputs: StepContext['inputs'] = {}): StepContext => stepContext(outDir, model, inputs);
    const step = (id: string, extra: Record<string, unknown> = {}) =>
      ({ id, settings: { ...settings, ...extra }, runtime: { batch_size: 8 } }) as unknown as Step;
    const single = path.join(tmp, 'single');
    const one = await sampleExecutor.run(step('sample/x'), ctx(single));
    const inputs: StepContext['inputs'] = {};
    for (const i of [0, 1]) {
      const dir = path.join(tmp, `part${i}`);
      const result = await sampleExecutor.run(step(`sample/x/part${i}of2`, { part: { index: i, count: 2 } }), ctx(dir));
      inputs[`part${i}`] = { dir, result } as StepContext['inputs'][string];
    }
    const merged = path.join(tmp, 'merged');
    const m = await mergeExecutor.run(step('sample/x'), ctx(merged, inputs));
    expect(m).toMatchObject({ samples: one.samples, tokens: one.tokens, parts: 2 });
    const shards = fs
      .readdirSync(single)
      .filter((f) => f.startsWith('samples-'))
      .sort();
    expect(shards.length).toBeGreaterThan(1);
    expect(
      fs
        .readdirSync(merged)
        .filter((f) => f.startsWith('samples-'))
        .sort(),
    ).toEqual(shards);
    for (const f of shards) expect(fs.readFileSync(path.join(merged, f))).toEqual(fs.readFileSync(path.join(single, f)));
  });
});
