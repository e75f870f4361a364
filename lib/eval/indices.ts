/**
 * `--indices FILE|RANGE`: which sequences to evaluate.
 *   RANGE: comma-separated items, each `N` or `START:END` (half-open, like Python) or `START-END`
 *          (inclusive), e.g. "0:1000", "5,7,10-12".
 *   FILE:  an existing file of integers separated by whitespace or commas, or a JSON array.
 */
import * as fs from 'node:fs';
import { ArgumentError, ResurfaceError } from '../errors';

export function parseRange(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\d+)$/))) out.push(Number(m[1]));
    else if ((m = part.match(/^(\d+):(\d+)$/)) || (m = part.match(/^(\d+)-(\d+)$/))) {
      const a = Number(m[1]);
      const b = Number(m[2]) + (part.includes('-') ? 1 : 0);
      if (b < a) throw new ArgumentError(`--indices: range "${part}" ends before it starts`);
      for (let i = a; i < b; i++) out.push(i);
    } else {
      throw new ArgumentError(`--indices: "${part}" is neither an index, START:END nor START-END (and no such file exists)`);
    }
  }
  if (out.length === 0) throw new ArgumentError('--indices selects nothing');
  return out;
}

export function readIndices(spec: string): number[] {
  if (!fs.existsSync(spec)) return parseRange(spec);
  const text = fs.readFileSync(spec, 'utf8').trim();
  let values: unknown[];
  if (text.startsWith('[')) {
    try {
      values = JSON.parse(text) as unknown[];
    } catch (err) {
      throw new ResurfaceError('ERR_DATA', `${spec}: not a valid JSON array: ${(err as Error).message}`, { path: spec });
    }
  } else {
    values = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ResurfaceError('ERR_DATA', `${spec}: entry ${i + 1} (${JSON.stringify(v)}) is not a non-negative integer index`, {
        path: spec,
      });
    }
  });
  if (values.length === 0) throw new ResurfaceError('ERR_DATA', `${spec}: no indices`, { path: spec });
  return values as number[];
}
