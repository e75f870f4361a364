/** Reading untrusted files whole or in parts: exact reads, regular files only, system errors as ERR_IO. */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ResurfaceError } from '../errors';
import { asIoError } from './atomic';

/** Read exactly `length` bytes at `position` (fh.read may return less than asked). */
export async function readExactly(fh: FileHandle, position: number, length: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, position + off);
    if (bytesRead === 0) return null;
    off += bytesRead;
  }
  return buf;
}

/** Open a regular file for reading; system errors become ERR_IO naming the file. */
export async function openRegular(file: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    const st = await fh.stat();
    if (!st.isFile()) throw new ResurfaceError('ERR_IO', `${file}: not a regular file`, { file });
    return { fh, size: st.size };
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    throw asIoError(err, `cannot open ${file}`, file);
  }
}
