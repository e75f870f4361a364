/**
 * Step executors: the adapters between the runner and the library calls that do the work.
 *
 * The real executors (native generate, corpus retokenize, train, eval, extract, proxies) are
 * registered by `defaultExecutors()` in executors.ts, the fake ones (plumbing tests) by
 * `fakeExecutors()` in fake-executors.ts. An executor receives the step
 * (plain data: settings, coords) and a context: a private output directory to fill, the output
 * directories of its inputs, the resolved model directories, a device, an abort signal and
 * progress/log callbacks. It returns a JSON-serializable result, stored with the step.
 *
 * Output conventions the report relies on (the JSON outputs of the corresponding CLI commands):
 *   sample / retokenize: ctx.outDir is a corpus directory; result {samples, tokens}
 *   train:   ctx.outDir is the trained HF model directory; result {steps, tokens, final_loss}
 *   eval:    result = `eval --json` output: {task, n, acc, acc_stderr, acc_norm, acc_norm_stderr,
 *            items: [{index, gold, pred, pred_norm}]}
 *   extract: result = `extract --json` output: {n, exact_match_rate, exact_match_ci, mean_score,
 *            items: [{index, score, exact}]}
 *   proxies: result = ProxyReport (lib/proxies); the report derives its columns (lib/report/proxy-columns.ts)
 */
import type { Plan, Step, StepKind } from './step';

export type StepResult = Record<string, unknown>;

export interface StepInput {
  /** Output directory of the input step (a corpus, a model). */
  dir: string;
  result: StepResult;
}

export interface StepModel {
  name: string;
  dir: string;
  family: string;
  tokenizer: string;
}

export interface StepContext {
  plan: Plan;
  runDir: string;
  /** Write everything here. It is renamed into the cache only when `run` resolves. */
  outDir: string;
  /** True when outDir holds the partial work of an interrupted earlier attempt (resumable executors only). */
  resume: boolean;
  /** 'cpu' or 'cuda:N'. */
  device: string;
  inputs: Record<string, StepInput>;
  models: Record<string, StepModel>;
  signal: AbortSignal;
  log(message: string): void;
  progress(done: number, total: number, unit?: string): void;
}

export interface StepExecutor {
  /** Part of every step key: bump it when outputs change meaning. */
  readonly version: string;
  /** Can continue from a partial outDir after a crash (generate --resume, train --resume). */
  readonly resumable?: boolean;
  run(step: Step, ctx: StepContext): Promise<StepResult>;
}

export type ExecutorRegistry = Partial<Record<StepKind, StepExecutor>>;

/** The directory of the model a step evaluates: the trained model if it has one, else the base model. */
export function evaluatedModelDir(ctx: StepContext): string {
  return ctx.inputs.model?.dir ?? ctx.models.model.dir;
}
