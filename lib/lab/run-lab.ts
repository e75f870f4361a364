/**
 * `resurface lab [--preset quick|full]`: the self-training study on the shipped model families,
 * run as an ordinary experiment (lab/<preset>.yaml) through the experiment runner, so the step
 * cache, resume after a kill and the report all apply. Rerunning the same preset into the same
 * folder reuses every finished step.
 *
 * Besides the run directory's own files it writes RUN_DIR/lab-timing.json: wall time, time per
 * step kind, time inside executors, and the main thread's event-loop utilisation — native work runs
 * on worker threads while the loop idles, so the loop's active share bounds the time spent outside
 * native code (orchestration, JSON, tokenizer calls) from above.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { runExperiment } from '../experiment/run-experiment';
import type { ExecutorRegistry } from '../experiment/executor';
import type { StepEvent, RunSummary } from '../experiment/runner';
import { runExperimentName } from '../experiment/store';
import { analyze, readResults, type Analysis, type Finding } from '../report';
import { assertAssets, defaultAssetsDir, type AssetCheck, type Preset } from './assets';

export interface LabOptions {
  preset?: Preset;
  /** Run directory (default runs/lab-<preset>). */
  out?: string;
  /** Assets folder (default: the package's lab/). */
  assetsDir?: string;
  /** Executors (tests); default: the real ones. */
  executors?: ExecutorRegistry;
  signal?: AbortSignal;
  onEvent?: (e: StepEvent) => void;
  /** Called once the plan is known: total steps, how many are already cached, and each step's rough time estimate (for an ETA). */
  onPlan?: (p: LabPlan) => void;
}

export interface LabPlan {
  steps: number;
  cached: number;
  runDir: string;
  file: string;
  /** Step id → estimated seconds (plan.ts: parameter counts × nominal throughput; only ratios are meaningful). */
  estimates: Record<string, number>;
}

export interface KindTiming {
  steps: number;
  wallMs: number;
}

export interface LabTiming {
  preset: string;
  wallMs: number;
  /** Steps executed in this invocation, by kind (cached steps cost nothing and are not counted). */
  perKind: Record<string, KindTiming>;
  executorMs: number;
  /** Wall time outside any executor (planning, cache checks, scheduling, the step records). */
  orchestrationMs: number;
  eventLoop: { activeMs: number; idleMs: number; utilization: number };
  /** CPU time of the whole process (all threads, libtorch's included): steadier than wall time on a busy machine. */
  cpuMs: { user: number; system: number };
  counts: RunSummary['counts'];
}

export interface LabResult {
  preset: Preset;
  runDir: string;
  reportDir: string;
  assets: AssetCheck;
  summary: RunSummary;
  findings: Finding[];
  /** The report's analysis (tables with CIs), or null when the run produced no results. */
  analysis: Analysis | null;
  timing: LabTiming;
}

export function labExperimentFile(assetsDir: string, preset: Preset): string {
  return path.join(assetsDir, `${preset}.yaml`);
}

/** A run directory may be reused only by a lab run (any preset: the cache is keyed by content). */
function checkRunDir(runDir: string): void {
  const name = runExperimentName(runDir);
  // none yet, or an unreadable plan, which the runner rewrites
  if (name === null || name === '?') return;
  if (!name.startsWith('lab-')) throw new ResurfaceError('ERR_EXPERIMENT', `${runDir} holds a run of "${name}", not a lab run: choose another --out`, { runDir });
}

export async function runLab(opts: LabOptions = {}): Promise<LabResult> {
  const preset = opts.preset ?? 'full';
  const assetsDir = path.resolve(opts.assetsDir ?? defaultAssetsDir());
  const assets = assertAssets(assetsDir);
  const file = labExperimentFile(assetsDir, preset);
  if (!fs.existsSync(file)) throw new ResurfaceError('ERR_EXPERIMENT', `no preset "${preset}": ${file} does not exist`, { file });
  const runDir = path.resolve(opts.out ?? path.join('runs', `lab-${preset}`));
  checkRunDir(runDir);

  const dry = await runExperiment({ file, out: runDir, dryRun: true, executors: opts.executors });
  if (dry.mode === 'dry-run') {
    // every step costs at least a model load: floor the estimates so cheap steps still count
    const estimates = Object.fromEntries(dry.steps.filter((s) => !s.cached).map((s) => [s.id, Math.max(0.1, s.seconds)]));
    opts.onPlan?.({ steps: dry.totals.steps, cached: dry.totals.steps - dry.totals.toRun, runDir, file, estimates });
  }

  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const perKind: Record<string, KindTiming> = {};
  const onEvent = (e: StepEvent) => {
    if (e.event === 'done' && e.wallMs !== undefined) {
      const k = (perKind[e.kind] ??= { steps: 0, wallMs: 0 });
      k.steps++;
      k.wallMs += e.wallMs;
    }
    opts.onEvent?.(e);
  };
  const r = await runExperiment({ file, out: runDir, resume: true, executors: opts.executors, signal: opts.signal, onEvent });
  if (r.mode !== 'run') throw new ResurfaceError('ERR_INTERNAL', 'lab: unexpected run mode');
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const executorMs = Object.values(r.summary.executorMs).reduce((a, b) => a + b, 0);
  const timing: LabTiming = {
    preset,
    wallMs,
    perKind,
    executorMs,
    orchestrationMs: Math.max(0, wallMs - executorMs),
    eventLoop: { activeMs: elu.active, idleMs: elu.idle, utilization: elu.utilization },
    cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 },
    counts: r.summary.counts,
  };
  await writeFileAtomic(path.join(runDir, 'lab-timing.json'), `${JSON.stringify(timing, null, 1)}\n`);
  const reportDir = path.join(runDir, 'report');
  let findings: Finding[] = [];
  let analysis: Analysis | null = null;
  try {
    findings = JSON.parse(fs.readFileSync(path.join(reportDir, 'findings.json'), 'utf8')).findings as Finding[];
    analysis = analyze(readResults(runDir)); // the report's numbers again, for the terminal (deterministic: seeded)
  } catch {
    /* the report step failed: the summary says so */
  }
  return { preset, runDir, reportDir, assets, summary: r.summary, findings, analysis, timing };
}
