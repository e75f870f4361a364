/**
 * `run --dry-run`'s GPU-hour estimate for GPU runs: tokens to sample and to train, divided by
 * per-GPU throughputs that are ASSUMPTIONS, stated here as plain constants (change them to your
 * hardware's measured numbers: `npm run bench -- sample train` on the GPU machine).
 *
 *   sampling  tokens/s per GPU by model size (batched decoding with a KV cache, bf16)
 *   training  6·P FLOPs per token at TRAIN_MFU of GPU_PEAK_BF16_FLOPS
 *   scoring   (eval, extract, proxies) 2·P FLOPs per token at SCORING_MFU of the peak
 *
 * Parameter counts come from each model's config.json; a model not on disk falls back to
 * NOMINAL_PARAMETERS by its hub id (so the paper's plan can be sized before downloading 8B models).
 */
import type { Plan } from './step';

/** H100 SXM dense bf16 peak. */
export const GPU_PEAK_BF16_FLOPS = 989e12;
export const TRAIN_MFU = 0.35;
export const SCORING_MFU = 0.25;
/** Sampling throughput per GPU: [max parameters, tokens/s]; the first row whose bound fits applies. */
export const SAMPLING_TOKENS_PER_SECOND: ReadonlyArray<readonly [number, number]> = [
  [1.5e9, 20_000],
  [4e9, 9_000],
  [9e9, 4_000],
  [Infinity, 1_500],
];

/** Parameter counts of the paper's models (and friends) by Hugging Face id, from their model cards. */
export const NOMINAL_PARAMETERS: Readonly<Record<string, number>> = {
  'Qwen/Qwen2.5-0.5B': 0.494e9,
  'Qwen/Qwen2.5-1.5B': 1.54e9,
  'Qwen/Qwen2.5-7B': 7.62e9,
  'Qwen/Qwen3-0.6B': 0.6e9,
  'Qwen/Qwen3-0.6B-Base': 0.6e9,
  'Qwen/Qwen3-8B-Base': 8.19e9,
  'meta-llama/Llama-3.2-1B': 1.24e9,
  'EleutherAI/pythia-70m': 70e6,
  'EleutherAI/pythia-410m': 405e6,
  'EleutherAI/pythia-1b': 1.01e9,
};

export function samplingTokensPerSecond(parameters: number): number {
  return SAMPLING_TOKENS_PER_SECOND.find(([max]) => parameters <= max)![1];
}

export interface GpuHours {
  tokensToSample: number;
  tokensToTrain: number;
  hours: { sample: number; train: number; scoring: number; total: number };
  assumptions: string;
}

/** GPU hours of the given steps (normally the ones still to run). */
export function estimateGpuHours(plan: Plan, steps: Plan['steps']): GpuHours {
  const P = (name: string | undefined) => (name ? (plan.models[name]?.parameters ?? 0) : 0);
  let tokensToSample = 0,
    tokensToTrain = 0,
    sample = 0,
    train = 0,
    scoring = 0;
  for (const s of steps) {
    if (s.kind === 'sample') {
      const p = P(s.models.model);
      tokensToSample += s.estimate.tokens;
      if (p > 0) sample += s.estimate.tokens / samplingTokensPerSecond(p);
    } else if (s.kind === 'train') {
      tokensToTrain += s.estimate.tokens;
      train += (6 * P(s.models.model) * s.estimate.tokens) / (TRAIN_MFU * GPU_PEAK_BF16_FLOPS);
    } else if (s.device) {
      scoring += s.estimate.flops / (SCORING_MFU * GPU_PEAK_BF16_FLOPS);
    }
  }
  const h = (sec: number) => sec / 3600;
  return {
    tokensToSample,
    tokensToTrain,
    hours: { sample: h(sample), train: h(train), scoring: h(scoring), total: h(sample + train + scoring) },
    assumptions:
      `sampling ${SAMPLING_TOKENS_PER_SECOND.map(([m, t]) => `${t} tok/s${Number.isFinite(m) ? ` up to ${m / 1e9}B` : ' above'}`).join(', ')}; ` +
      `training 6·P FLOPs/token at ${TRAIN_MFU * 100}% MFU, scoring 2·P at ${SCORING_MFU * 100}% MFU, of ${GPU_PEAK_BF16_FLOPS / 1e12} TFLOP/s (H100 bf16); ` +
      'sampled tokens are an upper bound (every sample runs to max_new_tokens)',
  };
}
