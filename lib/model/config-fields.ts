/**
 * Field-level helpers of config parsing: errors that name the offending field, zod parsing whose
 * first issue becomes such an error, agreement of two spellings of one value, and the shared
 * number schemas.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';

export const posInt = z.number().int().positive();
export const posNum = z.number().positive();

export function invalid(source: string, field: string, message: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `${source}: ${field}: ${message}`, { source, field });
}

export function unsupported(source: string, field: string, message: string): ConfigError {
  return new ConfigError('ERR_UNSUPPORTED_CONFIG', `${source}: ${field}: ${message}`, { source, field });
}

/** Parse with zod; the first issue becomes an ERR_CONFIG_INVALID naming its dotted field path. */
export function parseWith<T extends z.ZodType>(schema: T, json: unknown, source: string, prefix: string[] = []): z.infer<T> {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const parts = [...prefix, ...issue.path.map(String)];
  throw invalid(source, parts.length ? parts.join('.') : '(root)', issue.message);
}

/** Two spellings of one value must agree when both are given. */
export function agree<T>(source: string, entries: Array<[field: string, value: T | null | undefined]>): T | undefined {
  const given = entries.filter((e): e is [string, T] => e[1] !== undefined && e[1] !== null);
  for (const [field, value] of given.slice(1)) {
    if (value !== given[0]![1]) {
      throw invalid(source, field, `${String(value)} contradicts ${given[0]![0]} = ${String(given[0]![1])}`);
    }
  }
  return given[0]?.[1];
}
