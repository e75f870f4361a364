/**
 * Texts the proxies compare: a corpus (a `generate` corpus directory with `samples-NNNNN.jsonl`
 * shards, or a JSONL file of `{"text"}` records, or a plain text file) and benchmark task files
 * (`{"context","choices","gold"}` JSONL; the benchmark text of an item is
 * context + target_delimiter + gold choice, i.e. what a model that solves it would have read).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

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
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: expected a JSON object`, { file, line: i + 1 });
    onRecord(rec as Record<string, unknown>, i + 1);
  });
}

/** All sample texts of a corpus directory / JSONL / text file, in id order for corpus directories. */
export function readCorpusTexts(p: string): string[] {
  if (!fs.existsSync(p)) throw new ResurfaceError('ERR_CORPUS', `corpus ${p} does not exist`, { path: p });
  if (fs.statSync(p).isDirectory()) {
    const shards = fs.readdirSync(p).filter((f) => /^samples-\d+\.jsonl$/.test(f)).sort();
    if (shards.length === 0) throw new ResurfaceError('ERR_CORPUS', `${p}: no samples-NNNNN.jsonl shards (is this a corpus directory from \`generate\`?)`, { path: p });
    const byId: Array<[number, string]> = [];
    for (const s of shards) {
      readJsonl(path.join(p, s), (rec, line) => {
        if (typeof rec.text !== 'string') throw new ResurfaceError('ERR_CORPUS', `${path.join(p, s)}:${line}: record has no string "text"`, { line });
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

export interface TaskItem {
  context: string;
  choices: string[];
  gold: number;
  target_delimiter?: string;
}

/** Items of a multiple-choice task file, validated with errors naming the line. */
export function readTaskItems(file: string): TaskItem[] {
  const items: TaskItem[] = [];
  readJsonl(file, (rec, line) => {
    const where = `${file}:${line}`;
    if (typeof rec.context !== 'string') throw new ResurfaceError('ERR_TASK', `${where}: "context" must be a string`, { file, line });
    if (!Array.isArray(rec.choices) || rec.choices.length === 0 || rec.choices.some((c) => typeof c !== 'string'))
      throw new ResurfaceError('ERR_TASK', `${where}: "choices" must be a non-empty array of strings`, { file, line });
    if (typeof rec.gold !== 'number' || !Number.isInteger(rec.gold) || rec.gold < 0 || rec.gold >= rec.choices.length)
      throw new ResurfaceError('ERR_TASK', `${where}: "gold" must be an index into choices (0..${rec.choices.length - 1})`, { file, line });
    const delim = rec.target_delimiter;
    if (delim !== undefined && typeof delim !== 'string') throw new ResurfaceError('ERR_TASK', `${where}: "target_delimiter" must be a string`, { file, line });
    items.push({ context: rec.context, choices: rec.choices as string[], gold: rec.gold, target_delimiter: delim as string | undefined });
  });
  if (items.length === 0) throw new ResurfaceError('ERR_TASK', `${file}: no items`, { file });
  return items;
}

/** Benchmark texts: context + delimiter + gold choice. */
export function taskTexts(items: TaskItem[]): string[] {
  return items.map((it) => it.context + (it.target_delimiter ?? ' ') + it.choices[it.gold]);
}
