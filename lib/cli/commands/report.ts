/** `resurface report RUN_DIR [--out DIR] [--json]` — results.csv, report.md, report.html and SVG figures. */
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { writeReport } from '../../report';
import { printJson, runCommand } from '../run-command';

export const command = 'report <run>';
export const describe = 'Write the report of a run directory: results.csv, report.md, self-contained report.html, SVG plots';

export function builder(y: Argv) {
  return y
    .positional('run', { type: 'string', demandOption: true, describe: 'run directory (from `resurface run`)' })
    .option('out', { type: 'string', describe: 'output directory (default RUN_DIR/report)' })
    .option('json', { type: 'boolean', default: false });
}

export async function handler(argv: { run: string; out?: string; json: boolean }) {
  await runCommand(async () => {
    const r = await writeReport(path.resolve(argv.run), argv.out ? path.resolve(argv.out) : undefined);
    if (argv.json) return printJson({ dir: r.dir, files: r.files, findings: r.analysis.findings });
    const lines = ['Findings:'];
    for (const f of r.analysis.findings) lines.push(`- [${f.verdict}] ${f.claim} ${f.text}`);
    lines.push(`wrote ${r.files.length} files to ${r.dir} (open report.html)`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}
