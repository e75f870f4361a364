/**
 * Native evaluation kernels against the independent PyTorch reference (float32, 1e-4) on tiny
 * random models with real tokenizers: continuation log-likelihoods and is_greedy (with and
 * without shared-context reuse), perplexity windows and bits per byte, greedy extraction,
 * embeddings. All inputs are prepared first, then each model's golden values come from one
 * reference run (the Python interpreter start dominates otherwise).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embed } from '../../lib/eval/embed';
import { encodeItem, evaluateTask, groupRequests } from '../../lib/eval/evaluate';
import { loadExtractionData, runExtraction } from '../../lib/eval/extraction';
import { writeMegatron } from '../../lib/eval/megatron';
import { computePerplexity, stridedWindows, type Window } from '../../lib/eval/perplexity';
import type { EncodedRequest } from '../../lib/eval/requests';
import { greedyExtract, scoreContinuations, tokenLogprobs } from '../../lib/eval/scoring';
import { parseTaskRecord, type TaskFile } from '../../lib/eval/task-file';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { refJob, toLoglik, type RefLoglik } from '../helpers/ref-eval';
import { pythonTorchSkipReason } from '../helpers/reference';
import { makeTmpDir, removeTmpDir, type SharedModel } from '../helpers/shared';
import { makeTinyModel } from '../helpers/tiny-models';

const skip = pythonTorchSkipReason();
const TOL = 1e-4;
const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

const RECORDS = [
  {
    context: 'Question: Which gas do plants take in?\nAnswer:',
    choices: ['carbon dioxide', 'oxygen', 'helium gas in large amounts'],
    gold: 0,
  },
  { context: 'The capital of France is ', choices: ['Paris', 'Lyon'], gold: 0 }, // trailing space moves into the continuation
  { context: 'Sarah cooked better than Maria. ', choices: ['She', 'It'], gold: 1, target_delimiter: '' },
  { choices: ['Anna thanked Mary because Anna', 'Anna thanked Mary because Mary'], continuation: 'had helped.', gold: 1 },
  { context: 'x', choices: ['y'], gold: 0 },
];
const TEXT = 'The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs — naïve café 東京.';
const EMBED_ROWS = [
  [5, 6, 7, 8, 9],
  [10, 11],
  [12, 13, 14],
];
const item = (v: unknown, i: number) => parseTaskRecord(v, i, i + 1, `fixture:${i + 1}`);

describe.skipIf(skip !== null)('evaluation kernels vs PyTorch reference', () => {
  for (const name of ['EleutherAI--pythia-70m', 'meta-llama--Llama-3.2-1B', 'Qwen--Qwen3-0.6B'] as SharedModel[]) {
    describe(name, () => {
      let modelDir: string;
      let model: Model;
      let tok: TextTokenizer;
      let encoded: EncodedRequest[][];
      let docIds: number[];
      let windows: Window[];
      let ref: { loglik: RefLoglik[]; doc: RefLoglik; windows: number[][]; embed: number[][] };

      beforeAll(async () => {
        modelDir = await makeTinyModel(name, dir);
        model = await Model.load(modelDir, { threads: 2 });
        tok = await TextTokenizer.load(modelDir);
        encoded = await Promise.all(RECORDS.map((r, i) => encodeItem(tok, item(r, i), 2048)));
        // requests whose continuation is our greedy continuation: the reference must call them greedy
        const ctx = encoded[0]![0]!.context;
        const [gen] = await greedyExtract(model, [ctx], 3);
        encoded.push([
          { context: ctx, continuation: [...gen!] },
          { context: ctx, continuation: [gen![0]!] },
        ]);
        docIds = await tok.encode(TEXT, { addSpecialTokens: false });
        const prefix = tok.special.bos ?? tok.special.eos!;
        windows = stridedWindows([prefix, ...docIds], 8, 3);
        const raw = await refJob(modelDir, [
          { op: 'loglik', requests: [...encoded.flat(), { context: [prefix], continuation: docIds }] },
          { op: 'windows', rows: windows.map((w) => w.tokens), from: windows.map((w) => w.scoreFrom) },
          { op: 'embed', rows: EMBED_ROWS },
        ]);
        const ll = toLoglik(raw[0]);
        ref = { loglik: ll.slice(0, -1), doc: ll[ll.length - 1]!, windows: raw[1] as number[][], embed: raw[2] as number[][] };
      });
      afterAll(() => model?.dispose());

      it('continuation log-likelihoods and is_greedy match, shared context or not', async () => {
        for (const share of [true, false]) {
          const groups = encoded.map(groupRequests);
          const got = await scoreContinuations(
            model,
            groups.flatMap((g) => g.groups),
            { batchSize: 3, shareContext: share },
          );
          let base = 0;
          let k = 0;
          for (const g of groups) {
            for (const [gi, ci] of g.where) {
              const s = got[base + gi]![ci]!;
              expect(Math.abs(s.logprob - ref.loglik[k]!.logprob), `request ${k} share=${share}`).toBeLessThan(TOL);
              expect(s.isGreedy, `request ${k}`).toBe(ref.loglik[k]!.isGreedy);
              k++;
            }
            base += g.groups.length;
          }
          expect(k).toBe(ref.loglik.length);
        }
        expect(ref.loglik.slice(-2).map((r) => r.isGreedy)).toEqual([true, true]);
      });

      it('perplexity windows and bits per byte match', async () => {
        const bytes = Buffer.byteLength(TEXT, 'utf8');
        const one = await computePerplexity(model, tok, [{ source: 'x', text: TEXT }], { maxLength: 256 });
        expect([one.bytes, one.tokens]).toEqual([bytes, docIds.length]);
        expect(Math.abs(one.bits_per_byte - -ref.doc.logprob / bytes / Math.LN2)).toBeLessThan(TOL);
        const got = await tokenLogprobs(
          model,
          windows.map((w) => w.tokens),
          windows.map((w) => w.scoreFrom),
          { batchSize: 4 },
        );
        let refTotal = 0;
        windows.forEach((_, i) => {
          expect(got[i]!.length).toBe(ref.windows[i]!.length);
          got[i]!.forEach((v, j) => expect(Math.abs(v - ref.windows[i]![j]!)).toBeLessThan(TOL));
          refTotal += ref.windows[i]!.reduce((a, b) => a + b, 0);
        });
        const strided = await computePerplexity(model, tok, [{ source: 'x', text: TEXT }], { maxLength: 8, stride: 3 });
        expect(Math.abs(strided.bits_per_byte - -refTotal / bytes / Math.LN2)).toBeLessThan(TOL);
      });

      it('mean-pooled embeddings match', async () => {
        const got = await embed(model, EMBED_ROWS, { batchSize: 2 });
        expect([got.n, got.dim]).toEqual([3, model.config.hiddenSize]);
        EMBED_ROWS.forEach((_, i) => ref.embed[i]!.forEach((v, j) => expect(Math.abs(got.data[i * got.dim + j]! - v)).toBeLessThan(TOL)));
      });
    });
  }

  describe('extraction and evaluateTask (pythia)', () => {
    const P = 8;
    const S = 6;
    const offset = 2;
    let modelDir: string;
    let model: Model;
    let tok: TextTokenizer;
    let gen: number[][];
    let taskRef: RefLoglik[];
    const prompts = Array.from({ length: 5 }, (_, i) => Array.from({ length: P }, (_, j) => 100 + 37 * i + 11 * j));
    const task: TaskFile = { name: 'fixture', kind: 'multiple_choice', items: RECORDS.slice(0, 3).map(item) };

    beforeAll(async () => {
      modelDir = await makeTinyModel('EleutherAI--pythia-70m', dir, 2);
      model = await Model.load(modelDir, { threads: 2 });
      tok = await TextTokenizer.load(modelDir);
      const enc = (await Promise.all(task.items.map((it) => encodeItem(tok, it, 2048)))).flat();
      const raw = await refJob(modelDir, [
        { op: 'greedy', rows: prompts, n: S },
        { op: 'loglik', requests: enc },
      ]);
      gen = raw[0] as number[][];
      taskRef = toLoglik(raw[1]);
    });
    afterAll(() => model?.dispose());

    it('the model’s own greedy continuation scores 1 and exact; others score what the reference says', async () => {
      const seqs = prompts.map((p, i) => {
        // sequences 0, 2, 4 carry the greedy suffix; 1 has two tokens changed; 3 a foreign suffix
        let suffix = [...gen[i]!];
        if (i === 1) suffix = suffix.map((t, j) => (j === 1 || j === 4 ? (t + 1) % 50000 : t));
        if (i === 3) suffix = suffix.map((t) => (t + 7) % 50000);
        return [9, 9, ...p, ...suffix, 1, 2]; // `offset` tokens before the prefix, extra tokens after
      });
      const prefix = path.join(dir, 'mem');
      await writeMegatron(prefix, seqs, 'uint16');
      const data = await loadExtractionData(`${prefix}.idx`, offset + P + S, null, [0, 1, 2, 3, 4]);
      const r = await runExtraction(model, data, { prefixLen: P, suffixLen: S, offset, batchSize: 2 });
      const expectScore = (i: number) => seqs[i]!.slice(offset + P, offset + P + S).filter((t, j) => t === gen[i]![j]).length / S;
      expect(r.items.map((it) => it.index)).toEqual([0, 1, 2, 3, 4]);
      expect(r.items.map((it) => it.score)).toEqual([0, 1, 2, 3, 4].map(expectScore));
      expect(r.items.map((it) => it.exact)).toEqual([true, false, true, false, true]);
      expect(r.items[1]!.score).toBeCloseTo(4 / 6, 12);
      expect(r.exact_match_rate).toBeCloseTo(0.6, 12);
      expect(r.mean_score).toBeCloseTo(r.items.reduce((a, it) => a + it.score, 0) / 5, 12);
      expect(r.exact_match_ci[0]).toBeLessThanOrEqual(0.6);
      expect(r.exact_match_ci[1]).toBeGreaterThanOrEqual(0.6);
      // the same sequences from JSONL, selected by indices
      const jl = path.join(dir, 'mem.jsonl');
      fs.writeFileSync(jl, seqs.map((s) => JSON.stringify({ tokens: s })).join('\n'));
      const r2 = await runExtraction(model, await loadExtractionData(jl, offset + P + S, null, [4, 1]), {
        prefixLen: P,
        suffixLen: S,
        offset,
      });
      expect(r2.items).toEqual([r.items[4], r.items[1]]);
      await expect(loadExtractionData(jl, 100, null)).rejects.toThrow(
        /mem\.jsonl:1: sequence has 18 tokens; offset \+ prefix \+ suffix needs 100/,
      );
      await expect(loadExtractionData(`${prefix}.bin`, 100, null, [3])).rejects.toThrow(/sequence 3 has 18 tokens/);
    });

    it('evaluateTask reports the issue’s JSON format with reference log-likelihoods', async () => {
      const rep = await evaluateTask(model, tok, task, { batchSize: 4 });
      expect(Object.keys(rep)).toEqual(['task', 'n', 'acc', 'acc_stderr', 'acc_norm', 'acc_norm_stderr', 'items']);
      expect(Object.keys(rep.items[0]!)).toEqual(['index', 'gold', 'pred', 'pred_norm', 'loglikelihoods', 'is_greedy']);
      const lls = rep.items.flatMap((it) => ('loglikelihoods' in it ? it.loglikelihoods : []));
      expect(lls).toHaveLength(taskRef.length);
      lls.forEach((v, i) => expect(Math.abs(v - taskRef[i]!.logprob)).toBeLessThan(TOL));
    });

    it('rejects requests beyond the model’s positions with a clear error', async () => {
      const long = Array.from({ length: model.config.maxPositionEmbeddings + 1 }, () => 1);
      await expect(scoreContinuations(model, [{ context: long, continuations: [[2]] }])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });

    it('keeps the event loop free while scoring', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const rows = Array.from({ length: 64 }, (_, i) => ({
        context: Array.from({ length: 64 }, (_, j) => 10 + i + j),
        continuations: [[5, 6, 7]],
      }));
      await scoreContinuations(model, rows, { batchSize: 8 });
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(0);
    });
  });
});
