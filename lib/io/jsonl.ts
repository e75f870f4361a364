/** Line-numbered JSONL reading: every record knows its 1-based line, so errors can name it. */
import * as fs from 'node:fs';
import { ResurfaceError, type ErrorCode } from '../errors';

export interface JsonlRecord {
  line: number;
  value: unknown;
}

export function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
  }
}

/** Parses non-blank lines of `text` as JSON; a bad line is an error with `code` naming file and line. */
export function parseJsonl(text: string, file: string, code: ErrorCode): JsonlRecord[] {
  const out: JsonlRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new ResurfaceError(code, `${file}:${i + 1}: not valid JSON: ${(err as Error).message}`, { path: file, line: i + 1 });
    }
  }
  return out;
}
