/**
 * Runs a task file of generate records (lm-evaluation-harness generate_until tasks: GSM8K, MATH,
 * HumanEval): generates natively (generate-until.ts), extracts answers, scores them
 * (generative-metrics.ts) and, for pass@k, executes the programs contained (code-sandbox.ts) — only
 * when the caller allows code execution.
 *
 *   const report = await evaluateGenerateTask(model, tok, readTaskFile('gsm8k.jsonl'), { batchSize: 32 });
 *   report.results['exact_match,strict-match']
 */
import { ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { buildProgram, runPrograms, sandboxCapabilities, type SandboxOptions } from './code-sandbox';
import type { GenerateSpec } from './generate-spec';
import { generateUntil, type Completion } from './generate-until';
import { aggregateGenerate, scorePassItem, scoreTextItem, type GenerateItemResult, type GenerateReport } from './generative-metrics';
import { checkMathEquivalence, type MathEquivalenceOptions } from './math-equivalence';
import type { TaskFile, TaskItem } from './task-file';

/** Settings that override every record's (the paper's HumanEval: temperature 0.2, top_p 0.95, repeats 10, 512 tokens). */
export interface GenerationOverrides {
  temperature?: number;
  topP?: number;
  repeats?: number;
  maxGenToks?: number;
}

export interface GenerateTaskOptions {
  batchSize?: number;
  /** Counter-RNG seed of sampled completions (default 0). */
  seed?: number;
  maxLength?: number;
  overrides?: GenerationOverrides;
  /** pass@k tasks execute model-written programs: refused unless true. */
  allowCodeExecution?: boolean;
  sandbox?: SandboxOptions;
  /** minerva_math: the sympy is_equiv check, reported as `is_equiv,none` where a Python with sympy runs
   * (default: tried); false skips it. */
  mathEquivalence?: boolean | MathEquivalenceOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateTaskReport extends GenerateReport {
  /** pass@k: what the sandbox contains on this machine. */
  sandbox?: string[];
  /** minerva_math: how `is_equiv,none` was computed, or why it was not. */
  mathEquivalence?: { python: string; backend: 'antlr' | 'lark'; sympy: string } | { unavailable: string };
}

interface Settings {
  temperature: number;
  topP: number;
  repeats: number;
  maxGenToks: number;
}

function settingsOf(g: GenerateSpec, o: GenerationOverrides = {}): Settings {
  const temperature = o.temperature ?? (g.doSample ? g.temperature : 0);
  return { temperature, topP: o.topP ?? g.topP, repeats: o.repeats ?? g.repeats, maxGenToks: o.maxGenToks ?? g.maxGenToks };
}

function generationOf(s: Settings): GenerateItemResult['generation'] {
  return { doSample: s.temperature > 0, temperature: s.temperature, topP: s.topP, maxGenToks: s.maxGenToks };
}

export async function evaluateGenerateTask(
  model: Model,
  tok: TextTokenizer,
  task: TaskFile,
  options: GenerateTaskOptions = {},
): Promise<GenerateTaskReport> {
  if (task.kind !== 'generate') throw new ResurfaceError('ERR_TASK', `${task.name}: not a generate task (${task.kind})`);
  const metric = task.items[0]!.generate!.metric;
  const o = options.overrides ?? {};
  if (o.repeats !== undefined && (!Number.isInteger(o.repeats) || o.repeats < 1))
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'repeats must be an integer >= 1');
  if (o.maxGenToks !== undefined && (!Number.isInteger(o.maxGenToks) || o.maxGenToks < 1))
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'max_gen_toks must be an integer >= 1');
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'temperature must be >= 0');
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'top_p must be in (0, 1]');
  let sandboxNotes: string[] | undefined;
  if (metric === 'pass@k') {
    if (!options.allowCodeExecution) {
      throw new ResurfaceError(
        'ERR_CODE_EXECUTION',
        `${task.name}: pass@k runs the programs the model writes; pass --allow-code-execution to allow it (the harness's --confirm_run_unsafe_code)`,
      );
    }
    sandboxNotes = sandboxCapabilities(options.sandbox?.python).notes; // fails now, before generating, when no sandbox works
    for (const it of task.items) {
      const r = settingsOf(it.generate!, o).repeats;
      for (const k of it.generate!.k) {
        if (k > r)
          throw new ResurfaceError('ERR_TASK', `line ${it.line}: pass@${k} needs at least ${k} completions (repeats is ${r})`, {
            line: it.line,
          });
      }
    }
  }

  // items with the same sampling settings are generated together (usually the whole file)
  const groups = new Map<string, TaskItem[]>();
  for (const it of task.items) {
    const s = settingsOf(it.generate!, o);
    const key = JSON.stringify([s.temperature, s.topP, s.repeats]);
    groups.set(key, [...(groups.get(key) ?? []), it]);
  }
  const completions = new Map<number, Completion[]>();
  let done = 0;
  for (const items of groups.values()) {
    const s = settingsOf(items[0]!.generate!, o);
    const base = done;
    const out = await generateUntil(
      model,
      tok,
      items.map((it) => ({
        context: it.context,
        until: it.generate!.until,
        maxGenToks: settingsOf(it.generate!, o).maxGenToks,
        rngIndex: it.index,
      })),
      {
        batchSize: options.batchSize,
        repeats: s.repeats,
        temperature: s.temperature,
        topP: s.topP,
        seed: options.seed,
        maxLength: options.maxLength,
        onProgress: (d) => options.onProgress?.(base + d, task.items.length),
      },
    );
    items.forEach((it, i) => completions.set(it.index, out[i]!));
    done += items.length;
  }
  const results: GenerateItemResult[] = task.items.map((it) => {
    const c = completions.get(it.index)!;
    const texts = c.map((x) => x.text);
    const base = {
      index: it.index,
      ...(it.group !== undefined ? { group: it.group } : {}),
      context: it.context,
      targets: it.generate!.targets,
      until: it.generate!.until,
      generation: generationOf(settingsOf(it.generate!, o)),
      completions: texts,
      finishReasons: c.map((x) => x.finishReason),
    };
    if (metric === 'pass@k')
      return { ...base, filtered: { create_test: buildProgram(it.context, texts[0] ?? '', it.generate!.targets[0]!) }, scores: {} };
    return { ...base, ...scoreTextItem(it.generate!, texts) };
  });

  if (metric === 'pass@k') {
    const programs: string[] = [];
    const owner: number[] = [];
    task.items.forEach((it, i) => {
      for (const text of results[i]!.completions) {
        programs.push(buildProgram(it.context, text, it.generate!.targets[0]!));
        owner.push(i);
      }
    });
    const runs = await runPrograms(programs, options.sandbox);
    results.forEach((r) => {
      r.passed = [];
      r.failures = [];
    });
    runs.forEach((x, j) => {
      const r = results[owner[j]!]!;
      r.passed!.push(x.passed);
      r.failures!.push(
        x.passed ? null : x.status === 'timeout' ? 'timed out' : x.stderr.split('\n').pop() || `exit ${x.exitCode ?? x.signal}`,
      );
    });
    task.items.forEach((it, i) => (results[i]!.scores = scorePassItem(it.generate!, results[i]!.passed!)));
  }
  const equivalence =
    metric === 'minerva_math' && options.mathEquivalence !== false ? await addMathEquivalence(results, options.mathEquivalence) : undefined;
  const report: GenerateTaskReport = aggregateGenerate(task.name, metric, results);
  if (sandboxNotes) report.sandbox = sandboxNotes;
  if (equivalence) report.mathEquivalence = equivalence;
  return report;
}

/** minerva_math: `is_equiv,none` per item (any gold equivalent to the extracted answer), where sympy runs. */
async function addMathEquivalence(
  results: GenerateItemResult[],
  o: boolean | MathEquivalenceOptions | undefined,
): Promise<GenerateTaskReport['mathEquivalence']> {
  const pairs: Array<[string, string]> = [];
  const owner: number[] = [];
  results.forEach((r, i) => {
    for (const t of r.targets) {
      pairs.push([r.filtered.none ?? '', t]);
      owner.push(i);
    }
  });
  const eq = await checkMathEquivalence(pairs, typeof o === 'object' ? o : {});
  if (!eq.available) return { unavailable: eq.reason };
  for (const r of results) r.scores['is_equiv,none'] = 0;
  eq.equiv.forEach((e, j) => {
    if (e) results[owner[j]!]!.scores['is_equiv,none'] = 1;
  });
  return { python: eq.python, backend: eq.backend, sympy: eq.sympy };
}
