/** Tiny random models with the real tokenizers, built once per test file with our init-random. */
import * as path from 'node:path';
import { initRandomModel } from '../../lib/model/init-random';
import { readSharedConfig, sharedTokenizerDir, tokenizerFor, type SharedModel } from './shared';

export async function makeTinyModel(model: SharedModel, outDir: string, seed = 1): Promise<string> {
  const dir = path.join(outDir, model);
  await initRandomModel({ configJson: readSharedConfig(model), outDir: dir, seed, tiny: true, tokenizerDir: sharedTokenizerDir(tokenizerFor(model)) });
  return dir;
}
