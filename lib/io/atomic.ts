/**
 * Crash-safe file replacement: write a temp file next to the target, fsync it, rename it over
 * the target, fsync the directory. Readers see either the old file or the new one, never a torn
 * one; after a crash at most a `.<name>.tmp-<pid>-<hex>` file is left behind.
 *
 * On any error before the rename the temp file is removed and the target is untouched.
 * A failing directory fsync after the rename is reported (ERR_IO) but the new file is in place.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

/** Largest single write() we issue; keeps every call well under the 2 GiB syscall limit. */
const WRITE_CHUNK = 64 * 1024 * 1024;

/** Temp name in the same directory as `target`, so the final rename never crosses filesystems. */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const name = path.basename(target);
  return path.join(dir, `.${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Write all of `data` at the handle's current position, looping over short writes. */
export async function writeFully(fh: FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const len = Math.min(WRITE_CHUNK, data.byteLength - off);
    const { bytesWritten } = await fh.write(data, off, len, null);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    off += bytesWritten;
  }
}

/**
 * Create `target` atomically: `fill` writes the content through the handle (sequentially, from
 * position 0); we then fsync, rename and fsync the directory.
 */
export async function atomicWrite(target: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(target);
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx');
    await fill(fh);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, target);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw asIoError(err, `cannot write ${target}`, target);
  }
  await fsyncDir(path.dirname(target));
}

/** Atomically replace `target` with `data` (strings are written as UTF-8). */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  await atomicWrite(target, (fh) => writeFully(fh, bytes));
}

/** Make a rename durable. Some platforms/filesystems cannot fsync a directory; that is not an error. */
export async function fsyncDir(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await fsp.open(dir, 'r');
    await dh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EACCES') return;
    throw asIoError(err, `cannot fsync directory ${dir}`, dir);
  } finally {
    if (dh) await dh.close().catch(() => undefined);
  }
}

/** Pass ResurfaceErrors through; wrap system errors as ERR_IO naming the file. */
export function asIoError(err: unknown, what: string, file: string): ResurfaceError {
  if (err instanceof ResurfaceError) return err;
  const e = err as NodeJS.ErrnoException;
  const reason = e && typeof e.message === 'string' ? e.message : String(err);
  return new ResurfaceError('ERR_IO', `${what}: ${reason}`, { file, syscallCode: e?.code }, { cause: err });
}
