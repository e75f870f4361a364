import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16BytesToFloat32, f16BytesToFloat32, f32BytesToFloat32 } from '../../lib/io/dtype-convert';
import { hfTensorShapes } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { initRandomModel, NormalRng } from '../../lib/model/init-random';
import { makeTmpDir, readSharedConfig, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

/** Minimal independent safetensors reader: header JSON and raw bytes per tensor. */
function readSafetensors(file: string): {
  metadata: Record<string, string>;
  tensors: Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>;
} {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    tensors.set(name, {
      dtype: e.dtype,
      shape: e.shape,
      bytes: new Uint8Array(buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1])),
    });
  }
  return { metadata, tensors };
}

function values(t: { dtype: string; bytes: Uint8Array }): Float32Array {
  if (t.dtype === 'F32') return f32BytesToFloat32(t.bytes);
  if (t.dtype === 'BF16') return bf16BytesToFloat32(t.bytes);
  if (t.dtype === 'F16') return f16BytesToFloat32(t.bytes);
  throw new Error(t.dtype);
}

function stats(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean) };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeTmpDir));
function tmp(): string {
  const d = makeTmpDir();
  dirs.push(d);
  return d;
}

describe('NormalRng', () => {
  it('standard normal moments; deterministic per (seed, stream)', () => {
    const v = new NormalRng(7, 'x').fillNormal(new Float32Array(200_001));
    const { mean, std } = stats(v);
    expect(Math.abs(mean)).toBeLessThan(0.01); // 4.5 standard errors
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    let k3 = 0;
    let k4 = 0;
    let beyond3 = 0;
    for (const x of v) {
      k3 += x ** 3;
      k4 += x ** 4;
      if (Math.abs(x) > 3) beyond3++;
    }
    expect(Math.abs(k3 / v.length)).toBeLessThan(0.05); // skewness 0
    expect(Math.abs(k4 / v.length - 3)).toBeLessThan(0.1); // kurtosis 3
    expect(beyond3 / v.length).toBeGreaterThan(0.002); // P(|z|>3) = 0.0027
    expect(beyond3 / v.length).toBeLessThan(0.0035);
    expect(Array.from(new NormalRng(7, 'x').fillNormal(new Float32Array(5)))).toEqual(Array.from(v.subarray(0, 5)));
    expect(new NormalRng(8, 'x').nextU32()).not.toBe(new NormalRng(7, 'x').nextU32());
    expect(new NormalRng(7, 'y').nextU32()).not.toBe(new NormalRng(7, 'x').nextU32());
    expect(new NormalRng(2 ** 32 + 7, 'x').nextU32()).not.toBe(new NormalRng(7, 'x').nextU32());
  });
});

