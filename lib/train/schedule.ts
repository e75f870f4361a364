/**
 * Learning-rate schedules, exactly as transformers' `get_*_schedule_with_warmup` (LambdaLR):
 * the update of optimizer step k (0-based) uses lr · λ(k), so with warmup the first update uses
 * lr 0, as in the Hugging Face Trainer.
 *   constant:  λ = 1                       (with warmup: get_constant_schedule_with_warmup)
 *   linear:    warmup ramp, then (total − k) / (total − warmup), floored at 0
 *   cosine:    warmup ramp, then 0.5 · (1 + cos(π · progress)), num_cycles = 0.5
 */
export type ScheduleName = 'constant' | 'linear' | 'cosine';

export interface Schedule {
  name: ScheduleName;
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Multiplier λ(k) of the base learning rate for 0-based optimizer step k. */
export function lrLambda(s: Omit<Schedule, 'baseLr'>, k: number): number {
  const w = s.warmupSteps;
  if (k < w) return k / Math.max(1, w);
  if (s.name === 'constant') return 1;
  if (s.name === 'linear') return Math.max(0, (s.totalSteps - k) / Math.max(1, s.totalSteps - w));
  const progress = (k - w) / Math.max(1, s.totalSteps - w);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
}

/** Learning rate of 0-based optimizer step k. */
export function lrAt(s: Schedule, k: number): number {
  return s.baseLr * lrLambda(s, k);
}
