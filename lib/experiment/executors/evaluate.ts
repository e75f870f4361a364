/**
 * `eval` and `extract` steps on the evaluated model (the trained student, or a base
 * model). Their results are exactly the `eval --json` / `extract --json` objects, which the report
 * reads item by item for paired statistics.
 */
import * as path from 'node:path';
import { evaluateTask } from '../../eval/evaluate';
import { loadExtractionData, runExtraction } from '../../eval/extraction';
import { isMegatronPath } from '../../eval/megatron';
import { readTaskFile } from '../../eval/task-file';
import { Model } from '../../model/model';
import type { DeviceName } from '../../native/types';
import { evaluatedModelDir, type StepContext, type StepExecutor, type StepResult } from '../executor';
import { throwIfAborted } from './corpus';
import { TextTokenizer } from '../../tokenizer/tokenizer';

async function withModel<T>(dir: string, ctx: StepContext, fn: (model: Model) => Promise<T>): Promise<T> {
  const model = await Model.load(dir, { device: ctx.device as DeviceName, dtype: 'float32' });
  try {
    return await fn(model);
  } finally {
    model.dispose();
  }
}

export const evalExecutor: StepExecutor = {
  version: 'eval-1',
  async run(step, ctx) {
    const s = step.settings as { limit: number | null; checkpoint?: string };
    const task = readTaskFile(step.runtime.task_file as string, { limit: s.limit ?? undefined });
    // evaluation.checkpoints: an epoch's checkpoint inside the trained run (train --save-every-epoch)
    const dir = s.checkpoint ? path.join(evaluatedModelDir(ctx), s.checkpoint) : evaluatedModelDir(ctx);
    const tok = await TextTokenizer.load(dir);
    const report = await withModel(dir, ctx, (model) =>
      evaluateTask(model, tok, task, {
        batchSize: step.runtime.batch_size as number | undefined,
        onProgress: (done, total) => {
          ctx.progress(done, total, 'items');
          throwIfAborted(ctx, step.id);
        },
      }),
    );
    throwIfAborted(ctx, step.id);
    return report as unknown as StepResult;
  },
};

export const extractExecutor: StepExecutor = {
  version: 'extract-1',
  async run(step, ctx) {
    const s = step.settings as { prefix_len: number; suffix_len: number; offset: number };
    const data = step.runtime.data_file as string;
    const dir = evaluatedModelDir(ctx);
    const tok = isMegatronPath(data) ? null : await TextTokenizer.load(dir).catch(() => null);
    const seqs = await loadExtractionData(data, s.offset + s.prefix_len + s.suffix_len, tok);
    const report = await withModel(dir, ctx, (model) =>
      runExtraction(model, seqs, {
        prefixLen: s.prefix_len,
        suffixLen: s.suffix_len,
        offset: s.offset,
        batchSize: step.runtime.batch_size as number | undefined,
        onProgress: (done, total) => {
          ctx.progress(done, total, 'sequences');
          throwIfAborted(ctx, step.id);
        },
      }),
    );
    throwIfAborted(ctx, step.id);
    return report as unknown as StepResult;
  },
};
