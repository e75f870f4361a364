/**
 * Loading does not multiply memory: the peak resident set that loading adds (VmHWM after Model.load
 * minus VmRSS before, in a fresh child process that has already loaded the model once) grows by
 * under 1.5 bytes per byte of weights in the compute dtype. Measured as a slope between two models
 * that differ only in vocabulary size (~2 MB and ~34 MB in float32), so that what every load costs
 * whatever its size (allocator and thread-pool state, ~10 MB here) cancels out. A loader that staged
 * a float32 copy, or kept the mapped file resident beside the converted tensors, adds 2–3×. Not timed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterCount } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { initRandomModel } from '../../lib/model/init-random';
import { shrinkConfig } from '../../lib/model/tiny';
import { makeTmpDir, readSharedConfig, removeTmpDir } from '../helpers/shared';
import { bundleChild } from '../helpers/child-bundle';

const canResetPeak = (() => {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
})();

let root: string;
let childJs: string;
const params: Record<string, number> = {};

beforeAll(async () => {
  root = makeTmpDir('resurface-load-memory-');
  childJs = await bundleChild('load-rss-child');
  // Pythia layout (fused NeoX q|k|v, untied head, non-weight buffers); only the vocabulary differs.
  for (const [size, vocabSize] of [
    ['small', 1024],
    ['big', 16384],
  ] as const) {
    const cfg = shrinkConfig(readSharedConfig('EleutherAI--pythia-70m'), {
      hiddenSize: 256,
      numLayers: 2,
      vocabSize,
      maxPositionEmbeddings: 256,
    });
    params[size] = parameterCount(parseConfig(cfg));
    for (const dtype of ['float32', 'bfloat16'] as const) {
      await initRandomModel({ configJson: cfg, outDir: path.join(root, `${size}-${dtype}`), seed: 3, dtype });
    }
  }
}, 120_000);

afterAll(() => {
  if (root) removeTmpDir(root);
});

function addedByLoading(dir: string, dtype: string): number {
  const r = spawnSync(process.execPath, [childJs, dir, dtype], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  expect(r.status, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rssBeforeKiB: number; peakKiB: number; reset: boolean };
  expect(j.reset).toBe(true);
  return (j.peakKiB - j.rssBeforeKiB) * 1024;
}

describe.skipIf(!canResetPeak)('loading memory (child process, VmHWM)', () => {
  it.each([
    ['float32', 'float32', 4],
    ['bfloat16', 'bfloat16', 2],
    ['bfloat16', 'float32', 4], // converted while loading
  ])(
    'a %s checkpoint loaded as %s: peak RSS grows by under 1.5× the weights',
    (ckpt, dtype, bytes) => {
      const small = addedByLoading(path.join(root, `small-${ckpt}`), dtype);
      const big = addedByLoading(path.join(root, `big-${ckpt}`), dtype);
      const weights = (params.big! - params.small!) * bytes;
      const slope = (big - small) / weights;
      expect(
        slope,
        `added ${(small / 2 ** 20).toFixed(1)} and ${(big / 2 ** 20).toFixed(1)} MiB; weights differ by ${(weights / 2 ** 20).toFixed(1)} MiB`,
      ).toBeLessThan(1.5);
      expect(slope).toBeGreaterThan(0.5); // the children really loaded the weights (the measurement works)
    },
    120_000,
  );
});
