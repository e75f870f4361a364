/**
 * The compute dtype of a model, decided in one place. `dtype: 'auto'` is the checkpoint's own dtype
 * where the device computes it natively, else float32:
 *
 *   checkpoint   cuda       cpu with avx512_bf16 / amx_bf16   other cpu
 *   bfloat16     bfloat16   bfloat16                          float32 (emulated bf16 is ~47x slower)
 *   float16      float16    float32 (no fast fp16 GEMM)       float32
 *   float32      float32    float32                           float32
 *
 * The checkpoint's dtype is config.json's `dtype` (transformers 5) or `torch_dtype` (4), else the
 * dtype most of the stored weight bytes have. An explicit dtype is taken as asked; bfloat16 on a
 * CPU without native bf16 dot products runs, with warning WARN_BF16_EMULATED. The reason string
 * goes into corpus manifests and the CLI's output, so a record says why it ran in what it ran in.
 */
import { cpuInfo } from '../native/cpu-info';
import type { CpuInfo, DeviceName, ModelDtype, NativeLoadPlan } from '../native/types';
import { warnOnce, type ResurfaceWarning } from '../util/warnings';

export type DtypeRequest = ModelDtype | 'auto';

export interface DtypeChoice {
  /** What the model computes in. */
  dtype: ModelDtype;
  /** What was asked for (`auto` or an explicit dtype). */
  requested: DtypeRequest;
  /** Why, in a few words: "checkpoint bfloat16; CPU has avx512_bf16". */
  reason: string;
}

/** The CPU facts the choice depends on (a subset of runtimeInfo().cpu; tests pass fakes). */
export type CpuBf16Facts = Pick<CpuInfo, 'features' | 'nativeBf16'>;

export interface DtypeInput {
  requested: DtypeRequest;
  device: DeviceName;
  /** The checkpoint's dtype (checkpointDtype()), null when it cannot be told. */
  checkpoint: ModelDtype | null;
  cpu: CpuBf16Facts;
}

const EMULATED = 'CPU lacks native bf16 (emulated bf16 is ~47x slower)';

export function resolveDtype(input: DtypeInput): DtypeChoice & { warning?: ResurfaceWarning } {
  const { requested, device, checkpoint, cpu } = input;
  const onCpu = device === 'cpu';
  const bf16Features = cpu.features.filter((f) => f === 'avx512_bf16' || f === 'amx_bf16');
  const nativeBf16 = cpu.nativeBf16 && bf16Features.length > 0;
  const cpuHas = `CPU has ${bf16Features.join(' + ')}`;
  if (requested !== 'auto') {
    const choice = { dtype: requested, requested };
    if (requested !== 'bfloat16' || !onCpu) return { ...choice, reason: `requested ${requested} on ${device}` };
    if (nativeBf16) return { ...choice, reason: `requested bfloat16; ${cpuHas}` };
    return {
      ...choice,
      reason: `requested bfloat16; ${EMULATED}`,
      warning: {
        code: 'WARN_BF16_EMULATED',
        message:
          'bfloat16 on a CPU without native bf16 dot products (avx512_bf16 / amx_bf16) is emulated and ~47x slower than float32; use --dtype float32 or --dtype auto',
      },
    };
  }
  if (checkpoint === null) return { dtype: 'float32', requested, reason: 'checkpoint dtype unknown: float32' };
  if (checkpoint === 'float32') return { dtype: 'float32', requested, reason: 'checkpoint float32' };
  if (!onCpu) return { dtype: checkpoint, requested, reason: `checkpoint ${checkpoint}; ${device} computes it natively` };
  if (checkpoint === 'float16') return { dtype: 'float32', requested, reason: 'checkpoint float16; no float16 compute on CPU: float32' };
  if (nativeBf16) return { dtype: 'bfloat16', requested, reason: `checkpoint bfloat16; ${cpuHas}` };
  return { dtype: 'float32', requested, reason: `checkpoint bfloat16; ${EMULATED}: float32` };
}

const CONFIG_NAMES: Record<string, ModelDtype> = {
  float32: 'float32',
  fp32: 'float32',
  float: 'float32',
  bfloat16: 'bfloat16',
  bf16: 'bfloat16',
  float16: 'float16',
  fp16: 'float16',
  half: 'float16',
};
const STORED_NAMES: Record<string, ModelDtype> = { F32: 'float32', F64: 'float32', BF16: 'bfloat16', F16: 'float16' };

/**
 * The checkpoint's own dtype: config.json's (`bfloat16`, `torch.bfloat16`, `bf16`, …) when it names
 * one, else the dtype of most stored weight elements (F64 counts as float32), else null.
 */
export function checkpointDtype(configDtype: string | null | undefined, plan: NativeLoadPlan | null): ModelDtype | null {
  const named = configDtype
    ? CONFIG_NAMES[
        configDtype
          .trim()
          .toLowerCase()
          .replace(/^torch\./, '')
      ]
    : undefined;
  if (named) return named;
  if (!plan) return null;
  const elements = new Map<ModelDtype, number>();
  for (const slot of plan.slots)
    for (const s of slot.sources) {
      const d = STORED_NAMES[s.dtype];
      if (d) elements.set(d, (elements.get(d) ?? 0) + s.shape.reduce((a, b) => a * b, 1));
    }
  let best: ModelDtype | null = null;
  for (const [d, n] of elements) if (best === null || n > elements.get(best)!) best = d;
  return best;
}

/**
 * resolveDtype for a checkpoint about to be loaded, reporting WARN_BF16_EMULATED (once per process)
 * when the choice runs bfloat16 on a CPU that emulates it. `cpu` defaults to this machine's.
 */
export function chooseDtype(
  requested: DtypeRequest,
  device: DeviceName,
  configDtype: string | null | undefined,
  plan: NativeLoadPlan | null,
  cpu: CpuBf16Facts = cpuInfo(),
): DtypeChoice {
  const { warning, ...choice } = resolveDtype({ requested, device, checkpoint: checkpointDtype(configDtype, plan), cpu });
  if (warning) warnOnce(warning);
  return choice;
}
