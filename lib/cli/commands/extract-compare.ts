/**
 * `resurface extract compare A.json B.json` — relative drop of verbatim extraction from model A to
 * model B on the same sequences, with a paired bootstrap CI.
 * A subcommand of `extract` (registered in extract.ts's builder).
 */
import type { Argv } from 'yargs';
import { compareExtraction } from '../../stats';
import { readExtractFile } from '../../stats/extraction';
import { printJson, runCommand } from '../run-command';

export const command = 'compare <a> <b>';
export const describe = 'Compare two `extract --json` results on the same sequences: relative drop with a paired bootstrap CI';

export function builder(y: Argv) {
  return y
    .positional('a', { type: 'string', demandOption: true, describe: 'extraction result of the reference model (before)' })
    .positional('b', { type: 'string', demandOption: true, describe: 'extraction result of the compared model (after)' })
    .option('resamples', { type: 'number', default: 2000 })
    .option('level', { type: 'number', default: 0.95 })
    .option('seed', { type: 'number', default: 0 })
    .option('json', { type: 'boolean', default: false });
}

export async function handler(argv: { a: string; b: string; resamples: number; level: number; seed: number; json: boolean }) {
  await runCommand(async () => {
    const c = compareExtraction(readExtractFile(argv.a), readExtractFile(argv.b), {
      resamples: argv.resamples,
      level: argv.level,
      seed: argv.seed,
    });
    if (argv.json) return printJson({ files: { a: argv.a, b: argv.b }, ...c });
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const ci = (i: { lo: number; hi: number }) => `[${pct(i.lo)}, ${pct(i.hi)}]`;
    const lines = [
      `${c.n} sequences`,
      `A ${argv.a}: exact match ${pct(c.a.exact_match_rate)} ${ci(c.a.exact_match_ci)}, mean score ${c.a.mean_score.toFixed(3)}`,
      `B ${argv.b}: exact match ${pct(c.b.exact_match_rate)} ${ci(c.b.exact_match_ci)}, mean score ${c.b.mean_score.toFixed(3)}`,
      `exact-match difference A − B: ${pct(c.exact_match_difference.estimate)} ${ci(c.exact_match_difference)}`,
      c.relative_drop
        ? `relative drop (A − B) / A: ${pct(c.relative_drop.estimate)} ${ci(c.relative_drop)} (paired bootstrap, ${argv.resamples} resamples, seed ${argv.seed})`
        : 'relative drop: undefined (A extracts nothing exactly)',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
}
