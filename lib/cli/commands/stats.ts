/**
 * `resurface stats correlate RESULTS.csv --x COL --y COL` — Spearman and Kendall tau-b with bootstrap CIs.
 * `resurface stats power EXPERIMENT.yaml` — each finding's false-positive rate and power for this design.
 */
import type { Argv } from 'yargs';
import { ArgumentError, ResurfaceError } from '../../errors';
import { loadExperiment } from '../../experiment/load';
import { readCsv } from '../../report/csv';
import { correlate } from '../../stats';
import { POWER_DEFAULTS, designFromExperiment, powerAnalysis, type PowerReport } from '../../study/power';
import { printJson, runCommand } from '../run-command';

export const command = 'stats <action>';
export const describe = 'Statistics on result tables (correlate) and study designs (power)';

export function builder(y: Argv) {
  return y
    .command({
      command: 'correlate <file>',
      describe: 'Does column X predict column Y? Spearman and Kendall tau-b with seeded bootstrap CIs',
      builder: (yy: Argv) =>
        yy
          .positional('file', { type: 'string', demandOption: true, describe: 'results CSV (e.g. RUN_DIR/report/results.csv)' })
          .option('x', { type: 'string', demandOption: true })
          .option('y', { type: 'string', demandOption: true })
          .option('resamples', { type: 'number', default: 2000 })
          .option('level', { type: 'number', default: 0.95 })
          .option('seed', { type: 'number', default: 0 })
          .option('json', { type: 'boolean', default: false }),
      handler: (argv) => correlateHandler(argv as unknown as CorrelateArgs),
    })
    .command({
      command: 'power <experiment>',
      describe:
        "Before spending GPU days: each finding's false-positive rate and power for this grid and these task sizes, by simulation through the report's own analysis",
      builder: (yy: Argv) =>
        yy
          .positional('experiment', {
            type: 'string',
            demandOption: true,
            describe: 'experiment YAML (task and extraction files are read for their sizes)',
          })
          .option('effect', {
            type: 'number',
            default: POWER_DEFAULTS.effectPoints,
            describe: 'planted effect per contrast, in accuracy points',
          })
          .option('sims', { type: 'number', default: POWER_DEFAULTS.sims, describe: 'simulated studies per scenario' })
          .option('seed-sd', {
            type: 'number',
            default: POWER_DEFAULTS.seedSdPoints,
            describe: "assumed seed-to-seed SD of a run's accuracy, in points",
          })
          .option('base-extraction', {
            type: 'number',
            default: POWER_DEFAULTS.baseExtraction,
            describe: 'assumed exact-match extraction rate of the untrained students',
          })
          .option('corpus-measures', {
            type: 'boolean',
            default: POWER_DEFAULTS.corpusMeasures,
            describe: 'the corpora get coverage/fidelity measures (a world with known facts; implied by evaluation.world)',
          })
          .option('data-dir', { type: 'string', describe: "folder for relative task/extraction paths (default: the YAML's folder)" })
          .option('seed', { type: 'number', default: POWER_DEFAULTS.seed })
          .option('json', { type: 'boolean', default: false }),
      handler: (argv) => powerHandler(argv as unknown as PowerArgs),
    })
    .demandCommand(1);
}

export function handler() {
  /* subcommands do the work */
}

interface CorrelateArgs {
  file: string;
  x: string;
  y: string;
  resamples: number;
  level: number;
  seed: number;
  json: boolean;
}

