/**
 * Tokenizers shared between the steps of one process. Building a tokenizer blocks the main thread
 * (Llama 3's 9 MB tokenizer.json: ~0.5–1 s) and a grid evaluates the same tokenizer many times —
 * every trained student carries a byte-identical copy. Keyed by the content of the files that
 * define the tokenizer and its special tokens, so a copy in another directory is a hit.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextTokenizer } from '../../tokenizer/tokenizer';

const FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'config.json', 'generation_config.json'];
const MAX_ENTRIES = 4;
const cache = new Map<string, Promise<TextTokenizer>>();

function contentKey(dir: string): string {
  const h = createHash('sha256');
  for (const f of FILES) {
    h.update(`${f}\0`);
    try {
      h.update(fs.readFileSync(path.join(dir, f)));
    } catch {
      h.update('-');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

/** TextTokenizer.load(dir), reusing a tokenizer loaded from identical files. */
export function sharedTokenizer(dir: string): Promise<TextTokenizer> {
  const key = contentKey(dir);
  let p = cache.get(key);
  if (p) {
    cache.delete(key); // most recently used last
    cache.set(key, p);
    return p;
  }
  p = TextTokenizer.load(dir);
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return p;
}
