/**
 * `eval --model RUN_DIR --all-checkpoints`: the learning curve of a training run — the base model
 * it started from (trainer_state.json's `sourceModel`), every epoch checkpoint
 * (checkpoint-epoch-N/, `train --save-every-epoch`), every step checkpoint still on disk
 * (checkpoint-STEP/) and the final model — each evaluated on each task, in step order. Written as
 * curve.json (every report's headline metrics), curve.md (a table) and curve.svg (vega-lite).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import type { Model } from '../model/model';
import { renderSvg } from '../report/plots';
import { TextTokenizer } from '../tokenizer/tokenizer';
import { listCheckpoints, listEpochCheckpoints, readTrainerState } from '../train/checkpoint';
import { evaluateTask, type EvaluateOptions, type TaskReport } from './evaluate';
import type { TaskFile } from './task-file';

export interface CurvePoint {
  /** 'base', 'epoch N', 'step S' or 'final'. */
  label: string;
  dir: string;
  /** Optimizer steps done when the model was saved (0 for the base model). */
  step: number;
  epoch: number | null;
}

export interface CurveRow extends CurvePoint {
  task: string;
  n: number;
  acc: number;
  acc_stderr: number | null;
  acc_norm: number | null;
  acc_norm_stderr: number | null;
  perplexity: number | null;
}

/** The models of a run directory, base first, in step order (a final model equal to the last epoch checkpoint is listed once). */
export function curvePoints(runDir: string): CurvePoint[] {
  const dir = path.resolve(runDir);
  const states = [
    path.join(dir, 'trainer_state.json'),
    ...listEpochCheckpoints(dir).map((c) => path.join(c.dir, 'trainer_state.json')),
    ...listCheckpoints(dir).map((c) => path.join(c.dir, 'trainer_state.json')),
  ];
  const first = states.find((f) => fs.existsSync(f));
  if (!first)
    throw new ResurfaceError(
      'ERR_INVALID_ARGUMENT',
      `${dir} is not a training run (no trainer_state.json in it or its checkpoints): --all-checkpoints needs train's --out`,
      { path: dir },
    );
  const source = readTrainerState(path.dirname(first)).sourceModel;
  const points: CurvePoint[] = [{ label: 'base', dir: source, step: 0, epoch: 0 }];
  for (const c of listEpochCheckpoints(dir))
    points.push({ label: `epoch ${c.epoch}`, dir: c.dir, step: readTrainerState(c.dir).step, epoch: c.epoch });
  for (const c of listCheckpoints(dir)) points.push({ label: `step ${c.step}`, dir: c.dir, step: c.step, epoch: null });
  if (fs.existsSync(path.join(dir, 'trainer_state.json')) && fs.existsSync(path.join(dir, 'config.json'))) {
    const s = readTrainerState(dir);
    if (s.final && !points.some((p) => p.epoch !== null && p.epoch > 0 && p.step === s.step))
      points.push({ label: 'final', dir, step: s.step, epoch: null });
  }
  if (!fs.existsSync(path.join(source, 'config.json'))) {
    throw new ResurfaceError('ERR_NOT_A_MODEL', `the run's base model ${source} (trainer_state.json sourceModel) is not there any more`, {
      path: source,
    });
  }
  return points.sort((a, b) => a.step - b.step || (a.epoch ?? 0) - (b.epoch ?? 0));
}

function row(p: CurvePoint, r: TaskReport): CurveRow {
  if ('results' in r) {
    // a generate task: its headline metric (the first: GSM8K exact_match,strict-match; pass@1)
    const key = Object.keys(r.results)[0];
    const v = key === undefined ? null : (r.results[key] ?? null);
    return {
      ...p,
      task: r.task,
      n: r.n,
      acc: v ?? Number.NaN,
      acc_stderr: key === undefined ? null : (r.stderr[key] ?? null),
      acc_norm: null,
      acc_norm_stderr: null,
      perplexity: null,
    };
  }
  const mc = 'acc_norm' in r;
  return {
    ...p,
    task: r.task,
    n: r.n,
    acc: r.acc,
    acc_stderr: r.acc_stderr,
    acc_norm: mc ? r.acc_norm : null,
    acc_norm_stderr: mc ? r.acc_norm_stderr : null,
    perplexity: mc ? null : r.perplexity,
  };
}

export async function evaluateCurve(
  runDir: string,
  tasks: TaskFile[],
  load: (dir: string) => Promise<Model>,
  options: EvaluateOptions & { onModel?: (p: CurvePoint, i: number, total: number) => void } = {},
): Promise<CurveRow[]> {
  const points = curvePoints(runDir);
  const rows: CurveRow[] = [];
  for (const [i, p] of points.entries()) {
    options.onModel?.(p, i, points.length);
    const tok = await TextTokenizer.load(p.dir);
    const model = await load(p.dir);
    try {
      for (const t of tasks) rows.push(row(p, await evaluateTask(model, tok, t, options)));
    } finally {
      model.dispose();
    }
  }
  return rows;
}

const f = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(4));

export function curveMarkdown(rows: CurveRow[]): string {
  const lines = ['| model | step | epoch | task | n | acc | ± | acc_norm | ± |', '|---|---:|---:|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.step} | ${r.epoch ?? '–'} | ${r.task} | ${r.n} | ${f(r.acc)} | ${f(r.acc_stderr)} | ${f(r.acc_norm)} | ${f(r.acc_norm_stderr)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Accuracy against optimizer step, one line per task, ±1 standard error as a band. */
export function curveSpec(rows: CurveRow[]): Record<string, unknown> {
  const values = rows.map((r) => ({
    step: r.step,
    task: r.task,
    model: r.label,
    acc: r.acc,
    lo: r.acc - (r.acc_stderr ?? 0),
    hi: r.acc + (r.acc_stderr ?? 0),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'sans-serif' },
    title: 'Accuracy over training (base = step 0)',
    width: 480,
    height: 280,
    data: { values },
    encoding: { x: { field: 'step', type: 'quantitative', title: 'optimizer step' }, color: { field: 'task', type: 'nominal' } },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'acc' }, y2: { field: 'hi' } } },
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'acc', type: 'quantitative' }, tooltip: [{ field: 'model' }, { field: 'acc', format: '.4f' }] },
      },
    ],
  };
}

/** curve.json, curve.md and curve.svg in outDir; returns their paths. */
export async function writeCurve(
  outDir: string,
  runDir: string,
  rows: CurveRow[],
): Promise<{ json: string; markdown: string; svg: string }> {
  fs.mkdirSync(outDir, { recursive: true });
  const files = { json: path.join(outDir, 'curve.json'), markdown: path.join(outDir, 'curve.md'), svg: path.join(outDir, 'curve.svg') };
  await writeFileAtomic(files.json, `${JSON.stringify({ run: path.resolve(runDir), rows }, null, 2)}\n`);
  await writeFileAtomic(files.markdown, curveMarkdown(rows));
  await writeFileAtomic(files.svg, await renderSvg(curveSpec(rows)));
  return files;
}
