/** What the plan reads from its inputs for keys and estimates: parameter counts, task sizes, the proxies' embedder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parameterCount } from '../model/architectures';
import { parseConfig } from '../model/config';
import { fileFingerprint, hashValue, modelFingerprint } from './hash';
import type { ResolvedModel } from './load';

export function parametersOf(m: ResolvedModel): number | null {
  try {
    return parameterCount(parseConfig(JSON.parse(fs.readFileSync(path.join(m.dir, 'config.json'), 'utf8'))));
  } catch {
    return null;
  }
}

export function countLines(file: string): number | null {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
  } catch {
    return null;
  }
}

/**
 * The proxies' sentence encoder (evaluation.proxies.embedder), resolved against the YAML's folder,
 * with a fingerprint of what decides its embeddings: config, tokenizer and weight files
 * (modelFingerprint) and the sentence-transformers module files.
 */
export function embedderOf(p: string | undefined, yamlFile: string): { dir: string; fingerprint: string } | null {
  if (!p) return null;
  const dir = path.isAbsolute(p) ? p : path.resolve(path.dirname(yamlFile), p);
  const files = ['modules.json', '1_Pooling/config.json', 'sentence_bert_config.json'];
  return {
    dir,
    fingerprint: hashValue({
      model: modelFingerprint(dir),
      modules: files.map((f) => (fs.existsSync(path.join(dir, f)) ? fileFingerprint(path.join(dir, f)) : null)),
    }),
  };
}
