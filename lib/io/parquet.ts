/** Reading Parquet rows (benchmark files as users download them) with hyparquet, as plain JSON values. */
import * as fs from 'node:fs';
import { ResurfaceError } from '../errors';
import { loadEsm } from './esm';

/** INT64 columns arrive as BigInt; JSON-like consumers want numbers. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export async function readParquetRows(file: string): Promise<Record<string, unknown>[]> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  const { parquetReadObjects } = await loadEsm<typeof import('hyparquet')>('hyparquet');
  try {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
    return rows.map((r) => plain(r) as Record<string, unknown>);
  } catch (err) {
    throw new ResurfaceError('ERR_TASK', `${file}: not a readable Parquet file: ${(err as Error).message}`, { path: file });
  }
}
