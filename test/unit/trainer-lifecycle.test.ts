/**
 * NativeTrainer's heavy copies run on the libuv pool like every other slow native call: creating a
 * trainer (float32 master copies of a bfloat16 model), importState and exportWeights return a
 * Promise at once and the event loop keeps ticking while they run. The constructor cannot be
 * called from JS (it would do that copy on the JS thread), and use after dispose is a clean error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { shrinkConfig } from '../../lib/model/tiny';
import { loadNative } from '../../lib/native/loader';
import type { NativeTrainer, NativeTrainerOptions } from '../../lib/native/types';
import { makeTmpDir, readSharedConfig, removeTmpDir } from '../helpers/shared';

const VOCAB = 512;
const OPTS: NativeTrainerOptions = {
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  gradClip: 1,
  decayAll: false,
  checkpointLayers: false,
};

let root: string;
let dir: string;

beforeAll(async () => {
  root = makeTmpDir('resurface-trainer-lifecycle-');
  dir = `${root}/neox`;
  // ~11M parameters: each copy of them takes tens of ms, enough to see the event loop tick.
  const neox = shrinkConfig(readSharedConfig('EleutherAI--pythia-70m'), {
    hiddenSize: 384,
    numLayers: 6,
    vocabSize: VOCAB,
    maxPositionEmbeddings: 64,
  });
  await initRandomModel({ configJson: neox, outDir: dir, seed: 3 });
});
afterAll(() => {
  if (root) removeTmpDir(root);
});

/** Runs `start` with a 1 ms interval going: the call must return at once and the loop keep ticking. */
async function expectTicking<T>(start: () => Promise<T>): Promise<T> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const t0 = performance.now();
    const pending = start();
    const sync = performance.now() - t0; // the part of the call that held the JS thread
    expect(ticks).toBe(0); // no tick can happen inside a synchronous call
    const value = await pending;
    const elapsed = performance.now() - t0;
    // A copy done on the JS thread would make the synchronous part nearly all of the call (> 90%
    // of it). Tick counts alone are not enough: on 2 busy cores (the copy uses both) the JS thread
    // itself may be scheduled only once or twice while the copy runs, so at least one tick is asked
    // for. The bound is half the call, not less: a preempted JS thread has stretched a 1 ms
    // synchronous part to 6.6 ms of a 24 ms call on a loaded 2-core machine.
    expect(sync).toBeLessThan(Math.max(5, elapsed / 2));
    if (elapsed >= 10) expect(ticks).toBeGreaterThanOrEqual(1);
    return value;
  } finally {
    clearInterval(timer);
  }
}

function step(trainer: NativeTrainer) {
  const T = 16;
  const ids = Int32Array.from({ length: T }, (_, t) => (t * 37) % VOCAB);
  const targets = Int32Array.from({ length: T }, (_, t) => ((t + 1) * 37) % VOCAB);
  return trainer.step({ ids, targets, B: 1, T, lr: 1e-4, accumulate: false, normalizer: 0 });
}

describe('NativeTrainer lifecycle', () => {
  it('create, importState and exportWeights keep the event loop ticking (bfloat16 model)', async () => {
    const model = await Model.load(dir, { dtype: 'bfloat16' });
    const addon = loadNative();
    try {
      const trainer = await expectTicking(() => addon.NativeTrainer.create(model.nativeHandle(), OPTS));
      try {
        await step(trainer);
        const state = await trainer.exportState();
        expect(state.every((s) => s.master instanceof Float32Array && s.expAvg instanceof Float32Array)).toBe(true);
        await expectTicking(() => trainer.importState(state));
        const weights = await expectTicking(() => trainer.exportWeights());
        expect(weights.length).toBeGreaterThan(0);
        for (const w of weights) {
          expect(w.dtype).toBe('BF16');
          expect(w.data.byteLength).toBe(2 * w.shape.reduce((a, b) => a * b, 1));
        }
        // the exported bytes are a snapshot: a later step does not change them
        const first = Buffer.from(weights[0]!.data).toString('base64');
        await step(trainer);
        expect(Buffer.from(weights[0]!.data).toString('base64')).toBe(first);
      } finally {
        trainer.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('importState restores what exportState saved', async () => {
    const model = await Model.load(dir, { dtype: 'bfloat16' });
    const addon = loadNative();
    try {
      const a = await addon.NativeTrainer.create(model.nativeHandle(), OPTS);
      await step(a);
      const saved = await a.exportState();
      const copies = saved.map((s) => ({ ...s, expAvg: s.expAvg?.slice(), expAvgSq: s.expAvgSq?.slice(), master: s.master?.slice() }));
      await step(a);
      await a.importState(copies);
      const back = await a.exportState();
      for (let i = 0; i < saved.length; i++) {
        expect(back[i]!.step).toBe(saved[i]!.step);
        expect(Buffer.from(back[i]!.expAvg!.buffer).equals(Buffer.from(copies[i]!.expAvg!.buffer))).toBe(true);
        expect(Buffer.from(back[i]!.master!.buffer).equals(Buffer.from(copies[i]!.master!.buffer))).toBe(true);
      }
      a.dispose();
    } finally {
      model.dispose();
    }
  });

  it('cannot be constructed with new, and rejects a disposed model or trainer', async () => {
    const model = await Model.load(dir);
    const addon = loadNative();
    const Ctor = addon.NativeTrainer as unknown as new (...args: unknown[]) => unknown;
    let thrown: unknown;
    try {
      new Ctor(model.nativeHandle(), OPTS);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((thrown as Error).message).toContain('NativeTrainer.create');
    const trainer = await addon.NativeTrainer.create(model.nativeHandle(), OPTS);
    trainer.dispose();
    await expect((async () => trainer.exportWeights())()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    const handle = model.nativeHandle();
    model.dispose();
    await expect((async () => addon.NativeTrainer.create(handle, OPTS))()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
  });
});