describe('initRandomModel', () => {
  it('tiny Qwen3 with tokenizer: files, names, shapes, init statistics', async () => {
    const dir = tmp();
    const res = await initRandomModel({
      configJson: readSharedConfig('Qwen--Qwen3-0.6B'),
      outDir: dir,
      seed: 1,
      dtype: 'float32',
      tiny: true,
      tokenizerDir: sharedTokenizerDir('qwen3'),
    });
    expect(res.files.sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.torch_dtype).toBe('float32');
    expect(config.head_dim).toBe(32);
    const spec = parseConfig(config);
    expect(spec).toEqual(res.spec);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'))).toEqual({
      _from_model_config: true,
      bos_token_id: 151643,
      eos_token_id: 151645,
      transformers_version: '4.51.0',
    });
    expect(
      fs.readFileSync(path.join(dir, 'tokenizer.json')).equals(fs.readFileSync(path.join(sharedTokenizerDir('qwen3'), 'tokenizer.json'))),
    ).toBe(true);

    const st = readSafetensors(path.join(dir, 'model.safetensors'));
    expect(st.metadata['format']).toBe('pt');
    const expected = hfTensorShapes(spec);
    expect([...st.tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(st.tensors.has('lm_head.weight')).toBe(false); // tied
    for (const [name, t] of st.tensors) {
      expect(t.shape, name).toEqual(expected.get(name));
      expect(t.dtype).toBe('F32');
    }
    const embed = stats(values(st.tensors.get('model.embed_tokens.weight')!)); // 151936 × 64 samples
    expect(Math.abs(embed.mean)).toBeLessThan(1e-4);
    expect(Math.abs(embed.std - 0.02)).toBeLessThan(2e-4);
    const q = stats(values(st.tensors.get('model.layers.1.self_attn.q_proj.weight')!)); // 128 × 64
    expect(Math.abs(q.mean)).toBeLessThan((0.02 * 5) / Math.sqrt(128 * 64));
    expect(Math.abs(q.std - 0.02) / 0.02).toBeLessThan(0.05);
    for (const n of [
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.self_attn.q_norm.weight',
      'model.layers.0.self_attn.k_norm.weight',
      'model.norm.weight',
    ]) {
      expect(
        values(st.tensors.get(n)!).every((x) => x === 1),
        n,
      ).toBe(true);
    }
  });

  it('NeoX (bf16): biases and layernorm biases are zero, weights normal; config keys kept', async () => {
    const dir = tmp();
    const src = readSharedConfig('EleutherAI--pythia-70m');
    const res = await initRandomModel({ configJson: src, outDir: dir, seed: 3, dtype: 'bfloat16', tiny: { numLayers: 1 } });
    expect(res.config['torch_dtype']).toBe('bfloat16');
    expect(Object.keys(res.config).sort()).toEqual(Object.keys(src).sort());
    const st = readSafetensors(path.join(dir, 'model.safetensors'));
    expect(st.tensors.get('embed_out.weight')?.shape).toEqual([50304, 64]); // untied
    for (const n of [
      'gpt_neox.layers.0.attention.query_key_value.bias',
      'gpt_neox.layers.0.attention.dense.bias',
      'gpt_neox.layers.0.mlp.dense_h_to_4h.bias',
      'gpt_neox.layers.0.mlp.dense_4h_to_h.bias',
      'gpt_neox.layers.0.input_layernorm.bias',
      'gpt_neox.final_layer_norm.bias',
    ]) {
      const t = st.tensors.get(n)!;
      expect(t.dtype).toBe('BF16');
      expect(
        values(t).every((x) => x === 0),
        n,
      ).toBe(true);
    }
    expect(values(st.tensors.get('gpt_neox.final_layer_norm.weight')!).every((x) => x === 1)).toBe(true);
    const w = stats(values(st.tensors.get('embed_out.weight')!));
    expect(Math.abs(w.std - 0.02)).toBeLessThan(3e-4);
    expect(Math.abs(w.mean)).toBeLessThan(1e-4);
  });

  it('same seed → same bytes; different seed → different weights; float16 output', async () => {
    const cfg = readSharedConfig('meta-llama--Llama-3.2-1B');
    const a = tmp();
    const b = tmp();
    const c = tmp();
    await initRandomModel({ configJson: cfg, outDir: a, seed: 42, dtype: 'float16', tiny: true });
    await initRandomModel({ configJson: cfg, outDir: b, seed: 42, dtype: 'float16', tiny: true });
    await initRandomModel({ configJson: cfg, outDir: c, seed: 43, dtype: 'float16', tiny: true });
    const fa = fs.readFileSync(path.join(a, 'model.safetensors'));
    expect(fa.equals(fs.readFileSync(path.join(b, 'model.safetensors')))).toBe(true);
    const ta = readSafetensors(path.join(a, 'model.safetensors'));
    const tc = readSafetensors(path.join(c, 'model.safetensors'));
    const k = 'model.layers.0.mlp.gate_proj.weight';
    expect(ta.tensors.get(k)!.dtype).toBe('F16');
    expect(Buffer.from(ta.tensors.get(k)!.bytes).equals(Buffer.from(tc.tensors.get(k)!.bytes))).toBe(false);
    // tensors of one model are not copies of each other
    expect(Buffer.from(ta.tensors.get(k)!.bytes).equals(Buffer.from(ta.tensors.get('model.layers.1.mlp.gate_proj.weight')!.bytes))).toBe(
      false,
    );
    expect(JSON.parse(fs.readFileSync(path.join(a, 'generation_config.json'), 'utf8'))).toMatchObject({
      bos_token_id: 128000,
      eos_token_id: 128001,
    });
  });

  it('Llama pad row is zero (nn.Embedding padding_idx); transformers-5 configs get `dtype` updated', async () => {
    const cfg = readSharedConfig('meta-llama--Llama-3.2-1B');
    cfg['pad_token_id'] = 5;
    cfg['dtype'] = cfg['torch_dtype'];
    delete cfg['torch_dtype'];
    const dir = tmp();
    const res = await initRandomModel({ configJson: cfg, outDir: dir, seed: 0, tiny: true });
    expect(res.config['dtype']).toBe('float32');
    expect('torch_dtype' in res.config).toBe(false);
    const st = readSafetensors(path.join(dir, 'model.safetensors'));
    const e = values(st.tensors.get('model.embed_tokens.weight')!);
    const H = res.spec.hiddenSize;
    expect(e.subarray(5 * H, 6 * H).every((x) => x === 0)).toBe(true);
    expect(e.subarray(4 * H, 5 * H).some((x) => x !== 0)).toBe(true);
  });

  it('rejects bad options and unsupported configs before writing', async () => {
    const dir = tmp();
    await expect(initRandomModel({ configJson: readSharedConfig('Qwen--Qwen3-0.6B'), outDir: dir, seed: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(initRandomModel({ configJson: { architectures: ['BertModel'] }, outDir: dir, seed: 1 })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_CONFIG',
    });
    await expect(
      initRandomModel({ configJson: readSharedConfig('Qwen--Qwen3-0.6B'), outDir: dir, seed: 1, tiny: true, tokenizerDir: dir }),
    ).rejects.toMatchObject({ code: 'ERR_TOKENIZER' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('full-size pythia-70m in float32 is fast enough', async () => {
    const dir = tmp();
    const t0 = Date.now();
    const res = await initRandomModel({ configJson: readSharedConfig('EleutherAI--pythia-70m'), outDir: dir, seed: 0, dtype: 'float32' });
    const ms = Date.now() - t0;
    expect(res.parameterCount).toBe(70_426_624);
    expect(fs.statSync(path.join(dir, 'model.safetensors')).size).toBeGreaterThan(70_426_624 * 4);
    expect(ms).toBeLessThan(30_000); // a couple of seconds normally; generous for a loaded 2-core CI box
    console.log(`pythia-70m init: ${ms} ms`);
  });
});
