/**
 * BERT tensors of a checkpoint → the native load plan (lib/native/types.ts NativeLoadPlan, executed
 * by native/model/weights.cc). Names are transformers' BertModel names; checkpoints saved from
 * BertFor* heads carry a `bert.` prefix, which is stripped. Old checkpoints' LayerNorm.gamma/beta
 * are read as weight/bias (as transformers renames them on load).
 *
 * Not used and accepted: the pooler (pooler.dense.*; sentence-transformers ignores it), the MLM /
 * NSP heads (cls.*) and the position_ids buffer. Every other tensor must be described by config.json:
 * a missing one is ERR_MISSING_TENSOR, a wrong shape ERR_TENSOR_SHAPE, a stray one ERR_UNEXPECTED_TENSOR.
 */
import { FormatError } from '../errors';
import type { WeightIndex } from '../io/tensor-types';
import type { NativeLoadPlan, NativeWeightSlot } from '../native/types';
import { rejectUnexpectedTensors } from '../model/load-plan';
import type { BertSpec } from './config';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

interface SlotSpec {
  name: string;
  shape: number[];
  kind: string;
}

/** Internal parameter names (HF names without prefix) and shapes. */
export function bertSlots(s: BertSpec): SlotSpec[] {
  const H = s.hiddenSize;
  const I = s.intermediateSize;
  const out: SlotSpec[] = [];
  const linear = (name: string, o: number, i: number) =>
    out.push({ name: `${name}.weight`, shape: [o, i], kind: 'linear_weight' }, { name: `${name}.bias`, shape: [o], kind: 'bias' });
  const norm = (name: string) =>
    out.push({ name: `${name}.weight`, shape: [H], kind: 'norm_weight' }, { name: `${name}.bias`, shape: [H], kind: 'norm_bias' });
  out.push({ name: 'embeddings.word_embeddings.weight', shape: [s.vocabSize, H], kind: 'embedding' });
  out.push({ name: 'embeddings.position_embeddings.weight', shape: [s.maxPositionEmbeddings, H], kind: 'embedding' });
  out.push({ name: 'embeddings.token_type_embeddings.weight', shape: [s.typeVocabSize, H], kind: 'embedding' });
  norm('embeddings.LayerNorm');
  for (let i = 0; i < s.numLayers; i++) {
    const L = `encoder.layer.${i}`;
    for (const p of ['query', 'key', 'value']) linear(`${L}.attention.self.${p}`, H, H);
    linear(`${L}.attention.output.dense`, H, H);
    norm(`${L}.attention.output.LayerNorm`);
    linear(`${L}.intermediate.dense`, I, H);
    linear(`${L}.output.dense`, H, I);
    norm(`${L}.output.LayerNorm`);
  }
  return out;
}

function isIgnored(name: string): boolean {
  return name.startsWith('pooler.') || name.startsWith('cls.') || name === 'embeddings.position_ids';
}

/** The checkpoint's name of an internal parameter, trying the `bert.` prefix and gamma/beta spellings. */
function candidates(name: string, prefix: string): string[] {
  const names = [prefix + name];
  if (/LayerNorm\.weight$/.test(name)) names.push(prefix + name.replace(/weight$/, 'gamma'));
  if (/LayerNorm\.bias$/.test(name)) names.push(prefix + name.replace(/bias$/, 'beta'));
  return names;
}

export function buildEncoderLoadPlan(spec: BertSpec, index: WeightIndex, modelDir: string, checkFinite = true): NativeLoadPlan {
  const all = [...index.location.keys()];
  const prefix = all.some((n) => n.startsWith('bert.embeddings.')) ? 'bert.' : '';
  const used = new Set<string>();
  const slots: NativeWeightSlot[] = bertSlots(spec).map((slot) => {
    const name = candidates(slot.name, prefix).find((n) => index.location.has(n));
    if (name === undefined) {
      throw new FormatError(
        'ERR_MISSING_TENSOR',
        `${modelDir}: tensor ${prefix}${slot.name} is missing from the checkpoint (is config.json this model's?)`,
        { tensor: prefix + slot.name, model: modelDir },
      );
    }
    const fileIdx = index.location.get(name)!;
    const entry = index.files[fileIdx]!.tensors.get(name)!;
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      throw new FormatError(
        'ERR_SAFETENSORS_DTYPE',
        `${modelDir}: tensor ${name} has dtype ${entry.dtype}; weights must be F32, F16 or BF16`,
        { tensor: name, dtype: entry.dtype },
      );
    }
    if (entry.shape.length !== slot.shape.length || entry.shape.some((d, i) => d !== slot.shape[i])) {
      throw new FormatError(
        'ERR_TENSOR_SHAPE',
        `${modelDir}: tensor ${name} has shape [${entry.shape.join(', ')}], but config.json implies [${slot.shape.join(', ')}]`,
        { tensor: name, shape: entry.shape, expected: slot.shape },
      );
    }
    used.add(name);
    return {
      name: slot.name,
      shape: slot.shape,
      op: 'copy',
      kind: slot.kind,
      sources: [{ file: fileIdx, name, dtype: entry.dtype, shape: entry.shape, begin: entry.begin, end: entry.end }],
    };
  });
  const unexpected = all.filter((n) => !used.has(n) && !isIgnored(n.startsWith(prefix) ? n.slice(prefix.length) : n) && !isIgnored(n));
  rejectUnexpectedTensors(modelDir, unexpected);
  return { files: index.files.map((f) => f.path), slots, neoxHeads: 0, checkFinite };
}
