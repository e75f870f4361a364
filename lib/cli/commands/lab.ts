/**
 * `resurface lab [--preset quick|full] [--out RUN_DIR] [--assets DIR] [--json]`
 * `resurface lab pretrain [--out DIR] [--recipe FILE] [--models a-small,b-small] [--threads N] [--json]`
 *
 * The miniature lab: the self-training study on small pretrained model families shipped with the
 * package (lab/), end to end through the experiment runner; `lab pretrain` recreates those models
 * from lab/recipe.json.
 */
import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { StepEvent } from '../../experiment/runner';
import { defaultAssetsDir, PRESETS, type Preset } from '../../lab/assets';
import { StepEta } from '../../experiment/eta';
import { findingsTable, timingTable, utilityTable } from '../../lab/format';
import { pretrainLab, type PretrainEvent } from '../../lab/pretrain';
import { runLab } from '../../lab/run-lab';
import { formatDuration } from '../../util/duration';
import { withInterruptSignal } from '../../util/progress';
import { Screen } from '../../util/screen';
import { printJson, runCommand } from '../run-command';

export const command = 'lab [action]';
export const describe = 'The miniature lab: self-training on small shipped model families (npm start); `lab pretrain` recreates them';

export function builder(y: Argv) {
  return y
    .positional('action', {
      choices: ['run', 'pretrain'] as const,
      default: 'run' as const,
      describe: 'run the study (default) or pretrain the models',
    })
    .option('preset', { choices: PRESETS, default: 'full' as Preset, describe: 'quick (≤ 90 s, one seed) or full (≤ 10 min on 2 cores)' })
    .option('out', {
      type: 'string',
      describe: 'run: run directory (default runs/lab-<preset>); pretrain: assets folder (default: the package lab/)',
    })
    .option('assets', {
      type: 'string',
      describe: 'assets folder holding checkpoints/, world/ and the presets (default: the package lab/)',
    })
    .option('recipe', { type: 'string', describe: 'pretrain: recipe file (default OUT/recipe.json)' })
    .option('models', { type: 'string', describe: 'pretrain: comma-separated subset of the recipe models' })
    .option('threads', { type: 'number', describe: 'pretrain: intra-op threads (default: all cores)' })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable events and summary on stdout' });
}

interface Args {
  action: 'run' | 'pretrain';
  preset: Preset;
  out?: string;
  assets?: string;
  recipe?: string;
  models?: string;
  threads?: number;
  json: boolean;
}

