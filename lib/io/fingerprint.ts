/**
 * A cheap fingerprint of a model's weights: file names and sizes, each safetensors header, and the
 * first and last 64 KiB of every file. Hashing GBs of weights on every resume would cost minutes;
 * this tells apart any two checkpoints that are not byte-for-byte copies in practice.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { openWeights } from './safetensors-index';

const EDGE = 64 * 1024;

export async function weightsFingerprint(modelDir: string): Promise<string> {
  const index = await openWeights(modelDir);
  const h = createHash('sha256');
  for (const f of index.files) {
    h.update(`${f.path.split('/').pop()}:${f.fileSize}\n`);
    const fd = fs.openSync(f.path, 'r');
    try {
      const head = Buffer.alloc(Math.min(f.fileSize, f.dataOffset + EDGE));
      fs.readSync(fd, head, 0, head.length, 0);
      h.update(head);
      const tailLen = Math.min(EDGE, f.fileSize);
      const tail = Buffer.alloc(tailLen);
      fs.readSync(fd, tail, 0, tailLen, f.fileSize - tailLen);
      h.update(tail);
    } finally {
      fs.closeSync(fd);
    }
  }
  return h.digest('hex');
}