export async function correlateHandler(argv: CorrelateArgs) {
  await runCommand(async () => {
    const { columns, rows } = readCsv(argv.file);
    for (const c of [argv.x, argv.y])
      if (!columns.includes(c)) throw new ArgumentError(`column '${c}' is not in ${argv.file} (columns: ${columns.join(', ')})`);
    const xs: number[] = [];
    const ys: number[] = [];
    let skipped = 0;
    for (const r of rows) {
      const a = r[argv.x].trim() === '' ? NaN : Number(r[argv.x]);
      const b = r[argv.y].trim() === '' ? NaN : Number(r[argv.y]);
      if (Number.isFinite(a) && Number.isFinite(b)) {
        xs.push(a);
        ys.push(b);
      } else skipped++;
    }
    if (xs.length < 3)
      throw new ResurfaceError(
        'ERR_DATA',
        `${argv.file}: need at least 3 rows with numbers in both '${argv.x}' and '${argv.y}', found ${xs.length}`,
      );
    const r = correlate(xs, ys, { resamples: argv.resamples, level: argv.level, seed: argv.seed });
    const out = { file: argv.file, x: argv.x, y: argv.y, skipped_rows: skipped, ...r };
    if (argv.json) return printJson(out);
    const pct = Math.round(argv.level * 100);
    const f = (v: number) => v.toFixed(3);
    process.stdout.write(
      `${argv.y} ~ ${argv.x} over ${r.n} rows${skipped ? ` (${skipped} skipped: missing values)` : ''}\n` +
        `Spearman rho = ${f(r.spearman.estimate)}  ${pct}% CI [${f(r.spearman.lo)}, ${f(r.spearman.hi)}]\n` +
        `Kendall tau-b = ${f(r.kendall.estimate)}  ${pct}% CI [${f(r.kendall.lo)}, ${f(r.kendall.hi)}]\n` +
        `(pairs bootstrap, ${argv.resamples} resamples, seed ${argv.seed})\n`,
    );
  });
}

interface PowerArgs {
  experiment: string;
  effect: number;
  sims: number;
  seedSd: number;
  baseExtraction: number;
  corpusMeasures: boolean;
  dataDir?: string;
  seed: number;
  json: boolean;
}

export async function powerHandler(argv: PowerArgs) {
  await runCommand(async () => {
    if (!(Number.isInteger(argv.sims) && argv.sims >= 20)) throw new ArgumentError(`--sims must be an integer >= 20, got ${argv.sims}`);
    if (!(argv.effect > 0 && argv.effect < 50)) throw new ArgumentError(`--effect must be in (0, 50) accuracy points, got ${argv.effect}`);
    if (!(argv.seedSd >= 0 && argv.seedSd < 20)) throw new ArgumentError(`--seed-sd must be in [0, 20) points, got ${argv.seedSd}`);
    if (!(argv.baseExtraction > 0 && argv.baseExtraction <= 1))
      throw new ArgumentError(`--base-extraction must be in (0, 1], got ${argv.baseExtraction}`);
    const loaded = loadExperiment(argv.experiment, argv.dataDir ? { dataDir: argv.dataDir } : {});
    // A world with known facts (evaluation.world) gives every corpus coverage/fidelity measures.
    const corpusMeasures = argv.corpusMeasures || loaded.world !== undefined;
    const opts = {
      ...POWER_DEFAULTS,
      effectPoints: argv.effect,
      sims: argv.sims,
      seedSdPoints: argv.seedSd,
      baseExtraction: argv.baseExtraction,
      corpusMeasures,
      seed: argv.seed,
    };
    const report = powerAnalysis(designFromExperiment(loaded, opts), opts);
    if (argv.json) return printJson(report);
    process.stdout.write(formatPower(report));
  });
}

export function formatPower(r: PowerReport): string {
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');
  const d = r.design;
  const lines = [
    `Design: ${d.students} student(s) × ${d.sources} source(s) × ${d.temperatures.length} temperature(s) × ${d.seeds} seed(s); ` +
      `tasks ${d.tasks.map((t) => `${t.name} (${t.items} items, ${t.clusters} clusters)`).join(', ') || 'none'}; ${d.heldoutSequences} held-out sequences`,
    `Assumed: seed SD ${r.options.seedSdPoints} points, untrained extraction ${pct(r.options.baseExtraction)}; planted effect ${r.options.effectPoints} points per contrast; ${r.options.sims} simulations per scenario (MC SE ≈ ${pct(r.monteCarloSe)} at 5%)`,
    '',
    `${'finding'.padEnd(12)} ${'false supported'.padStart(16)} ${'false contradicted'.padStart(19)} ${'power'.padStart(8)}`,
  ];
  for (const row of r.rows)
    lines.push(
      `${row.finding.padEnd(12)} ${pct(row.falseSupported).padStart(16)} ${pct(row.falseContradicted).padStart(19)} ${(row.untestable ? 'untestable' : pct(row.power)).padStart(8)}`,
    );
  lines.push(
    '',
    'false rates: with no true effect (or at the claim\'s boundary); power: "supported" with the planted effects (proxies: shown to fail when they are noise).',
    '',
  );
  return lines.join('\n');
}
