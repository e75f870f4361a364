/**
 * Every default of an experiment file, in one place. The zod schema (schema.ts) applies these;
 * `resurface run --dry-run --json` prints the fully resolved experiment so users see what ran.
 *
 * Sampling: prompt-free (start token only), no truncation (top-k 0, top-p 1, min-p 0), so the
 * temperature alone shapes the distribution, as in the paper's setup.
 * Training: full-parameter AdamW fine-tuning for one epoch over the corpus, constant learning
 * rate after a short warmup, packed blocks; settings for 70M–1B-parameter students.
 */
export const EXPERIMENT_DEFAULTS = {
  sampling: {
    temperatures: [1.0],
    num_samples: 1000,
    max_new_tokens: 256,
    top_k: 0,
    top_p: 1.0,
    min_p: 0,
    /** 'auto' picks the largest batch that fits the device. */
    batch_size: 'auto' as number | 'auto',
  },
  training: {
    epochs: 1,
    lr: 2e-5,
    schedule: 'constant' as 'constant' | 'linear' | 'cosine',
    warmup: 0,
    batch_size: 8,
    grad_accum: 1,
    seq_len: 256,
    packing: 'concat' as 'concat' | 'none',
    weight_decay: 0,
    grad_clip: 1.0,
    betas: [0.9, 0.999] as [number, number],
    eps: 1e-8,
    dtype: 'float32' as 'auto' | 'float32' | 'bfloat16',
  },
  evaluation: {
    batch_size: 16,
    /** Evaluate every model of the grid before training too (the "before" of capability/extraction). */
    baseline: true,
    extraction: { prefix_len: 32, suffix_len: 32, offset: 0 },
    proxies: { enabled: true, k: 5, max_n: 4, lexical_only: false, max_corpus_texts: 2000 },
  },
  grid: { seeds: [0] },
  statistics: { resamples: 2000, level: 0.95, seed: 0, non_inferiority_points: 1, proxy_margin: 0.5, extraction_drop: 0.95 },
  /**
   * Planning estimates only (`--dry-run`): sustained FLOP/s per device kind for forward passes
   * (generation and scoring) and for training (forward + backward).
   */
  estimate: {
    cpu: { forward_flops: 5e10, train_flops: 3e10 },
    cuda: { forward_flops: 2e13, train_flops: 8e13 },
  },
} as const;
