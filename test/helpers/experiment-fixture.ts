/** A small experiment on fake models: YAML, task file and extraction set in a temporary folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepContext } from '../../lib/experiment/executor';

export interface FixtureOptions {
  temperatures?: number[];
  seeds?: number[];
  sources?: string[];
  /** File name of the YAML (default exp.yaml). */
  fileName?: string;
  /** Add a forgetting control for the student (natural text in natural.jsonl). */
  forgetting?: boolean;
}

export function writeFixtureExperiment(dir: string, opts: FixtureOptions = {}): string {
  fs.mkdirSync(path.join(dir, 'tasks'), { recursive: true });
  const items = Array.from({ length: 40 }, (_, i) => JSON.stringify({ context: `Fact ${i}: the cat`, choices: ['sat', 'flew'], gold: 0 }));
  fs.writeFileSync(path.join(dir, 'tasks', 'facts.jsonl'), items.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'natural.jsonl'),
    Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `The cat ${i} sat on the mat.` })).join('\n') + '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'canaries.jsonl'),
    Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `canary ${i} xq zv` })).join('\n') + '\n',
  );
  const yaml = `name: fixture
models:
  small: { path: models/small, family: A, tokenizer: tokA }
  large: { path: models/large, family: A, tokenizer: tokA }
  other: { path: models/other, family: B, tokenizer: tokB }
sampling:
  temperatures: [${(opts.temperatures ?? [0.7, 1.0]).join(', ')}]
  num_samples: 20
  max_new_tokens: 16
training:
  max_steps: 10
evaluation:
  tasks: [tasks/facts.jsonl]
  extraction:
    - { name: canaries, data: canaries.jsonl, prefix_len: 2, suffix_len: 2 }
  proxies: { lexical_only: false, max_corpus_texts: 50 }
grid:
  students: [small]
  sources: [${(opts.sources ?? ['small', 'large', 'other']).join(', ')}]
  seeds: [${(opts.seeds ?? [0, 1]).join(', ')}]
statistics: { resamples: 200 }
${opts.forgetting ? 'controls: { forgetting: { small: natural.jsonl } }\n' : ''}`;
  const file = path.join(dir, opts.fileName ?? 'exp.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** kind/key → result of every finished step in a run's cache, without the fields that measure speed. */
export function cachedResults(cacheDir: string): Map<string, unknown> {
  const volatile = new Set(['tokens_per_second', 'elapsed_seconds', 'shards_reused', 'resumed_from', 'peak_rss_bytes']);
  const out = new Map<string, unknown>();
  for (const kind of fs.readdirSync(cacheDir))
    for (const key of fs.readdirSync(path.join(cacheDir, kind))) {
      const f = path.join(cacheDir, kind, key, 'step.json');
      if (!fs.existsSync(f)) continue;
      const result = JSON.parse(fs.readFileSync(f, 'utf8')).result as Record<string, unknown>;
      out.set(`${kind}/${key}`, Object.fromEntries(Object.entries(result).filter(([k]) => !volatile.has(k))));
    }
  return out;
}

/**
 * The context an executor runs a step in, for calling one executor directly: model role `model`
 * (named 'm') at `modelDir`, on the CPU, fresh (not resuming), silent. Creates `outDir`.
 */
export function stepContext(outDir: string, modelDir: string, inputs: Record<string, { dir: string; result: unknown }> = {}): StepContext {
  fs.mkdirSync(outDir, { recursive: true });
  return {
    outDir,
    inputs,
    models: { model: { name: 'm', dir: modelDir } },
    device: 'cpu',
    resume: false,
    signal: new AbortController().signal,
    progress: () => {},
    log: () => {},
  } as unknown as StepContext;
}
