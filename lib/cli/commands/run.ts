/** `resurface run EXPERIMENT.yaml [--out RUN_DIR] [--resume] [--dry-run] [--only GLOB] [--devices cpu|cuda:0,cuda:1] [--emit slurm] [--json]` */
import type { Argv } from 'yargs';
import { fakeExecutors } from '../../experiment/fake-executors';
import { parseDevices, runExperiment } from '../../experiment/run-experiment';
import type { StepEvent } from '../../experiment/runner';
import { formatDuration } from '../../util/duration';
import { withInterruptSignal } from '../../util/progress';
import { Screen } from '../../util/screen';
import { printJson, runCommand } from '../run-command';

export const command = 'run <experiment>';
export const describe = 'Run an experiment grid (sample → retokenize → train → eval/extract/proxies → report), cached and resumable';

export function builder(y: Argv) {
  return y
    .positional('experiment', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
    .option('out', { type: 'string', describe: 'run directory (default runs/<name>)' })
    .option('cache', { type: 'string', describe: 'step cache directory, shareable between runs (default RUN_DIR/cache)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue the run in RUN_DIR (finished steps are reused)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan with estimated tokens and time, run nothing' })
    .option('only', { type: 'string', describe: 'only steps whose id matches this glob (comma-separated globs), plus what they need' })
    .option('devices', { type: 'string', default: 'cpu', describe: 'cpu, or cuda:0,cuda:1,… (one concurrent step per device)' })
    .option('models-dir', { type: 'string', describe: 'folder of model directories / Hugging Face snapshot folders' })
    .option('data-dir', { type: 'string', describe: 'folder against which task and extraction paths resolve' })
    .option('emit', { choices: ['slurm'] as const, describe: 'write a Slurm job-array submission instead of running' })
    .option('fake', { type: 'boolean', default: false, hidden: true, describe: 'fake executors (plumbing checks without models)' })
    .option('json', { type: 'boolean', default: false });
}

interface Args {
  experiment: string;
  out?: string;
  cache?: string;
  resume: boolean;
  dryRun: boolean;
  only?: string;
  devices: string;
  modelsDir?: string;
  dataDir?: string;
  emit?: 'slurm';
  fake: boolean;
  json: boolean;
}

export async function handler(argv: Args) {
  await runCommand(() =>
    withInterruptSignal(async (signal) => {
      const screen = new Screen();
      const onEvent = (e: StepEvent) => {
        if (argv.json) {
          if (e.event !== 'log') printJson(e);
          return;
        }
        if (e.event === 'progress' || e.event === 'log') {
          if (e.event === 'progress') screen.status(`  ${e.id}: ${e.done}/${e.total} ${e.unit ?? ''}`);
          return;
        }
        const extra =
          e.event === 'failed'
            ? ` — ${e.error?.code}: ${e.error?.message}`
            : e.wallMs !== undefined
              ? ` (${formatDuration(e.wallMs / 1000)})`
              : '';
        screen.line(`${e.event.padEnd(7)} ${e.id}${e.device && e.event === 'start' ? ` on ${e.device}` : ''}${extra}`);
      };
      const r = await runExperiment({
        file: argv.experiment,
        out: argv.out,
        cacheDir: argv.cache,
        resume: argv.resume,
        dryRun: argv.dryRun,
        only: argv.only,
        devices: parseDevices(argv.devices),
        modelsDir: argv.modelsDir,
        dataDir: argv.dataDir,
        emit: argv.emit,
        executors: argv.fake ? fakeExecutors() : undefined,
        signal,
        onEvent,
      });
      screen.clear();
      if (r.mode === 'dry-run') {
        if (argv.json)
          return printJson({
            event: 'summary',
            mode: 'dry-run',
            experiment: r.plan.experiment,
            runDir: r.runDir,
            models: r.plan.models,
            steps: r.steps,
            totals: r.totals,
            gpu: r.gpu,
          });
        const lines = [`plan for ${r.plan.experiment} → ${r.runDir}`];
        for (const [n, m] of Object.entries(r.plan.models))
          lines.push(
            `  model ${n}: ${m.dir}${m.exists ? '' : ' (not found)'}${m.parameters ? `, ${(m.parameters / 1e6).toFixed(0)}M parameters` : ''}`,
          );
        for (const s of r.steps)
          lines.push(
            `  ${s.cached ? 'cached' : '      '} ${s.id.padEnd(60)} ${s.key.slice(0, 12)}  ${s.tokens ? `${(s.tokens / 1e6).toFixed(2)}M tok` : ''.padEnd(9)}  ~${formatDuration(s.seconds)}`,
          );
        lines.push(
          `${r.totals.steps} steps, ${r.totals.toRun} to run, ${(r.totals.tokens / 1e6).toFixed(1)}M tokens, ~${formatDuration(r.totals.seconds)} (rough: from parameter counts and nominal device throughput)`,
        );
        const g = r.gpu;
        lines.push(
          `to sample ${(g.tokensToSample / 1e6).toFixed(1)}M tokens, to train ${(g.tokensToTrain / 1e6).toFixed(1)}M tokens; ` +
            `on GPUs ~${g.hours.total.toFixed(1)} GPU-hours (sampling ${g.hours.sample.toFixed(1)}, training ${g.hours.train.toFixed(1)}, scoring ${g.hours.scoring.toFixed(1)})`,
          `  assuming ${g.assumptions} (constants in lib/experiment/gpu-hours.ts)`,
        );
        process.stdout.write(lines.join('\n') + '\n');
        return;
      }
      if (r.mode === 'slurm') {
        if (argv.json) return printJson({ event: 'summary', mode: 'slurm', files: r.files });
        process.stdout.write(`wrote ${r.files.length} files; submit with: bash ${r.files[0]}\n`);
        return;
      }
      const s = r.summary;
      if (argv.json)
        printJson({
          event: 'summary',
          mode: 'run',
          runDir: r.runDir,
          counts: s.counts,
          failures: s.failures,
          wallMs: s.wallMs,
          executorMs: s.executorMs,
        });
      else
        process.stdout.write(
          `${r.plan.experiment}: ${s.counts.done} ran, ${s.counts.cached} cached, ${s.counts.failed} failed, ${s.counts.skipped} skipped in ${formatDuration(s.wallMs / 1000)}\n` +
            (s.counts.failed ? `failures: ${s.failures.map((f) => `${f.id} (${f.code})`).join(', ')}\n` : '') +
            `report: ${r.runDir}/report/report.html\n`,
        );
      if (s.counts.failed > 0 || s.counts.pending > 0) process.exitCode = 1;
    }),
  );
}
