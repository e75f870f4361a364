/**
 * `run --emit slurm`: a job-array script per DAG level, each array task running one step through
 * `resurface run --only <step id>`. Safe because of the step cache: a step whose output exists is
 * reused, two jobs never run the same step at once (lock), and a requeued job resumes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Plan, Step } from './step';

export interface SlurmOptions {
  experimentFile: string;
  runDir: string;
  modelsDir?: string;
  dataDir?: string;
  /** Extra #SBATCH lines for device steps (e.g. '--gres=gpu:1'). */
  gpuDirective?: string;
  /** The device kind of the run (`--devices`): it enters step keys, so the jobs must run on the same
   *  kind. 'cpu' jobs ask for no GPU; 'cuda' device steps ask for one and run on cuda:0. */
  deviceKind?: 'cpu' | 'cuda';
  steps?: Step[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** This installation's CLI, by absolute path: a job starts in the folder sbatch ran from, where
 *  `npx resurface` would find no local package (and try the registry instead). */
const CLI = path.resolve(__dirname, '..', '..', 'bin', 'resurface.js');

export function levels(steps: Step[]): Step[][] {
  const depth = new Map<string, number>();
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) depth.set(s.id, Math.max(0, ...s.deps.filter((d) => ids.has(d)).map((d) => depth.get(d)! + 1)));
  const out: Step[][] = [];
  for (const s of steps) (out[depth.get(s.id)!] ??= []).push(s);
  return out;
}

export function emitSlurm(plan: Plan, opts: SlurmOptions): string[] {
  const dir = path.join(opts.runDir, 'slurm');
  fs.mkdirSync(dir, { recursive: true });
  const lv = levels(opts.steps ?? plan.steps);
  const extra = [
    opts.modelsDir ? `--models-dir ${q(path.resolve(opts.modelsDir))}` : '',
    opts.dataDir ? `--data-dir ${q(path.resolve(opts.dataDir))}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const written: string[] = [];
  lv.forEach((steps, i) => {
    const list = path.join(dir, `level-${i}.steps`);
    fs.writeFileSync(list, steps.map((s) => s.id).join('\n') + '\n');
    const needsGpu = opts.deviceKind === 'cuda' && steps.some((s) => s.device);
    const script = [
      '#!/bin/bash',
      `#SBATCH --job-name=${plan.experiment}-L${i}`,
      `#SBATCH --array=0-${steps.length - 1}`,
      `#SBATCH --output=${path.join(dir, `L${i}-%a.out`)}`,
      needsGpu ? `#SBATCH ${opts.gpuDirective ?? '--gres=gpu:1'}` : '',
      'set -euo pipefail',
      `STEP=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${q(list)})`,
      `DEVICE=${needsGpu ? 'cuda:0' : 'cpu'}`,
      `${q(process.execPath)} ${q(CLI)} run ${q(path.resolve(opts.experimentFile))} --out ${q(path.resolve(opts.runDir))} --resume --only "$STEP" --devices "$DEVICE" ${extra}`.trim(),
      '',
    ]
      .filter((l) => l !== '')
      .join('\n');
    const file = path.join(dir, `level-${i}.sbatch`);
    fs.writeFileSync(file, script + '\n');
    written.push(file);
  });
  const submit = [
    '#!/bin/bash',
    '# Submits one job array per DAG level; each level starts after the previous one ends (afterany:',
    '# a failed step only skips its dependents, which the runner reports).',
    'set -euo pipefail',
    'prev=""',
    ...lv.map(
      (_, i) =>
        `jid=$(sbatch --parsable \${prev:+--dependency=afterany:$prev} ${q(path.join(dir, `level-${i}.sbatch`))}); echo "level ${i}: job $jid"; prev=$jid`,
    ),
    '',
  ].join('\n');
  const submitFile = path.join(dir, 'submit.sh');
  fs.writeFileSync(submitFile, submit, { mode: 0o755 });
  return [submitFile, ...written];
}
