/**
 * Matches a checkpoint's tensors (safetensors index) against the architecture's weight plan and
 * produces the plan the native loader executes. Everything that can be wrong with a checkpoint is
 * found here, before any weight is read: missing tensors, wrong shapes, non-float dtypes, and
 * unexpected tensors (which would mean the config does not describe these weights).
 */
import type { ArchSpec } from './arch-spec';
import { isIgnoredTensor, weightPlan } from './architectures';
import { FormatError } from '../errors';
import type { WeightIndex } from '../io/tensor-types';
import type { NativeLoadPlan, NativeSourceTensor } from '../native/types';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

export function buildLoadPlan(spec: ArchSpec, index: WeightIndex, modelDir: string, checkFinite = true): NativeLoadPlan {
  const plan = weightPlan(spec);
  const used = new Set<string>();
  const slots = plan.slots.map((slot) => {
    const sources: NativeSourceTensor[] = slot.sources.map((name, i) => {
      const fileIdx = index.location.get(name);
      const entry = fileIdx === undefined ? undefined : index.files[fileIdx]!.tensors.get(name);
      if (fileIdx === undefined || !entry) {
        throw new FormatError('ERR_MISSING_TENSOR', `${modelDir}: tensor ${name} is missing from the checkpoint`, {
          tensor: name,
          model: modelDir,
        });
      }
      if (!FLOAT_DTYPES.has(entry.dtype)) {
        throw new FormatError(
          'ERR_SAFETENSORS_DTYPE',
          `${modelDir}: tensor ${name} has dtype ${entry.dtype}; weights must be F32, F16 or BF16`,
          {
            tensor: name,
            dtype: entry.dtype,
          },
        );
      }
      const expected = slot.sourceShapes[i]!;
      if (!sameShape(entry.shape, expected)) {
        throw new FormatError(
          'ERR_TENSOR_SHAPE',
          `${modelDir}: tensor ${name} has shape [${entry.shape.join(', ')}], but config.json implies [${expected.join(', ')}]`,
          { tensor: name, shape: entry.shape, expected },
        );
      }
      used.add(name);
      return { file: fileIdx, name, dtype: entry.dtype, shape: entry.shape, begin: entry.begin, end: entry.end };
    });
    return { name: slot.name, shape: slot.shape, op: slot.op, kind: slot.kind, sources };
  });

  const unexpected = [...index.location.keys()].filter((n) => !used.has(n) && !isIgnoredTensor(plan, n));
  rejectUnexpectedTensors(modelDir, unexpected);
  return { files: index.files.map((f) => f.path), slots, neoxHeads: spec.family === 'gpt_neox' ? spec.numHeads : 0, checkFinite };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** ERR_UNEXPECTED_TENSOR naming (the first five of) the checkpoint's tensors that the config does not describe. */
export function rejectUnexpectedTensors(modelDir: string, unexpected: string[]): void {
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 5).join(', ') + (unexpected.length > 5 ? `, … (${unexpected.length} in all)` : '');
    throw new FormatError(
      'ERR_UNEXPECTED_TENSOR',
      `${modelDir}: the checkpoint holds tensors that config.json does not describe: ${shown}`,
      { tensors: unexpected },
    );
  }
}
