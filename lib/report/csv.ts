/** RFC 4180 CSV: the results table users open in a spreadsheet, and `stats correlate` reads back. */
import * as fs from 'node:fs';
import { ResurfaceError } from '../errors';

export type Cell = string | number | boolean | null | undefined;

function quote(v: Cell): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: string[], rows: Record<string, Cell>[]): string {
  return [columns.map(quote).join(','), ...rows.map((r) => columns.map((c) => quote(r[c])).join(','))].join('\n') + '\n';
}

/** Parses CSV text into a header and rows of strings (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string, file = 'CSV'): { columns: string[]; rows: Record<string, string>[] } {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let i = 0;
  let quoted = false;
  let line = 1;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      rec.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      rec.push(field);
      records.push(rec);
      rec = [];
      field = '';
      line++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new ResurfaceError('ERR_DATA', `${file}: unterminated quoted field (line ${line})`, { file, line });
  if (field !== '' || rec.length) {
    rec.push(field);
    records.push(rec);
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ''));
  if (nonEmpty.length === 0) throw new ResurfaceError('ERR_DATA', `${file}: empty CSV`, { file });
  const [columns, ...body] = nonEmpty;
  const rows = body.map((r, k) => {
    if (r.length !== columns.length)
      throw new ResurfaceError('ERR_DATA', `${file}: row ${k + 2} has ${r.length} fields, the header ${columns.length}`, {
        file,
        line: k + 2,
      });
    return Object.fromEntries(columns.map((c, j) => [c, r[j]]));
  });
  return { columns, rows };
}

export function readCsv(file: string): { columns: string[]; rows: Record<string, string>[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  return parseCsv(text, file);
}
