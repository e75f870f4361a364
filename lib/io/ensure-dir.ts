/**
 * Create a directory (and missing parents) with clear errors. Node's `mkdir({recursive: true})`
 * loops forever when a parent exists but refuses creation with ENOENT (e.g. under /proc), so we
 * walk up to the nearest existing ancestor ourselves and create each missing part once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

export function ensureDir(dir: string, what = 'output directory'): string {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let cur = target;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur, { throwIfNoEntry: false });
    } catch (err) {
      // ENOTDIR: some ancestor is a file; keep walking up to report which
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR')
        throw new ResurfaceError('ERR_IO', `cannot create ${what} ${target}: ${(err as Error).message}`, { path: target });
    }
    if (st) {
      if (!st.isDirectory())
        throw new ResurfaceError('ERR_IO', `cannot create ${what} ${target}: ${cur} is not a directory`, { path: target });
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new ResurfaceError('ERR_IO', `cannot create ${what} ${target}: ${(err as Error).message}`, { path: target });
    }
  }
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `${what} ${target} is not writable: ${(err as Error).message}`, { path: target });
  }
  return target;
}