async function runAction(argv: Args, signal: AbortSignal): Promise<void> {
  const screen = new Screen(!argv.json && !!process.stderr.isTTY);
  const t0 = Date.now();
  let total = 0;
  let finished = 0;
  let current = '';
  let eta = new StepEta({});
  const running = new Map<string, string>();
  const elapsed = () => formatDuration((Date.now() - t0) / 1000);
  const etaText = () => {
    const s = eta.seconds();
    return s === null ? '' : `, ~${formatDuration(s)} left`;
  };
  const refresh = () =>
    screen.status(`lab ${argv.preset} [${String(finished).padStart(String(total).length)}/${total}] ${elapsed()}${etaText()}  ${current}`);
  const onEvent = (e: StepEvent) => {
    if (argv.json) {
      if (e.event !== 'log') printJson(e);
      return;
    }
    if (e.event === 'start') {
      running.set(e.id, e.id);
      current = e.id;
    } else if (e.event === 'progress') {
      current = `${e.id}  ${e.done}/${e.total}${e.unit ? ` ${e.unit}` : ''}`;
    } else if (e.event === 'done' || e.event === 'cached' || e.event === 'failed' || e.event === 'skipped') {
      running.delete(e.id);
      finished++;
      eta.finished(e.id, e.event === 'done' ? e.wallMs : undefined);
      if (e.event === 'failed') screen.line(`failed  ${e.id} — ${e.error?.code}: ${e.error?.message}`);
      else if (e.event === 'done' && !process.stderr.isTTY)
        screen.line(`[${finished}/${total}] ${elapsed()}${etaText()} done ${e.id} (${formatDuration((e.wallMs ?? 0) / 1000)})`);
      current = [...running.values()][0] ?? '';
    } else return;
    refresh();
  };
  const r = await runLab({
    preset: argv.preset,
    out: argv.out,
    assetsDir: argv.assets,
    signal,
    onEvent,
    onPlan: (p) => {
      total = p.steps;
      eta = new StepEta(p.estimates);
      if (argv.json) printJson({ event: 'plan', steps: p.steps, cached: p.cached, runDir: p.runDir, file: p.file });
      else screen.line(`lab (${argv.preset} preset): ${p.steps} steps, ${p.cached} already done → ${p.runDir}`);
      refresh();
    },
  });
  screen.clear();
  const s = r.summary;
  if (argv.json) {
    printJson({
      event: 'summary',
      preset: r.preset,
      runDir: r.runDir,
      report: r.reportDir,
      counts: s.counts,
      failures: s.failures,
      findings: r.findings,
      timing: r.timing,
    });
  } else {
    const rel = (p: string) => path.relative(process.cwd(), p) || '.';
    const out = [
      '',
      `lab ${r.preset}: ${s.counts.done} steps ran, ${s.counts.cached} reused, ${s.counts.failed} failed, ${s.counts.skipped} skipped in ${formatDuration(r.timing.wallMs / 1000)}`,
      ...(s.failures.length ? [`failures: ${s.failures.map((f) => `${f.id} (${f.code}: ${f.message})`).join('; ')}`] : []),
      '',
      findingsTable(r.findings, Math.min(120, Math.max(80, process.stdout.columns || 100))),
      '',
      ...(r.analysis && r.analysis.utility.length ? [utilityTable(r.analysis), ''] : []),
      ...(s.counts.done > 0 ? ['time by step kind (this invocation):', timingTable(r.timing), ''] : []),
      `report: ${rel(path.join(r.reportDir, 'report.html'))} (also report.md, results.csv and the SVG plots in ${rel(r.reportDir)}/)`,
      '',
    ];
    process.stdout.write(out.join('\n'));
  }
  if (s.counts.failed > 0 || s.counts.pending > 0) process.exitCode = 1;
}

async function pretrainAction(argv: Args, signal: AbortSignal): Promise<void> {
  const screen = new Screen(!argv.json && !!process.stderr.isTTY);
  const onEvent = (e: PretrainEvent) => {
    if (argv.json) {
      if (e.event !== 'train' || e.progress.event !== 'step' || e.progress.step % 25 === 0) printJson(e);
      return;
    }
    if (e.event === 'world') screen.line(`world → ${e.dir}`);
    else if (e.event === 'tokenizer') screen.line(`tokenizer ${e.name}: ${e.vocabSize} tokens`);
    else if (e.event === 'model-start')
      screen.line(`pretraining ${e.name}: ${(e.parameters / 1e6).toFixed(2)}M parameters, vocab ${e.vocabSize}, ${e.steps} steps`);
    else if (e.event === 'train' && e.progress.event === 'step') {
      const p = e.progress;
      screen.status(
        `  ${e.name} ${p.step}/${p.totalSteps} loss ${p.loss?.toFixed(3)} ${Math.round(p.tokensPerSecond ?? 0)} tok/s eta ${formatDuration(p.etaSeconds)}`,
      );
    } else if (e.event === 'model-done')
      screen.line(`  ${e.name}: final loss ${e.finalLoss?.toFixed(3)} in ${formatDuration(e.seconds)}, ${(e.bytes / 1e6).toFixed(2)} MB`);
  };
  const r = await pretrainLab({
    out: argv.out,
    recipe: argv.recipe,
    models: argv.models
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    threads: argv.threads,
    signal,
    onEvent,
  });
  screen.clear();
  if (argv.json) printJson({ event: 'summary', ...r });
  else {
    process.stdout.write(
      `pretrained ${Object.keys(r.models).length} models in ${formatDuration(r.seconds)}; checkpoints ${(r.bytes / 1e6).toFixed(2)} MB in ${path.join(r.out, 'checkpoints')} (SHA256SUMS updated)\n`,
    );
    if (path.resolve(r.out) !== defaultAssetsDir()) process.stdout.write(`run the lab on them: npx resurface lab --assets ${r.out}\n`);
  }
}

export async function handler(argv: Args) {
  await runCommand(() =>
    withInterruptSignal((signal) => (argv.action === 'pretrain' ? pretrainAction(argv, signal) : runAction(argv, signal))),
  );
}
