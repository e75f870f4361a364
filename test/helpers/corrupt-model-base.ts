/**
 * The tiny base models and the writers behind corrupt-models.ts: four bases (NeoX untied, Llama
 * tied, Qwen2 tied with q/k/v bias, Qwen3 tied with q/k norm) built synchronously from the vendored
 * configs, tensor editors, and the case builder every family of cases adds to.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorCode } from '../../lib/errors';
import { serializeHeader } from '../../lib/io/safetensors-writer';
import type { HostTensor, SafetensorsDtype } from '../../lib/io/tensor-types';
import { hfTensorKinds, hfTensorShapes } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import type { LoadOptions } from '../../lib/model/options';
import { shrinkConfig } from '../../lib/model/tiny';
import { mulberry32 } from './prng';
import { readSharedConfig, type SharedModel } from './shared';

export type Json = Record<string, any>;

export type BaseName = 'neox' | 'llama' | 'qwen2' | 'qwen3';

export interface BaseModel {
  name: BaseName;
  config: Json;
  /** F32 tensors in plan order. */
  tensors: HostTensor[];
}

export interface ModelCase {
  name: string;
  /** The code Model.load must reject with (one of several, for a few byte-level cases), or 'ok'. */
  expect: ErrorCode | ErrorCode[] | 'ok';
  /** For config cases: the field the error message must name. */
  field?: string;
  options?: LoadOptions;
  /** Writes the case under `dir` (an existing empty directory); returns the path for Model.load. */
  build: (dir: string) => string;
}

export const TINY_VOCAB = 64;

const BASE_SOURCES: Record<BaseName, SharedModel> = {
  neox: 'EleutherAI--pythia-70m',
  llama: 'meta-llama--Llama-3.2-1B',
  qwen2: 'Qwen--Qwen2.5-0.5B',
  qwen3: 'Qwen--Qwen3-0.6B',
};

export function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function makeBase(name: BaseName): BaseModel {
  const raw = readSharedConfig(BASE_SOURCES[name]);
  if (name !== 'neox') {
    raw.bos_token_id = 1;
    raw.eos_token_id = 2;
  }
  const config = shrinkConfig(raw, { vocabSize: TINY_VOCAB, maxPositionEmbeddings: 64 });
  const spec = parseConfig(config);
  const kinds = hfTensorKinds(spec);
  const rnd = mulberry32(name.length * 1000 + name.charCodeAt(0));
  const tensors: HostTensor[] = [];
  for (const [tname, shape] of hfTensorShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const centre = kinds.get(tname) === 'norm_weight' ? 1 : 0;
    for (let i = 0; i < n; i++) v[i] = centre + (rnd() - 0.5) * 0.2;
    tensors.push({ name: tname, dtype: 'F32', shape, data: f32Bytes(v) });
  }
  return { name, config, tensors };
}

/** Bytes of a safetensors file holding `tensors` (the project's header serialiser). */
export function encodeSafetensors(tensors: readonly HostTensor[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const { header, dataSize } = serializeHeader(tensors, metadata);
  const out = new Uint8Array(header.byteLength + dataSize);
  out.set(header, 0);
  let off = header.byteLength;
  for (const t of tensors) {
    out.set(t.data, off);
    off += t.data.byteLength;
  }
  return out;
}

export function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

export function writeModel(dir: string, config: Json | string, tensors: readonly HostTensor[]): string {
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return dir;
}

export const clone = (c: Json): Json => structuredClone(c);
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A tensor of `dtype` and `shape` whose bytes are valid for that dtype (sizes match). */
export function tensorOf(name: string, dtype: SafetensorsDtype, shape: number[], fill = 1): HostTensor {
  const sizes: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
  const data = new Uint8Array(numel(shape) * sizes[dtype]);
  if (dtype === 'F32') new Float32Array(data.buffer).fill(fill);
  else if (dtype === 'F64') new Float64Array(data.buffer).fill(fill);
  else data.fill(fill === 0 ? 0 : 1);
  return { name, dtype, shape, data };
}

/** Same values as `t`, re-encoded as F64 (a float dtype the loader accepts). */
export function asF64(t: HostTensor): HostTensor {
  const f = new Float32Array(t.data.slice().buffer);
  return { ...t, dtype: 'F64', data: new Uint8Array(Float64Array.from(f).buffer) };
}

export function withValue(t: HostTensor, index: number, value: number, dtype: 'F32' | 'F16' | 'BF16' | 'F64' = 'F32'): HostTensor {
  const f = new Float32Array(t.data.slice().buffer);
  f[index % f.length] = value;
  if (dtype === 'F32') return { ...t, data: new Uint8Array(f.buffer) };
  if (dtype === 'F64') return { ...t, dtype, data: new Uint8Array(Float64Array.from(f).buffer) };
  // F16 / BF16: encode by hand so NaN/Inf survive exactly.
  const out = new Uint8Array(f.length * 2);
  const dv = new DataView(out.buffer);
  const u32 = new Uint32Array(f.buffer);
  for (let i = 0; i < f.length; i++) {
    let bits: number;
    if (dtype === 'BF16')
      bits = u32[i]! >>> 16; // truncation keeps NaN (mantissa bits high) and Inf
    else if (Number.isNaN(f[i]!)) bits = 0x7e00;
    else if (f[i] === Infinity) bits = 0x7c00;
    else if (f[i] === -Infinity) bits = 0xfc00;
    else bits = 0x3c00; // 1.0; the values do not matter here
    dv.setUint16(i * 2, bits, true);
  }
  return { ...t, dtype, data: out };
}

/** What each family of cases adds with: the bases, and one-line builders of a case. */
export interface CaseBuilder {
  bases: Record<BaseName, BaseModel>;
  all: BaseModel[];
  add: (c: ModelCase) => void;
  /** A case whose tensors are `edit`ed copies of the base's. */
  tensorCase: (
    b: BaseModel,
    name: string,
    expect: ModelCase['expect'],
    edit: (ts: HostTensor[]) => HostTensor[],
    options?: LoadOptions,
  ) => void;
  /** A case whose config.json is an `edit`ed copy of the base's. */
  configCase: (b: BaseModel, name: string, expect: ModelCase['expect'], edit: (c: Json) => void, field?: string) => void;
}

export function caseBuilder(bases: Record<BaseName, BaseModel>, cases: ModelCase[]): CaseBuilder {
  const add = (c: ModelCase): void => {
    cases.push(c);
  };
  const tensorCase = (
    b: BaseModel,
    name: string,
    expect: ModelCase['expect'],
    edit: (ts: HostTensor[]) => HostTensor[],
    options?: LoadOptions,
  ): void => {
    add({ name: `${b.name}: ${name}`, expect, options, build: (dir) => writeModel(dir, b.config, edit(b.tensors.map((t) => ({ ...t })))) });
  };
  const configCase = (b: BaseModel, name: string, expect: ModelCase['expect'], edit: (c: Json) => void, field?: string): void => {
    add({
      name: `${b.name}: config ${name}`,
      expect,
      field,
      build: (dir) => {
        const c = clone(b.config);
        edit(c);
        return writeModel(dir, c, b.tensors);
      },
    });
  };
  const all = Object.values(bases);

  return { bases, all, add, tensorCase, configCase };
}
