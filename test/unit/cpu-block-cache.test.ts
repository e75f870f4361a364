/**
 * The caching allocator for large CPU tensors (native/common/cpu_block_cache.h): installed by
 * default, reuses blocks across decoding steps (hits) without changing a result, gives its idle
 * blocks back when a model is destroyed, and RESURFACE_CPU_CACHE_MB=0 turns it off with
 * bitwise-identical logits.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../lib/generate/model-generate';
import { Model } from '../../lib/model/model';
import { loadNative } from '../../lib/native/loader';
import { CLI } from '../helpers/cli';
import { makeTinyModel } from '../helpers/tiny-models';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-block-cache-');
afterAll(() => removeTmpDir(tmp));

// full Pythia vocabulary (50304): one row of 8 tokens gives 1.6 MB of logits, above the 1 MiB floor
const ROW_A = [0, 17, 42, 99, 3, 250, 7, 8];

function logitsJson(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'logits', '--model', dir, '--tokens', ROW_A.join(','), '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`logits exited ${code}: ${err}`))));
  });
}

describe('CPU block cache', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTinyModel('EleutherAI--pythia-70m', tmp, 3);
  });

  it('is installed with a positive limit', () => {
    const cache = loadNative().runtimeInfo().cpuBlockCache;
    expect(cache.installed).toBe(true);
    expect(cache.limitBytes).toBeGreaterThan(0);
  });

  it('reuses blocks across decoding steps without changing any result', async () => {
    const model = await Model.load(dir, { threads: 2 });
    try {
      // [8, 50304] float32 logits a step (1.6 MB): freed after sampling, taken again by the next step
      const options = { numSamples: 8, batchSize: 8, maxNewTokens: 12, temperature: 1, seed: 11 };
      const before = loadNative().runtimeInfo().cpuBlockCache;
      const first = await generate(model, options);
      const after = loadNative().runtimeInfo().cpuBlockCache;
      expect(after.hits - before.hits).toBeGreaterThanOrEqual(10);
      expect(after.idleBytes).toBeGreaterThan(0); // the steps' buffers, kept for the next call
      const again = await generate(model, options);
      expect(again.samples.map((s) => s.tokens)).toEqual(first.samples.map((s) => s.tokens));
      const forward = await model.forward([ROW_A]);
      const forwardAgain = await model.forward([ROW_A]);
      expect(forward.shape).toEqual([1, ROW_A.length, 50304]);
      expect(Buffer.from(forwardAgain.logits.buffer).equals(Buffer.from(forward.logits.buffer))).toBe(true);
      expect(loadNative().runtimeInfo().cpuBlockCache.liveBytes).toBeGreaterThan(0); // both logits are alive in JS
    } finally {
      model.dispose();
    }
    // the model is gone (nothing in flight holds it): its memory and the idle blocks go back to the system
    expect(loadNative().runtimeInfo().cpuBlockCache.idleBytes).toBe(0);
  });

  it('RESURFACE_CPU_CACHE_MB=0 turns it off; logits are bitwise the same either way', async () => {
    const [on, off] = await Promise.all([logitsJson(dir, {}), logitsJson(dir, { RESURFACE_CPU_CACHE_MB: '0' })]);
    expect(JSON.parse(on).shape).toEqual([1, ROW_A.length, 50304]);
    expect(off).toBe(on);
    const doctor = (env: NodeJS.ProcessEnv) =>
      new Promise<{ cpuBlockCache: { installed: boolean }; ompWaitPolicy: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'doctor', '--json'], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.on('error', reject);
        child.on('close', () => resolve(JSON.parse(out)));
      });
    const [offInfo, onInfo] = await Promise.all([doctor({ RESURFACE_CPU_CACHE_MB: '0' }), doctor({})]);
    expect(offInfo.cpuBlockCache.installed).toBe(false);
    expect(onInfo.cpuBlockCache.installed).toBe(true);
  });
});
