/**
 * Where a step's wall time goes: main-thread JavaScript (orchestration: the runner, tokenizer
 * glue, JSON, file writes) against time the event loop sat idle waiting for work off the main
 * thread (libtorch calls run in AsyncWorkers; tokenizers and async file I/O also run off-thread).
 * Measured with `performance.eventLoopUtilization()`, which costs two calls per step.
 *
 * Each executed step leaves `timing.json` in its output directory:
 *   {wall_ms, js_ms, waiting_ms, orchestration_share}   orchestration_share = js_ms / wall_ms
 * `readStepTimings(runDir)` sums them per step kind (bench/lab.js: the orchestration share of a lab run).
 * With several devices, steps overlap and share one event loop, so per-step figures are upper
 * bounds; run with one device for a clean measurement.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileAtomic } from '../../io/atomic';
import type { StepExecutor } from '../executor';
import { openRun } from '../store';

export const TIMING_FILE = 'timing.json';

export interface StepTiming {
  wall_ms: number;
  /** Main thread busy (JavaScript and synchronous native calls). */
  js_ms: number;
  /** Main thread idle: awaiting native promises (and off-thread tokenization / file I/O). */
  waiting_ms: number;
  orchestration_share: number;
}

/** Runs `fn` and reports how its wall time divides between main-thread work and waiting. */
export async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; timing: StepTiming }> {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const d = performance.eventLoopUtilization(elu0);
  const js = Math.min(wall, d.active);
  const timing: StepTiming = {
    wall_ms: round(wall),
    js_ms: round(js),
    waiting_ms: round(Math.max(0, wall - js)),
    orchestration_share: wall > 0 ? js / wall : 0,
  };
  return { value, timing };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** The executor, with its timing written to `timing.json` in the step's output directory and logged. */
export function withTiming(executor: StepExecutor): StepExecutor {
  return {
    version: executor.version,
    resumable: executor.resumable,
    async run(step, ctx) {
      const { value, timing } = await measure(() => executor.run(step, ctx));
      await writeFileAtomic(path.join(ctx.outDir, TIMING_FILE), `${JSON.stringify(timing)}\n`);
      ctx.log(`${(timing.wall_ms / 1000).toFixed(2)}s, ${(timing.orchestration_share * 100).toFixed(1)}% on the main thread`);
      return value;
    },
  };
}

export interface KindTiming {
  steps: number;
  wall_ms: number;
  js_ms: number;
  orchestration_share: number;
}

/**
 * Timings of every step of the run in RUN_DIR that left a timing.json (cached steps carry the
 * timing of the run that produced them), summed per kind and overall.
 */
export function readStepTimings(runDir: string): {
  byKind: Record<string, KindTiming>;
  total: KindTiming;
  steps: Array<{ id: string; kind: string } & StepTiming>;
} {
  const { plan, store } = openRun(runDir);
  const steps: Array<{ id: string; kind: string } & StepTiming> = [];
  for (const s of plan.steps) {
    try {
      const t = JSON.parse(fs.readFileSync(store.fileOf(s, TIMING_FILE), 'utf8')) as StepTiming;
      steps.push({ id: s.id, kind: s.kind, ...t });
    } catch {
      /* not run (yet), or the report */
    }
  }
  const sum = (list: StepTiming[]): KindTiming => {
    const wall = list.reduce((a, t) => a + t.wall_ms, 0);
    const js = list.reduce((a, t) => a + t.js_ms, 0);
    return { steps: list.length, wall_ms: round(wall), js_ms: round(js), orchestration_share: wall > 0 ? js / wall : 0 };
  };
  const byKind: Record<string, KindTiming> = {};
  for (const kind of [...new Set(steps.map((s) => s.kind))]) byKind[kind] = sum(steps.filter((s) => s.kind === kind));
  return { byKind, total: sum(steps), steps };
}
