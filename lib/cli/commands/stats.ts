/** `resurface stats correlate RESULTS.csv --x COL --y COL` — Spearman and Kendall tau-b with bootstrap CIs. */
import type { Argv } from 'yargs';
import { ArgumentError, ResurfaceError } from '../../errors';
import { readCsv } from '../../report/csv';
import { correlate } from '../../stats';
import { printJson, runCommand } from '../run-command';

export const command = 'stats <action>';
export const describe = 'Statistics on result tables (correlate)';

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
    for (const c of [argv.x, argv.y]) if (!columns.includes(c)) throw new ArgumentError(`column '${c}' is not in ${argv.file} (columns: ${columns.join(', ')})`);
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
    if (xs.length < 3) throw new ResurfaceError('ERR_DATA', `${argv.file}: need at least 3 rows with numbers in both '${argv.x}' and '${argv.y}', found ${xs.length}`);
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
