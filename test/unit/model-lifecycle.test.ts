/**
 * Model lifecycle and argument validation: load → forward → dispose, use after dispose, info(),
 * the event loop staying responsive during a forward pass (AsyncWorker), bad arguments rejected
 * with stable codes, and concurrent forward calls on one model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResurfaceError, type ErrorCode } from '../../lib/errors';
import { parameterCount } from '../../lib/model/architectures';
import { initRandomModel } from '../../lib/model/init-random';
import { Model, type ForwardResult } from '../../lib/model/model';
import { defaultThreads, type LoadOptions } from '../../lib/model/options';
import { loadNative } from '../../lib/native/loader';
import type { TokenBatch } from '../../lib/model/batch';
import { makeTmpDir, readSharedConfig, removeTmpDir } from '../helpers/shared';
import { shrinkConfig } from '../../lib/model/tiny';

const VOCAB = 512;
const MAX_POS = 256;

/** Awaits `p` and returns the ResurfaceError it rejects with (fails if it resolves or rejects otherwise). */
async function rejection(p: Promise<unknown>): Promise<ResurfaceError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error('expected a rejection, but the promise resolved');
  if (!(err instanceof ResurfaceError)) throw new Error(`expected a ResurfaceError, got ${String(err)}`);
  return err;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<ResurfaceError> {
  const err = await rejection(p);
  expect(err.code, err.message).toBe(code);
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

function batchOf(rows: number, len: number, seed = 1): number[][] {
  return Array.from({ length: rows }, (_, b) => Array.from({ length: len - (b % 3) }, (_, t) => (seed * 7919 + b * 131 + t * 31) % VOCAB));
}

let root: string;
let dir: string;
let tiedDir: string;

beforeAll(async () => {
  root = makeTmpDir('resurface-lifecycle-');
  dir = `${root}/neox`;
  tiedDir = `${root}/qwen3`;
  // Wide enough that an 8×256 forward takes a while (tens to hundreds of ms on 2 cores).
  const neox = shrinkConfig(readSharedConfig('EleutherAI--pythia-70m'), {
    hiddenSize: 256,
    numLayers: 4,
    vocabSize: VOCAB,
    maxPositionEmbeddings: MAX_POS,
  });
  await initRandomModel({ configJson: neox, outDir: dir, seed: 5 });
  const qwen = readSharedConfig('Qwen--Qwen3-0.6B');
  qwen.bos_token_id = 1;
  qwen.eos_token_id = 2;
  await initRandomModel({ configJson: shrinkConfig(qwen, { vocabSize: VOCAB, maxPositionEmbeddings: MAX_POS }), outDir: tiedDir, seed: 5 });
});

afterAll(() => {
  if (root) removeTmpDir(root);
});

describe('lifecycle', () => {
  it('load → forward → dispose; forward, info and nativeHandle after dispose give ERR_DISPOSED; dispose twice is fine', async () => {
    const model = await Model.load(dir);
    expect(model.disposed).toBe(false);
    const r = await model.forward([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(r.shape).toEqual([2, 3, VOCAB]);
    expect(r.logits).toBeInstanceOf(Float32Array);
    expect(r.logits.length).toBe(2 * 3 * VOCAB);
    expect(r.logits.every(Number.isFinite)).toBe(true);
    model.dispose();
    expect(model.disposed).toBe(true);
    await expectCode(model.forward([[1, 2, 3]]), 'ERR_DISPOSED');
    expect(() => model.info()).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
    expect(() => model.nativeHandle()).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
    expect(() => model.dispose()).not.toThrow();
    expect(() => model.dispose()).not.toThrow();
    await expectCode(model.forward([[1]]), 'ERR_DISPOSED');
  });

  it('info(): parameter count, bytes, device, dtype, threads', async () => {
    const model = await Model.load(dir, { threads: 1 });
    try {
      const info = model.info();
      expect(Object.keys(info).sort()).toEqual(['device', 'dtype', 'numParameters', 'parameterBytes', 'threads']);
      expect(info.numParameters).toBe(parameterCount(model.config));
      expect(info.parameterBytes).toBe(4 * info.numParameters);
      expect(info.device).toBe('cpu');
      expect(info.dtype).toBe('float32');
      expect(info.threads).toBe(1);
      expect(model.options).toEqual({
        device: 'cpu',
        dtype: 'float32',
        threads: 1,
        checkFinite: true,
        dtypeChoice: { dtype: 'float32', requested: 'float32', reason: 'requested float32 on cpu' },
      });
      expect(model.config.family).toBe('gpt_neox');
      expect(model.rawConfig.architectures).toEqual(['GPTNeoXForCausalLM']);
    } finally {
      model.dispose();
    }
    // Tied embeddings are one parameter; bf16 halves the bytes; threads default to all cores.
    const tied = await Model.load(tiedDir, { dtype: 'bfloat16' });
    try {
      const info = tied.info();
      expect(tied.config.tieWordEmbeddings).toBe(true);
      expect(info.numParameters).toBe(parameterCount(tied.config));
      expect(info.parameterBytes).toBe(2 * info.numParameters);
      expect(info.dtype).toBe('bfloat16');
      expect(info.threads).toBe(defaultThreads());
      const r = await tied.forward([[3, 4, 5, 6]]);
      expect(r.logits).toBeInstanceOf(Float32Array);
      expect(r.logits.every(Number.isFinite)).toBe(true);
    } finally {
      tied.dispose();
    }
  });

  it('the event loop keeps ticking while a long forward pass runs', async () => {
    const model = await Model.load(dir);
    try {
      const big = batchOf(8, MAX_POS);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        const t0 = performance.now();
        const pending = model.forward(big);
        const ticksAtCall = ticks; // the call itself must return at once
        const r = await pending;
        const elapsed = performance.now() - t0;
        expect(r.shape).toEqual([8, MAX_POS, VOCAB]);
        expect(ticksAtCall).toBe(0);
        expect(elapsed).toBeGreaterThan(20); // otherwise the test would prove nothing
        // A 1 ms interval fires at least every few ms on an idle event loop.
        expect(ticks).toBeGreaterThanOrEqual(Math.min(10, Math.floor(elapsed / 10)));
        expect(ticks).toBeGreaterThanOrEqual(2);
      } finally {
        clearInterval(timer);
      }
    } finally {
      model.dispose();
    }
  });

  it('the event loop keeps ticking while Model.load reads and converts the weights', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const t0 = performance.now();
      const pending = Model.load(dir, { dtype: 'bfloat16' });
      expect(ticks).toBe(0);
      const model = await pending;
      const elapsed = performance.now() - t0;
      model.dispose();
      expect(ticks).toBeGreaterThanOrEqual(Math.min(3, Math.floor(elapsed / 10)));
    } finally {
      clearInterval(timer);
    }
  });

  it('concurrent forward calls on one model all resolve with the sequential results', async () => {
    const model = await Model.load(dir);
    try {
      const a = batchOf(3, 40, 1);
      const b = batchOf(2, 17, 2);
      const c: TokenBatch = [Int32Array.from([7, 8, 9, 10]), [11]];
      const seq: ForwardResult[] = [];
      for (const x of [a, b, c]) seq.push(await model.forward(x));
      const par = await Promise.all([model.forward(a), model.forward(b), model.forward(c), model.forward(a)]);
      for (const [i, j] of [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 0],
      ] as const) {
        expect(par[i]!.shape).toEqual(seq[j]!.shape);
        expect(Buffer.from(par[i]!.logits.buffer).equals(Buffer.from(seq[j]!.logits.buffer))).toBe(true);
      }
      // Int32Array rows and plain arrays are the same input.
      const asArrays = await model.forward([[7, 8, 9, 10], [11]]);
      expect(Buffer.from(asArrays.logits.buffer).equals(Buffer.from(seq[2]!.logits.buffer))).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('dispose while a forward is in flight: it resolves or rejects with ERR_DISPOSED, and nothing crashes', async () => {
    const model = await Model.load(dir);
    const pending = model.forward(batchOf(4, 128));
    model.dispose();
    try {
      const r = await pending;
      expect(r.shape).toEqual([4, 128, VOCAB]);
    } catch (err) {
      expect((err as ResurfaceError).code).toBe('ERR_DISPOSED');
    }
    await expectCode(model.forward([[1]]), 'ERR_DISPOSED');
  });
});

describe('invalid arguments', () => {
  let model: Model;
  beforeAll(async () => {
    model = await Model.load(dir);
  });
  afterAll(() => model?.dispose());

  const badBatches: Array<[string, unknown]> = [
    ['empty batch', []],
    ['empty row', [[1, 2], []]],
    ['not an array', 'hello'],
    ['null', null],
    ['row is not an array', [5]],
    ['token id = vocab size', [[1, VOCAB]]],
    ['token id > vocab size', [[1_000_000]]],
    ['negative token id', [[3, -1]]],
    ['float token id', [[1.5]]],
    ['NaN token id', [[Number.NaN]]],
    ['Infinity token id', [[Number.POSITIVE_INFINITY]]],
    ['string token id', [['1']]],
    ['Int32Array row out of range', [Int32Array.from([1, VOCAB + 3])]],
    ['Int32Array row negative', [Int32Array.from([-5])]],
    [`T > max_position_embeddings (${MAX_POS + 1})`, [Array.from({ length: MAX_POS + 1 }, () => 1)]],
    ['one long row among short ones', [[1], Array.from({ length: MAX_POS + 7 }, () => 2)]],
  ];
  it.each(badBatches)('forward: %s → ERR_INVALID_ARGUMENT', async (_name, batch) => {
    await expectCode(model.forward(batch as TokenBatch), 'ERR_INVALID_ARGUMENT');
  });

  it('forward at exactly max_position_embeddings works, and the model still works after every rejection', async () => {
    const r = await model.forward([Array.from({ length: MAX_POS }, (_, i) => i % VOCAB)]);
    expect(r.shape).toEqual([1, MAX_POS, VOCAB]);
    expect((await model.forward([[VOCAB - 1, 0]])).shape).toEqual([1, 2, VOCAB]);
  });

  const cuda = (() => {
    try {
      return loadNative().runtimeInfo().cudaAvailable;
    } catch {
      return false;
    }
  })();
  const badOptions: Array<[string, unknown, ErrorCode]> = [
    ['dtype float16 on cpu', { dtype: 'float16' }, 'ERR_INVALID_ARGUMENT'],
    ['dtype float16, device defaulted to cpu, explicit', { dtype: 'float16', device: 'cpu' }, 'ERR_INVALID_ARGUMENT'],
    ['unknown dtype', { dtype: 'float64' }, 'ERR_INVALID_ARGUMENT'],
    ['bad device string', { device: 'gpu' }, 'ERR_INVALID_ARGUMENT'],
    ['bad device index', { device: 'cuda:x' }, 'ERR_INVALID_ARGUMENT'],
    ['device with spaces', { device: ' cpu' }, 'ERR_INVALID_ARGUMENT'],
    ['threads 0', { threads: 0 }, 'ERR_INVALID_ARGUMENT'],
    ['threads 1.5', { threads: 1.5 }, 'ERR_INVALID_ARGUMENT'],
    ['unknown option', { devcie: 'cpu' }, 'ERR_INVALID_ARGUMENT'],
    // Without CUDA, cuda is a device error; with it, a device index that does not exist is.
    [cuda ? 'cuda:99 (no such device)' : 'cuda without a CUDA device', { device: cuda ? 'cuda:99' : 'cuda' }, 'ERR_DEVICE'],
    [cuda ? 'cuda:64 (no such device)' : 'cuda:0 without a CUDA device', { device: cuda ? 'cuda:64' : 'cuda:0' }, 'ERR_DEVICE'],
  ];
  it.each(badOptions)('load: %s → %s', async (_name, options, code) => {
    await expectCode(Model.load(dir, options as LoadOptions), code);
  });
});
