/** Token counts as people write them: "5M", "200k", "1.5B", "5000000", "5_000_000". */
import { ArgumentError } from '../errors';

const SCALE: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9 };

export function parseTokenCount(text: string | number, what = '--tokens'): number {
  const s = String(text).trim().replace(/_/g, '');
  const m = /^(\d+(?:\.\d+)?)\s*([kmbg]?)$/i.exec(s);
  if (!m) throw new ArgumentError(`${what} must be a token count like 5M, 200k or 5000000, got '${text}'`);
  const value = Math.round(Number(m[1]) * SCALE[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(value) || value < 1) throw new ArgumentError(`${what} must be at least 1 token, got '${text}'`);
  return value;
}
