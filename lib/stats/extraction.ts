/**
 * `extract compare A.json B.json`: how much verbatim extraction changes from model A (e.g. before
 * self-training) to model B (after), on the same sequences. Items are paired by `index`; the
 * relative drop (rate_A − rate_B) / rate_A and the difference get paired bootstrap CIs.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { ResurfaceError } from '../errors';
import { pairedDifference, pairedRelativeDrop, type BootstrapInterval, type BootstrapOptions } from './bootstrap';
import { wilsonInterval, type Interval } from './describe';

const extractFileSchema = z.looseObject({
  n: z.number().int().nonnegative(),
  exact_match_rate: z.number().min(0).max(1),
  exact_match_ci: z.tuple([z.number(), z.number()]).optional(),
  mean_score: z.number(),
  items: z.array(z.looseObject({ index: z.number().int().nonnegative(), score: z.number().min(0).max(1), exact: z.boolean() })),
});
export type ExtractResultFile = z.infer<typeof extractFileSchema>;

export function readExtractFile(file: string): ExtractResultFile {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResurfaceError('ERR_DATA', `${file}: cannot read extraction result: ${(err as Error).message}`, { file });
  }
  const parsed = extractFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResurfaceError(
      'ERR_DATA',
      `${file}: not an \`extract --json\` result: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      { file },
    );
  }
  return parsed.data;
}

export interface ExtractComparison {
  n: number;
  a: { exact_match_rate: number; exact_match_ci: Interval; mean_score: number };
  b: { exact_match_rate: number; exact_match_ci: Interval; mean_score: number };
  /** rate_A − rate_B of exact matches. */
  exact_match_difference: BootstrapInterval;
  /** (rate_A − rate_B) / rate_A; null when A extracts nothing. */
  relative_drop: BootstrapInterval | null;
  mean_score_difference: BootstrapInterval;
  mean_score_relative_drop: BootstrapInterval | null;
}

export function compareExtraction(a: ExtractResultFile, b: ExtractResultFile, opts: BootstrapOptions = {}): ExtractComparison {
  const byIndex = new Map(b.items.map((it) => [it.index, it] as const));
  if (byIndex.size !== b.items.length) throw new ResurfaceError('ERR_DATA', 'extract compare: the second file repeats an item index');
  const ea: number[] = [];
  const eb: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  const seen = new Set<number>();
  for (const it of a.items) {
    if (seen.has(it.index)) throw new ResurfaceError('ERR_DATA', `extract compare: the first file repeats item index ${it.index}`);
    seen.add(it.index);
    const other = byIndex.get(it.index);
    if (!other)
      throw new ResurfaceError(
        'ERR_DATA',
        `extract compare: item index ${it.index} is in the first file but not the second (the files must cover the same sequences)`,
      );
    ea.push(it.exact ? 1 : 0);
    eb.push(other.exact ? 1 : 0);
    sa.push(it.score);
    sb.push(other.score);
  }
  if (a.items.length !== b.items.length)
    throw new ResurfaceError(
      'ERR_DATA',
      `extract compare: the files hold ${a.items.length} and ${b.items.length} items (they must cover the same sequences)`,
    );
  if (ea.length === 0) throw new ResurfaceError('ERR_DATA', 'extract compare: no items');
  const n = ea.length;
  const ka = ea.reduce((s, v) => s + v, 0);
  const kb = eb.reduce((s, v) => s + v, 0);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  return {
    n,
    a: { exact_match_rate: ka / n, exact_match_ci: wilsonInterval(ka, n), mean_score: mean(sa) },
    b: { exact_match_rate: kb / n, exact_match_ci: wilsonInterval(kb, n), mean_score: mean(sb) },
    exact_match_difference: pairedDifference(ea, eb, opts),
    relative_drop: ka === 0 ? null : pairedRelativeDrop(ea, eb, opts),
    mean_score_difference: pairedDifference(sa, sb, opts),
    mean_score_relative_drop: mean(sa) === 0 ? null : pairedRelativeDrop(sa, sb, opts),
  };
}
