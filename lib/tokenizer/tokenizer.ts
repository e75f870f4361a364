/**
 * Text ⇄ token ids for a Hugging Face model directory, through the `tokenizers` Rust binding
 * (the same engine as transformers' fast tokenizers, so ids match).
 *
 * Needs DIR/tokenizer.json. Special tokens are resolved from config.json, generation_config.json,
 * tokenizer_config.json and special_tokens_map.json (see special-tokens.ts for precedence).
 *
 * BOS: tokenizer.json's post-processor may or may not add it; `special.addsBos` is the resolved
 * policy (decideAddsBos) and encode() enforces it — prepending BOS when the post-processor does
 * not, stripping it when it does but the policy says no. EOS is never appended by us.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as RawTokenizer } from 'tokenizers';
import { ResurfaceError } from '../errors';
import { decideAddsBos, resolveSpecialTokenIds, type SpecialTokens } from './special-tokens';

export interface EncodeOptions {
  /** Apply the BOS policy and the tokenizer's post-processor (default true). */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, pad, …) from the text (default false). */
  skipSpecialTokens?: boolean;
}

export interface LoadOptions {
  /** Force adding (true) or not adding (false) BOS, overriding the files. */
  addBos?: boolean;
}

function readJsonIfExists(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ResurfaceError('ERR_TOKENIZER', `${file}: not valid JSON: ${(err as Error).message}`, { path: file });
  }
}

/**
 * The one tokenizer cache. Parsing a large tokenizer.json (Llama 3: 9 MB) blocks the main thread
 * for about a second, and a pipeline loads the same one many times — every trained student carries
 * a byte-identical copy. Parsed tokenizers are immutable, so they are shared, keyed by the file's
 * content (a copy in another directory is a hit); the content hash of a file is remembered by its
 * identity (path, size, mtime, inode) so a repeated load does not even re-read it. Special tokens are
 * resolved per directory on every load (small files, cheap), so each directory keeps its own.
 */
const RAW_CACHE_MAX = 8;
const rawCache = new Map<string, RawTokenizer>();
const contentHashes = new Map<string, string>();

function contentHash(file: string): string {
  const st = fs.statSync(file);
  const identity = `${path.resolve(file)}:${st.size}:${st.mtimeMs}:${st.ino}`;
  let hash = contentHashes.get(identity);
  if (!hash) {
    hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    if (contentHashes.size >= 4 * RAW_CACHE_MAX) contentHashes.delete(contentHashes.keys().next().value!);
    contentHashes.set(identity, hash);
  }
  return hash;
}

function cachedRawTokenizer(file: string): RawTokenizer {
  const key = contentHash(file);
  let tok = rawCache.get(key);
  if (tok) {
    rawCache.delete(key); // most recently used last
  } else {
    tok = RawTokenizer.fromFile(file);
    if (rawCache.size >= RAW_CACHE_MAX) rawCache.delete(rawCache.keys().next().value!);
  }
  rawCache.set(key, tok);
  return tok;
}

export class TextTokenizer {
  /** Number of ids the tokenizer can produce (vocabulary plus added tokens). May be below the model's vocab_size, which is often padded. */
  readonly vocabSize: number;
  readonly special: Readonly<SpecialTokens>;
  readonly dir: string;
  private readonly tok: RawTokenizer;
  /** What the post-processor does with special tokens on, measured at load. */
  private readonly postProcessorAddsBos: boolean;

  private constructor(dir: string, tok: RawTokenizer, special: SpecialTokens, postProcessorAddsBos: boolean) {
    this.dir = dir;
    this.tok = tok;
    this.vocabSize = tok.getVocabSize(true);
    this.special = Object.freeze({ ...special, eosIds: [...special.eosIds] });
    this.postProcessorAddsBos = postProcessorAddsBos;
  }

  /** Load DIR/tokenizer.json and resolve special tokens from the files next to it. */
  static async load(modelDir: string, options: LoadOptions = {}): Promise<TextTokenizer> {
    const file = path.join(modelDir, 'tokenizer.json');
    if (!fs.existsSync(file)) {
      throw new ResurfaceError(
        'ERR_TOKENIZER',
        `${file} not found: resurface needs the fast-tokenizer file. Create it with transformers: ` +
          `AutoTokenizer.from_pretrained(dir).save_pretrained(dir)`,
        { path: file },
      );
    }
    let tok: RawTokenizer;
    try {
      tok = cachedRawTokenizer(file);
    } catch (err) {
      throw new ResurfaceError('ERR_TOKENIZER', `cannot load ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
    }
    const sources = {
      config: readJsonIfExists(path.join(modelDir, 'config.json')),
      generationConfig: readJsonIfExists(path.join(modelDir, 'generation_config.json')),
      tokenizerConfig: readJsonIfExists(path.join(modelDir, 'tokenizer_config.json')),
      specialTokensMap: readJsonIfExists(path.join(modelDir, 'special_tokens_map.json')),
    };
    const ids = resolveSpecialTokenIds(sources, {
      tokenToId: (s) => tok.tokenToId(s) ?? null,
      idToToken: (i) => tok.idToToken(i) ?? null,
    });
    // Measure the post-processor: does a one-character text gain a leading BOS with special tokens on?
    const plain = (await tok.encode('a', null, { addSpecialTokens: false })).getIds();
    const withSpecial = (await tok.encode('a', null, { addSpecialTokens: true })).getIds();
    const postProcessorAddsBos = ids.bos !== null && withSpecial.length > plain.length && withSpecial[0] === ids.bos;
    const addsBos = decideAddsBos({
      override: options.addBos,
      tokenizerConfig: sources.tokenizerConfig,
      postProcessorAddsBos,
      bos: ids.bos,
      eos: ids.eos,
    });
    return new TextTokenizer(modelDir, tok, { ...ids, addsBos }, postProcessorAddsBos);
  }

  /** Apply the BOS policy to ids the binding returned with special tokens on. */
  private fixBos(ids: number[]): number[] {
    const bos = this.special.bos;
    if (bos === null || this.special.addsBos === this.postProcessorAddsBos) return ids;
    if (this.special.addsBos) return [bos, ...ids];
    return ids[0] === bos ? ids.slice(1) : ids;
  }

  async encode(text: string, options: EncodeOptions = {}): Promise<number[]> {
    const add = options.addSpecialTokens ?? true;
    const ids = (await this.tok.encode(text, null, { addSpecialTokens: add })).getIds();
    return add ? this.fixBos(ids) : ids;
  }

  async encodeBatch(texts: string[], options: EncodeOptions = {}): Promise<number[][]> {
    if (texts.length === 0) return [];
    const add = options.addSpecialTokens ?? true;
    const encs = await this.tok.encodeBatch(texts, { addSpecialTokens: add });
    return encs.map((e) => (add ? this.fixBos(e.getIds()) : e.getIds()));
  }

  async decode(ids: number[], options: DecodeOptions = {}): Promise<string> {
    return this.tok.decode(ids, options.skipSpecialTokens ?? false);
  }

  async decodeBatch(batch: number[][], options: DecodeOptions = {}): Promise<string[]> {
    if (batch.length === 0) return [];
    return this.tok.decodeBatch(batch, options.skipSpecialTokens ?? false);
  }

  tokenToId(token: string): number | null {
    return this.tok.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.tok.idToToken(id) ?? null;
  }
}
