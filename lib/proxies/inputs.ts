/**
 * Texts the proxies compare: a corpus (a `generate` corpus directory with `samples-NNNNN.jsonl`
 * shards, or a JSONL file of `{"text"}` records, or a plain text file) and benchmark task files
 * (any kind lib/eval/task-file.ts reads, through that reader; the benchmark text of an item is what a
 * model that solves it would have read, see taskTexts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { buildRequests } from '../eval/requests';
import { readTaskFile, type TaskItem } from '../eval/task-file';

function readJsonl(file: string, onRecord: (rec: Record<string, unknown>, line: number) => void): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: not valid JSON: ${(err as Error).message}`, { file, line: i + 1 });
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
      throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: expected a JSON object`, { file, line: i + 1 });
    onRecord(rec as Record<string, unknown>, i + 1);
  });
}

/** All sample texts of a corpus directory / JSONL / text file, in id order for corpus directories. */
export function readCorpusTexts(p: string): string[] {
  if (!fs.existsSync(p)) throw new ResurfaceError('ERR_CORPUS', `corpus ${p} does not exist`, { path: p });
  if (fs.statSync(p).isDirectory()) {
    const shards = fs
      .readdirSync(p)
      .filter((f) => /^samples-\d+\.jsonl$/.test(f))
      .sort();
    if (shards.length === 0)
      throw new ResurfaceError('ERR_CORPUS', `${p}: no samples-NNNNN.jsonl shards (is this a corpus directory from \`generate\`?)`, {
        path: p,
      });
    const byId: Array<[number, string]> = [];
    for (const s of shards) {
      readJsonl(path.join(p, s), (rec, line) => {
        if (typeof rec.text !== 'string')
          throw new ResurfaceError('ERR_CORPUS', `${path.join(p, s)}:${line}: record has no string "text"`, { line });
        byId.push([typeof rec.id === 'number' ? rec.id : byId.length, rec.text]);
      });
    }
    return byId.sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  }
  if (p.endsWith('.jsonl')) {
    const out: string[] = [];
    readJsonl(p, (rec, line) => {
      if (typeof rec.text !== 'string') throw new ResurfaceError('ERR_DATA', `${p}:${line}: record has no string "text"`, { line });
      out.push(rec.text);
    });
    return out;
  }
  return [fs.readFileSync(p, 'utf8')];
}

export type { TaskItem } from '../eval/task-file';

/** Items of a task file of any kind the evaluator reads, through the evaluator's own reader (readTaskFile). */
export function readTaskItems(file: string): TaskItem[] {
  return readTaskFile(file).items;
}

/**
 * Benchmark texts: what a model that solves each item would have read — the gold request's context
 * and continuation as the evaluator builds them (multiple choice: context + delimiter + gold choice;
 * partial scoring: context + gold option + delimiter + continuation; loglikelihood: context +
 * continuation), and for a generate item its context + delimiter + first reference answer.
 */
export function taskTexts(items: TaskItem[]): string[] {
  return items.map((it) => {
    if (it.kind === 'generate') return it.context + it.targetDelimiter + (it.generate?.targets[0] ?? '');
    const reqs = buildRequests(it);
    const gold = reqs[it.kind === 'loglikelihood' ? 0 : it.gold]!;
    return gold.context + gold.continuation;
  });
}
