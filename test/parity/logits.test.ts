/**
 * Logits parity against the independent PyTorch reference (test/reference/ref_model.py).
 *
 * Every architecture variant is built twice from the same tiny config (a vendored config shrunk
 * with shrinkConfig, plus the variant's edits):
 *   - `ours`:  initRandomModel (our writer), then biases and norm weights perturbed so every
 *              tensor matters (HF init leaves them 0 / 1);
 *   - `indep`: test/reference/make_tiny_model.py (independent tensor names, shapes and writer),
 *              `--init perturbed`.
 * Weights are drawn with std 0.15 instead of 0.02 so attention is far from uniform and logits
 * have a spread of several units (checked below): at std 0.02 a wrong rotary or mask would move
 * logits by less than the tolerance.
 *
 * A right-padded batch of three rows of different lengths goes through Model.forward and through
 * the reference; real positions must agree to 1e-4 (max abs) in float32, padded positions must be
 * exactly 0 on our side. All reference work runs in one Python process (test/helpers/ref_batch.py).
 *
 * bfloat16 tolerance: our bf16 forward and the reference's bf16 forward (HF semantics) are
 * different programs rounding at different points, so they agree only to bf16 precision. Both are
 * compared to the float32 reference, relative to the logits' scale S = max |float32 logit| over
 * real positions (S is 4.6–8.7 here):
 *   - |ours_bf16 - ref_f32|  <= 0.1 S                                      (absolute accuracy)
 *   - |ours_bf16 - ref_bf16| <= 0.1 S
 *   - |ours_bf16 - ref_f32|  <= 2 |ref_bf16 - ref_f32| + 0.01 S            (no worse than HF's own bf16)
 * Measured (2 layers, 3 rows ≤ 100 tokens, libtorch 1.13 CPU vs torch 1.13): |ours_bf16 - ref_f32|
 * 0.012–0.066 S, |ours_bf16 - ref_bf16| 0.012–0.061 S, and HF's own |ref_bf16 - ref_f32| 0.011–0.050 S;
 * the largest errors are the llama3 models with 100-token rows. Each run prints its numbers.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWeights } from '../../lib/io/safetensors-index';
import { writeShardedSafetensors } from '../../lib/io/safetensors-writer';
import { Model } from '../../lib/model/model';
import { buildPerturbedRandomModel, compare, maxAbsBetween, ourLogits } from '../helpers/parity';
import { readTensors, toHost } from '../helpers/tensors';
import { isRefError, refBatch, type RefLogitsJob, type RefMakeJob } from '../helpers/ref-batch';
import { hasPythonTorch, pythonTorchSkipReason, type RefLogits } from '../helpers/reference';
import { makeTmpDir, removeTmpDir, REPO_ROOT } from '../helpers/shared';
import { SEED, STD, tinyConfig, tokensFor, VARIANTS, VOCAB, type Json, type Variant } from '../helpers/logits-variants';

const F32_TOL = 1e-4;
const BF16_REL_TOL = 0.1;
const BF16_VS_REF_FACTOR = 2;
const skip = !hasPythonTorch();
if (skip) console.warn(`parity tests skipped: ${pythonTorchSkipReason()}`);

describe.skipIf(skip)('logits parity with the PyTorch reference', () => {
  let root: string;
  /** model dir -> tokens used for it */
  const dirs = new Map<string, { variant: Variant; kind: string; tokens: number[][] }>();
  const ref = new Map<string, RefLogits>();
  const refBf16 = new Map<string, RefLogits>();
  /** name -> reference error message (a failed job is a failed test, reported where it is used) */
  const refErrors = new Map<string, string>();
  const dirOf = (variant: string, kind: string) => path.join(root, `${variant}--${kind}`);
  /** float32 max abs differences, printed once at the end. */
  const f32Report: string[] = [];

  /** Extra checkpoints of the first NeoX / Qwen3 / Llama variants. */
  const EXTRA = {
    shards: { from: 'neox-parallel', make: { shards: 3 } },
    buffers: { from: 'neox-sequential', make: { withBuffers: true } },
    llamaBuffers: { from: 'llama3-scaled', make: { withBuffers: true } },
    f16: { from: 'neox-parallel', make: { dtype: 'float16' as const } },
    bf16: { from: 'qwen3-qknorm-headdim', make: { dtype: 'bfloat16' as const } },
  };

  beforeAll(async () => {
    root = makeTmpDir('resurface-parity-');
    const make: RefMakeJob[] = [];
    const logits: Array<RefLogitsJob & { key: string }> = [];
    const addLogits = (dir: string, dtype: 'float32' | 'bfloat16', strict = true): void => {
      const { tokens } = dirs.get(dir)!;
      logits.push({ key: `${dir}|${dtype}`, model: dir, tokens, dtype, strict });
    };
    VARIANTS.forEach((v, i) => {
      const config = tinyConfig(v);
      const cfgFile = path.join(root, `${v.name}.config.json`);
      fs.writeFileSync(cfgFile, JSON.stringify(config, null, 2));
      const tokens = tokensFor(v, 100 + i);
      dirs.set(dirOf(v.name, 'ours'), { variant: v, kind: 'ours', tokens });
      dirs.set(dirOf(v.name, 'indep'), { variant: v, kind: 'indep', tokens });
      make.push({ config: cfgFile, out: dirOf(v.name, 'indep'), seed: SEED, std: STD });
    });
    for (const [kind, e] of Object.entries(EXTRA)) {
      const v = VARIANTS.find((x) => x.name === e.from)!;
      const dir = dirOf(v.name, kind);
      dirs.set(dir, { variant: v, kind, tokens: dirs.get(dirOf(v.name, 'indep'))!.tokens });
      make.push({ config: path.join(root, `${v.name}.config.json`), out: dir, seed: SEED, std: STD, ...e.make });
    }
    // Same weights as llama3-scaled--indep, without rope scaling: shows the scaled band matters.
    const unscaled = dirOf('llama3-scaled', 'unscaled');
    dirs.set(unscaled, { ...dirs.get(dirOf('llama3-scaled', 'indep'))!, kind: 'unscaled' });
    make.push({ config: path.join(root, 'llama3-scaled.config.json'), out: unscaled, seed: SEED, std: STD, set: { rope_scaling: null } });

    // Our checkpoints first (the reference reads them too).
    for (const v of VARIANTS) await buildPerturbedRandomModel(tinyConfig(v), dirOf(v.name, 'ours'), SEED);
    for (const dir of dirs.keys()) addLogits(dir, 'float32');
    for (const v of VARIANTS) addLogits(dirOf(v.name, 'indep'), 'bfloat16');

    const res = await refBatch({ make, logits });
    res.make.forEach((err, i) => {
      if (err) refErrors.set(make[i]!.out, `make_tiny_model: ${err}`);
    });
    res.logits.forEach((r, i) => {
      const job = logits[i]!;
      if (isRefError(r)) refErrors.set(job.key, r.error);
      else (job.dtype === 'bfloat16' ? refBf16 : ref).set(job.model, r);
    });
  }, 300_000);

  afterAll(() => {
    if (f32Report.length) console.log(`[f32] max |ours - ref| (logit std):\n  ${f32Report.join('\n  ')}`);
    if (root) removeTmpDir(root);
  });

  function refFor(dir: string, dtype: 'float32' | 'bfloat16' = 'float32'): RefLogits {
    const r = (dtype === 'float32' ? ref : refBf16).get(dir);
    if (!r)
      throw new Error(`no reference logits for ${dir} (${dtype}): ${refErrors.get(`${dir}|${dtype}`) ?? refErrors.get(dir) ?? 'not run'}`);
    return r;
  }

  describe.each(VARIANTS)('$name', (v) => {
    it.each(['ours', 'indep'])('%s checkpoint: float32 logits within 1e-4 of the reference', async (kind) => {
      const dir = dirOf(v.name, kind);
      const { tokens } = dirs.get(dir)!;
      const r = refFor(dir);
      const d = compare(await ourLogits(dir, tokens), r, v.lengths);
      f32Report.push(`${v.name}/${kind}: ${d.maxAbs.toExponential(2)} (${d.std.toFixed(2)})`);
      // Not degenerate: logits spread over several units, so 1e-4 is a strict test.
      expect(d.std).toBeGreaterThan(0.5);
      expect(d.maxAbs).toBeLessThanOrEqual(F32_TOL);
    });

    it('bfloat16: within the documented tolerance of the reference (bf16 and float32)', async () => {
      const dir = dirOf(v.name, 'indep');
      const { tokens } = dirs.get(dir)!;
      const f32 = refFor(dir);
      const bf = refFor(dir, 'bfloat16');
      const ours = await ourLogits(dir, tokens, 'bfloat16');
      const vsF32 = compare(ours, f32, v.lengths);
      const vsBf16 = compare(ours, bf, v.lengths);
      const refSelf = compare({ logits: bf.data.map((x) => (Number.isNaN(x) ? 0 : x)), shape: bf.shape }, f32, v.lengths);
      const S = vsF32.scale;
      console.log(
        `[bf16] ${v.name}: scale ${S.toFixed(2)}; |ours-refF32| ${vsF32.maxAbs.toFixed(4)} (${(vsF32.maxAbs / S).toFixed(4)} S); ` +
          `|ours-refBf16| ${vsBf16.maxAbs.toFixed(4)} (${(vsBf16.maxAbs / S).toFixed(4)} S); |refBf16-refF32| ${refSelf.maxAbs.toFixed(4)} (${(refSelf.maxAbs / S).toFixed(4)} S)`,
      );
      expect(vsF32.maxAbs).toBeGreaterThan(0); // really ran in bf16
      expect(vsF32.maxAbs).toBeLessThanOrEqual(BF16_REL_TOL * S);
      expect(vsBf16.maxAbs).toBeLessThanOrEqual(BF16_REL_TOL * S);
      expect(vsF32.maxAbs).toBeLessThanOrEqual(BF16_VS_REF_FACTOR * refSelf.maxAbs + 0.01 * S);
    });
  });

  it('llama3 scaling is exercised: unscaled rope gives clearly different logits', async () => {
    const v = VARIANTS.find((x) => x.name === 'llama3-scaled')!;
    const scaledDir = dirOf(v.name, 'indep');
    const ours = await ourLogits(scaledDir, dirs.get(scaledDir)!.tokens);
    const unscaled = compare(ours, refFor(dirOf(v.name, 'unscaled')), v.lengths);
    expect(unscaled.maxAbs).toBeGreaterThan(0.05);
    expect(compare(ours, refFor(scaledDir), v.lengths).maxAbs).toBeLessThanOrEqual(F32_TOL);
  });

  it('transformers-5 configs (rope_parameters) and the legacy rope_scaling.type key give the logits of their transformers-4 twins', async () => {
    for (const [v5, v4] of [
      ['v5-neox', 'neox-parallel'],
      ['v5-llama3', 'llama3-scaled'],
      ['v5-qwen3', 'qwen3-qknorm-headdim'],
    ] as const) {
      const a = dirs.get(dirOf(v4, 'indep'))!;
      const tokens = a.tokens;
      const x = await ourLogits(dirOf(v4, 'indep'), tokens);
      const y = await ourLogits(dirOf(v5, 'indep'), tokens);
      expect(maxAbsBetween(x.logits, y.logits), `${v5} vs ${v4}`).toBe(0);
    }
    // Old llama configs spell rope_scaling.rope_type as `type`.
    const src = dirOf('llama3-scaled', 'indep');
    const legacy = path.join(root, 'llama3-legacy-type');
    fs.mkdirSync(legacy);
    fs.copyFileSync(path.join(src, 'model.safetensors'), path.join(legacy, 'model.safetensors'));
    const cfg = JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')) as Json;
    const { rope_type: ropeType, ...rest } = cfg.rope_scaling as Json;
    cfg.rope_scaling = { ...rest, type: ropeType };
    fs.writeFileSync(path.join(legacy, 'config.json'), JSON.stringify(cfg));
    const { tokens } = dirs.get(src)!;
    const a = await ourLogits(src, tokens);
    const b = await ourLogits(legacy, tokens);
    expect(maxAbsBetween(a.logits, b.logits)).toBe(0);
  });

  it('sharded checkpoints (make_tiny_model --shards 3 and writeShardedSafetensors) give the single-file logits', async () => {
    const v = VARIANTS.find((x) => x.name === EXTRA.shards.from)!;
    const single = dirOf(v.name, 'indep');
    const sharded = dirOf(v.name, 'shards');
    expect(fs.existsSync(path.join(sharded, 'model.safetensors.index.json'))).toBe(true);
    expect(fs.existsSync(path.join(sharded, 'model.safetensors'))).toBe(false);
    const { tokens } = dirs.get(single)!;
    const a = await ourLogits(single, tokens);
    const b = await ourLogits(sharded, tokens);
    expect(maxAbsBetween(a.logits, b.logits)).toBe(0);
    expect(compare(b, refFor(sharded), v.lengths).maxAbs).toBeLessThanOrEqual(F32_TOL);

    // Our own sharded writer, small shards (every tensor of a 2-layer Qwen2.5 in its own file or two).
    const q = VARIANTS.find((x) => x.name === 'qwen2.5-tied-bias')!;
    const src = dirOf(q.name, 'ours');
    const out = path.join(root, 'qwen-ours-sharded');
    fs.mkdirSync(out);
    fs.copyFileSync(path.join(src, 'config.json'), path.join(out, 'config.json'));
    const res = await writeShardedSafetensors(out, toHost(await readTensors(src)), 64 * 1024);
    expect(res.shards.length).toBeGreaterThanOrEqual(3);
    const qt = dirs.get(src)!.tokens;
    const c = await ourLogits(src, qt);
    const d = await ourLogits(out, qt);
    expect(maxAbsBetween(c.logits, d.logits)).toBe(0);
  });

  it('checkpoints with non-weight buffers (NeoX attention.bias/masked_bias, inv_freq) load and match', async () => {
    for (const [kind, from] of [
      ['buffers', EXTRA.buffers.from],
      ['llamaBuffers', EXTRA.llamaBuffers.from],
    ] as const) {
      const v = VARIANTS.find((x) => x.name === from)!;
      const dir = dirOf(v.name, kind);
      const idx = await openWeights(dir);
      const names = [...idx.location.keys()];
      expect(names.some((n) => n.endsWith('rotary_emb.inv_freq'))).toBe(true);
      if (v.base.startsWith('EleutherAI')) {
        expect(idx.files[0]!.tensors.get('gpt_neox.layers.0.attention.bias')?.dtype).toBe('BOOL');
        expect(names).toContain('gpt_neox.layers.1.attention.masked_bias');
      }
      const { tokens } = dirs.get(dir)!;
      const withBuffers = await ourLogits(dir, tokens);
      const plain = await ourLogits(dirOf(v.name, 'indep'), tokens);
      expect(maxAbsBetween(withBuffers.logits, plain.logits)).toBe(0);
      expect(compare(withBuffers, refFor(dir), v.lengths).maxAbs).toBeLessThanOrEqual(F32_TOL);
    }
  });

  it('F16- and BF16-stored checkpoints load into float32 and match the reference', async () => {
    for (const [kind, from, stDtype] of [
      ['f16', EXTRA.f16.from, 'F16'],
      ['bf16', EXTRA.bf16.from, 'BF16'],
    ] as const) {
      const v = VARIANTS.find((x) => x.name === from)!;
      const dir = dirOf(v.name, kind);
      const idx = await openWeights(dir);
      expect(new Set([...idx.files[0]!.tensors.values()].map((t) => t.dtype))).toEqual(new Set([stDtype]));
      const { tokens } = dirs.get(dir)!;
      const model = await Model.load(dir, { dtype: 'float32' });
      try {
        expect(model.info().dtype).toBe('float32');
        const ours = await model.forward(tokens);
        expect(compare(ours, refFor(dir), v.lengths).maxAbs).toBeLessThanOrEqual(F32_TOL);
        // The stored rounding really happened (same draws as the F32 checkpoint, rounded).
        const f32 = await ourLogits(dirOf(v.name, 'indep'), tokens);
        expect(maxAbsBetween(ours.logits, f32.logits)).toBeGreaterThan(0);
      } finally {
        model.dispose();
      }
    }
  });

  it('CLI: `logits --model DIR --tokens 0,17,42 --tokens 5,6 --json` prints one JSON object equal to Model.forward', async () => {
    const dir = dirOf('neox-parallel', 'ours');
    const r = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin', 'resurface.js'), 'logits', '--model', dir, '--tokens', '0,17,42', '--tokens', '5,6', '--json'],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout) as { shape: [number, number, number]; logits: number[][][] };
    expect(Object.keys(j).sort()).toEqual(['logits', 'shape']);
    expect(j.shape).toEqual([2, 3, VOCAB]);
    const lib = await ourLogits(dir, [
      [0, 17, 42],
      [5, 6],
    ]);
    expect(lib.shape).toEqual(j.shape);
    expect(j.logits).toHaveLength(2);
    const flat = new Float32Array(2 * 3 * VOCAB);
    j.logits.forEach((row, b) => {
      expect(row).toHaveLength(3);
      row.forEach((step, t) => {
        expect(step).toHaveLength(VOCAB);
        flat.set(step, (b * 3 + t) * VOCAB);
      });
    });
    expect(maxAbsBetween(flat, lib.logits)).toBe(0);
    expect(flat.subarray((1 * 3 + 2) * VOCAB).every((x) => x === 0)).toBe(true); // padded position
  });
});
