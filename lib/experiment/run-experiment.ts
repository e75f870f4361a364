/**
 * Run an experiment file: load, plan, then a dry run, a Slurm emission or a local run of the
 * selected steps. The body of `resurface run`, and what the lab and the tests call directly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import type { ExecutorRegistry } from './executor';
import { defaultExecutors } from './executors';
import { matchesAny } from './glob';
import { estimateGpuHours, type GpuHours } from './gpu-hours';
import { loadExperiment } from './load';
import { buildPlan, selectSteps } from './plan';
import type { Plan, Step } from './step';
import { runPlan, type RunSummary, type StepEvent } from './runner';
import { emitSlurm } from './slurm';
import { runExperimentName, StepStore } from './store';

export interface RunExperimentOptions {
  file: string;
  out?: string;
  cacheDir?: string;
  resume?: boolean;
  dryRun?: boolean;
  only?: string;
  devices?: string[];
  modelsDir?: string;
  dataDir?: string;
  emit?: 'slurm';
  executors?: ExecutorRegistry;
  signal?: AbortSignal;
  onEvent?: (e: StepEvent) => void;
}

export interface DryRunStep {
  id: string;
  kind: string;
  key: string;
  cached: boolean;
  device: boolean;
  deps: string[];
  tokens: number;
  seconds: number;
}

export type RunExperimentResult =
  | {
      mode: 'dry-run';
      plan: Plan;
      runDir: string;
      steps: DryRunStep[];
      totals: { steps: number; toRun: number; tokens: number; seconds: number };
      gpu: GpuHours;
    }
  | { mode: 'slurm'; plan: Plan; runDir: string; files: string[] }
  | { mode: 'run'; plan: Plan; runDir: string; summary: RunSummary };

export function parseDevices(spec: string | undefined): string[] {
  if (!spec) return ['cpu'];
  const list = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const d of list)
    if (!/^(cpu|cuda:\d+)$/.test(d)) throw new ResurfaceError('ERR_INVALID_ARGUMENT', `--devices: '${d}' is not cpu or cuda:N`);
  if (list.includes('cpu') && list.length > 1)
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', '--devices: give either cpu or a list of cuda:N devices');
  if (new Set(list).size !== list.length) throw new ResurfaceError('ERR_INVALID_ARGUMENT', '--devices: a device is listed twice');
  return list;
}

export async function runExperiment(opts: RunExperimentOptions): Promise<RunExperimentResult> {
  const loaded = loadExperiment(opts.file, { modelsDir: opts.modelsDir, dataDir: opts.dataDir });
  const executors = opts.executors ?? defaultExecutors();
  const devices = opts.devices ?? ['cpu'];
  const plan = buildPlan(loaded, {
    executorVersions: Object.fromEntries(Object.entries(executors).map(([k, e]) => [k, e!.version])),
    deviceKind: devices[0].startsWith('cuda') ? 'cuda' : 'cpu',
  });
  const runDir = path.resolve(opts.out ?? path.join('runs', loaded.experiment.name));
  const steps: Step[] = opts.only ? selectSteps(plan, (id) => matchesAny(id, opts.only!)) : plan.steps;
  if (opts.only && !steps.length)
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `--only '${opts.only}' matches no step (ids look like ${plan.steps
        .slice(0, 2)
        .map((s) => s.id)
        .join(', ')})`,
    );
  const store = new StepStore(path.resolve(opts.cacheDir ?? path.join(runDir, 'cache')));

  if (opts.dryRun) {
    const rows = steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      key: s.key,
      cached: s.cached && store.read(s) !== null,
      device: s.device,
      deps: s.deps,
      tokens: s.estimate.tokens,
      seconds: s.estimate.seconds,
    }));
    const todo = rows.filter((r) => !r.cached);
    return {
      mode: 'dry-run',
      plan,
      runDir,
      steps: rows,
      totals: {
        steps: rows.length,
        toRun: todo.length,
        tokens: todo.reduce((a, r) => a + r.tokens, 0),
        seconds: todo.reduce((a, r) => a + r.seconds, 0) / devices.length,
      },
      gpu: estimateGpuHours(
        plan,
        steps.filter((s) => todo.some((r) => r.id === s.id)),
      ),
    };
  }
  if (opts.emit === 'slurm')
    return {
      mode: 'slurm',
      plan,
      runDir,
      files: emitSlurm(plan, {
        experimentFile: opts.file,
        runDir,
        modelsDir: opts.modelsDir,
        dataDir: opts.dataDir,
        steps,
        deviceKind: devices[0].startsWith('cuda') ? 'cuda' : 'cpu',
      }),
    };

  const previous = runExperimentName(runDir);
  if (previous !== null && !opts.resume) {
    throw new ResurfaceError(
      'ERR_EXPERIMENT',
      `${runDir} already holds a run of "${previous}": pass --resume to continue it (finished steps are reused) or choose another --out`,
      { runDir },
    );
  }
  const missing = Object.entries(plan.models).filter(
    ([n, m]) => !m.exists && steps.some((s) => Object.values(s.models).includes(n) && !(s.cached && store.read(s))),
  );
  if (missing.length && !Object.values(executors).some((e) => e!.version.startsWith('fake-')))
    throw new ResurfaceError(
      'ERR_NOT_A_MODEL',
      `model ${missing[0][0]}: no config.json in ${missing[0][1].dir} (set "path"/"hub" in the experiment file or pass --models-dir)`,
    );
  const isFake = Object.values(executors).some((e) => e!.version.startsWith('fake-'));
  for (const [what, files] of [
    ['task', plan.tasks],
    ['extraction set', plan.extraction],
    ['audit task', loaded.auditTasks ?? {}],
  ] as const)
    for (const [n, f] of Object.entries(files))
      if (!fs.existsSync(f) && !isFake)
        throw new ResurfaceError(
          'ERR_DATA',
          `${what} "${n}": ${f} does not exist (relative paths resolve against --data-dir, else the experiment file's folder)`,
        );
  const summary = await runPlan(plan, {
    runDir,
    cacheDir: opts.cacheDir,
    executors,
    devices,
    steps,
    signal: opts.signal,
    onEvent: opts.onEvent,
  });
  return { mode: 'run', plan, runDir, summary };
}
