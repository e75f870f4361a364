/**
 * The one tensor reader/writer of the tests: every tensor of a checkpoint (a model directory,
 * single file or sharded, or one .safetensors file, e.g. what the reference wrote) as float32
 * values, and back.
 */
import * as path from 'node:path';
import {
  bf16BytesToFloat32,
  f16BytesToFloat32,
  f32BytesToFloat32,
  float32ToBf16Bytes,
  float32ToF16Bytes,
  float32ToF32Bytes,
} from '../../lib/io/dtype-convert';
import { readSafetensorsHeader, readTensorData } from '../../lib/io/safetensors';
import { openWeights } from '../../lib/io/safetensors-index';
import { writeSafetensors } from '../../lib/io/safetensors-writer';
import type { HostTensor } from '../../lib/io/tensor-types';

export type F32Tensors = Map<string, { shape: number[]; values: Float32Array }>;

/** DIR (model.safetensors or its index) or a .safetensors file; F32, BF16 and F16 read as float32. */
export async function readTensors(dirOrFile: string): Promise<F32Tensors> {
  const files = dirOrFile.endsWith('.safetensors') ? [await readSafetensorsHeader(dirOrFile)] : (await openWeights(dirOrFile)).files;
  const out: F32Tensors = new Map();
  for (const f of files) {
    for (const [name, e] of f.tensors) {
      const bytes = await readTensorData(f, e);
      if (e.dtype !== 'F32' && e.dtype !== 'BF16' && e.dtype !== 'F16')
        throw new Error(`${f.path}: ${name}: readTensors handles F32/BF16/F16, not ${e.dtype}`);
      const values =
        e.dtype === 'F32' ? f32BytesToFloat32(bytes) : e.dtype === 'BF16' ? bf16BytesToFloat32(bytes) : f16BytesToFloat32(bytes);
      out.set(name, { shape: e.shape, values });
    }
  }
  return out;
}

/** Re-encodes float32 values as safetensors host tensors of `dtype`. */
export function toHost(tensors: F32Tensors, dtype: 'F32' | 'BF16' | 'F16' = 'F32'): HostTensor[] {
  const enc = dtype === 'F32' ? float32ToF32Bytes : dtype === 'BF16' ? float32ToBf16Bytes : float32ToF16Bytes;
  return [...tensors].map(([name, t]) => ({ name, dtype, shape: t.shape, data: enc(t.values) }));
}

/** Writes DIR/model.safetensors (one file). */
export async function writeTensors(dir: string, tensors: F32Tensors, dtype: 'F32' | 'BF16' | 'F16' = 'F32'): Promise<void> {
  await writeSafetensors(path.join(dir, 'model.safetensors'), toHost(tensors, dtype), { format: 'pt' });
}
