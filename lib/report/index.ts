/**
 * `report RUN_DIR`: results.csv, report.md, report.html (self-contained) and one SVG per figure,
 * written atomically into RUN_DIR/report/ (or another directory).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { analyze, type Analysis } from './analysis';
import { toCsv } from './csv';
import { renderFigures, type Figure } from './plots';
import { renderHtml, renderMarkdown } from './render';
import { readResults, type ResultsData } from './results';
import { ensureDir } from '../io/ensure-dir';

export { analyze, type Analysis, type Finding } from './analysis';
export { readResults, type ResultsData, type TrainedRun, type BaseModelResult } from './results';
export { renderSvg, renderFigures, utilitySpec, temperatureSpec, proxySpec, proxiesSpec, capabilitySpec } from './plots';
export { toCsv, parseCsv, readCsv } from './csv';

export interface ReportFiles {
  dir: string;
  files: string[];
  analysis: Analysis;
}

export async function writeReportFromData(data: ResultsData, outDir: string): Promise<ReportFiles> {
  ensureDir(outDir, 'report directory');
  const analysis = analyze(data);
  const figures: Figure[] = await renderFigures(analysis);
  const files: Array<[string, string]> = [
    ['results.csv', toCsv(analysis.columns, analysis.rows)],
    ['report.md', renderMarkdown(data.experiment, analysis, figures)],
    ['report.html', renderHtml(data.experiment, analysis, figures)],
    ['findings.json', JSON.stringify({ experiment: data.experiment, findings: analysis.findings, missing: data.missing }, null, 1) + '\n'],
    ...figures.map((f) => [f.file, f.svg] as [string, string]),
  ];
  for (const [name, content] of files) await writeFileAtomic(path.join(outDir, name), content);
  return { dir: outDir, files: files.map(([n]) => n), analysis };
}

export async function writeReport(runDir: string, outDir = path.join(runDir, 'report')): Promise<ReportFiles> {
  return writeReportFromData(readResults(runDir), outDir);
}
