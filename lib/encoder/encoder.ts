/**
 * A sentence-transformers BERT checkpoint, embedded natively (native/encoder/bert_encoder.cc).
 *
 *   const enc = await SentenceEncoder.load('models/all-MiniLM-L6-v2');
 *   const vecs = await enc.embed(['a question', 'a sample']);   // Float32Array[] of enc.dim
 *   enc.dispose();
 *
 * Texts are prepared as sentence-transformers' Transformer module prepares them: stripped,
 * lower-cased when sentence_bert_config.json says do_lower_case, tokenized by tokenizer.json with
 * its post-processor ([CLS] … [SEP]) and truncated to max_seq_length tokens (special tokens
 * included). Pooling and normalisation are the checkpoint's (modules.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as RawTokenizer } from 'tokenizers';
import { fromNative, ResurfaceError } from '../errors';
import { openWeights } from '../io/safetensors-index';
import { parseLoadOptions, type LoadOptions, type ResolvedLoadOptions } from '../model/options';
import { chooseDtype } from '../model/resolve-dtype';
import { loadNative } from '../native/loader';
import type { NativeEncoder } from '../native/types';
import { parseBertConfig, readEncoderConfigJson, type BertSpec } from './config';
import { readSentenceModules, type SentenceModules } from './modules';
import { buildEncoderLoadPlan } from './weights';

export interface EncoderLoadOptions extends LoadOptions {
  /** Rows per forward pass (default 32; fewer for long rows). */
  batchSize?: number;
}

/** Rows handed to one native call: bounds the ragged copy and lets long jobs interleave. */
const ROWS_PER_CALL = 2048;

export class SentenceEncoder {
  readonly dir: string;
  readonly config: BertSpec;
  readonly modules: SentenceModules;
  /** Tokens per text, special tokens included (longer texts are truncated). */
  readonly maxSeqLength: number;
  readonly options: ResolvedLoadOptions & { batchSize: number };
  private readonly tok: RawTokenizer;
  private native: NativeEncoder | null;

  private constructor(
    dir: string,
    config: BertSpec,
    modules: SentenceModules,
    maxSeqLength: number,
    options: ResolvedLoadOptions & { batchSize: number },
    tok: RawTokenizer,
    native: NativeEncoder,
  ) {
    this.dir = dir;
    this.config = config;
    this.modules = modules;
    this.maxSeqLength = maxSeqLength;
    this.options = options;
    this.tok = tok;
    this.native = native;
  }

  /** Embedding width (hidden_size). */
  get dim(): number {
    return this.config.hiddenSize;
  }

  /** Things the user should know about how the checkpoint is read (e.g. the mean-pooling fallback). */
  get warnings(): readonly string[] {
    return this.modules.warnings;
  }

  static async load(dir: string, options: EncoderLoadOptions = {}): Promise<SentenceEncoder> {
    const { batchSize = 32, ...load } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ResurfaceError('ERR_INVALID_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`);
    const parsed = parseLoadOptions(load);
    const root = path.resolve(dir);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
      throw new ResurfaceError('ERR_NOT_A_MODEL', `${root} is not a directory`, { dir: root });
    const rootConfig = path.join(root, 'config.json');
    const hidden = fs.existsSync(rootConfig) ? peekHiddenSize(rootConfig) : null;
    const modules = readSentenceModules(root, hidden);
    const modelDir = modules.transformerDir;
    const configFile = path.join(modelDir, 'config.json');
    const rawConfig = readEncoderConfigJson(configFile);
    const config = parseBertConfig(rawConfig, configFile);
    const maxSeqLength = decideMaxSeqLength(modules, config, modelDir);
    const tok = loadTokenizer(modelDir, maxSeqLength, config);
    const plan = buildEncoderLoadPlan(config, await openWeights(modelDir), modelDir, parsed.checkFinite);
    const configDtype = [rawConfig.dtype, rawConfig.torch_dtype].find((d): d is string => typeof d === 'string');
    const dtypeChoice = chooseDtype(parsed.dtype, parsed.device, configDtype, plan);
    const resolved = { ...parsed, dtype: dtypeChoice.dtype, dtypeChoice, batchSize };
    const native = new (loadNative().NativeEncoder)();
    try {
      await native.load({
        config,
        plan,
        pooling: modules.pooling,
        normalize: modules.normalize,
        device: resolved.device,
        dtype: resolved.dtype,
        threads: resolved.threads,
      });
    } catch (err) {
      throw fromNative(err);
    }
    return new SentenceEncoder(root, config, modules, maxSeqLength, resolved, tok, native);
  }

  /** Token ids of each text as the encoder sees them ([CLS] … [SEP], truncated). */
  async tokenize(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const prepared = texts.map((t) => (this.modules.doLowerCase ? t.trim().toLowerCase() : t.trim()));
    const encs = await this.tok.encodeBatch(prepared, { addSpecialTokens: true });
    return encs.map((e, i) => {
      const ids = e.getIds();
      if (ids.length === 0)
        throw new ResurfaceError('ERR_TOKENIZER', `${this.dir}: text ${i} encodes to no tokens (the tokenizer adds no [CLS]/[SEP])`, {
          index: i,
        });
      return ids;
    });
  }

  /** One embedding per text, in input order. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.embedTokens(await this.tokenize(texts));
  }

  /** One embedding per token list (special tokens included, at most max_position_embeddings long). */
  async embedTokens(lists: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const native = this.handle();
    const out: Float32Array[] = [];
    const H = this.dim;
    for (let start = 0; start < lists.length; start += ROWS_PER_CALL) {
      const part = lists.slice(start, start + ROWS_PER_CALL);
      const offsets = new Int32Array(part.length + 1);
      part.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l.length));
      const ids = new Int32Array(offsets[part.length]!);
      part.forEach((l, i) => ids.set(l, offsets[i]!));
      let flat: Float32Array;
      try {
        flat = await native.embed(ids, offsets, { batchSize: this.options.batchSize });
      } catch (err) {
        throw fromNative(err);
      }
      for (let i = 0; i < part.length; i++) out.push(flat.slice(i * H, (i + 1) * H)); // [H]
    }
    return out;
  }

  get disposed(): boolean {
    return this.native === null;
  }

  dispose(): void {
    if (this.native) {
      this.native.dispose();
      this.native = null;
    }
  }

  private handle(): NativeEncoder {
    if (!this.native) throw new ResurfaceError('ERR_DISPOSED', `encoder ${this.dir} has been disposed`);
    return this.native;
  }
}

function peekHiddenSize(file: string): number | null {
  try {
    const h = (JSON.parse(fs.readFileSync(file, 'utf8')) as { hidden_size?: unknown }).hidden_size;
    return typeof h === 'number' ? h : null;
  } catch {
    return null; // parseBertConfig reports a broken config.json properly
  }
}

/** sentence_bert_config.json's max_seq_length, else min(max_position_embeddings, model_max_length); never above the positions. */
function decideMaxSeqLength(modules: SentenceModules, config: BertSpec, modelDir: string): number {
  if (modules.maxSeqLength !== null) {
    if (modules.maxSeqLength > config.maxPositionEmbeddings) {
      modules.warnings.push(
        `max_seq_length ${modules.maxSeqLength} exceeds max_position_embeddings ${config.maxPositionEmbeddings}: texts are cut to ${config.maxPositionEmbeddings} tokens`,
      );
      return config.maxPositionEmbeddings;
    }
    return modules.maxSeqLength;
  }
  let fromTokenizer = Infinity;
  const tc = path.join(modelDir, 'tokenizer_config.json');
  if (fs.existsSync(tc)) {
    try {
      const m = (JSON.parse(fs.readFileSync(tc, 'utf8')) as { model_max_length?: unknown }).model_max_length;
      if (typeof m === 'number' && m > 0) fromTokenizer = m;
    } catch {
      /* a broken tokenizer_config.json only loses this hint */
    }
  }
  return Math.min(config.maxPositionEmbeddings, fromTokenizer);
}

function loadTokenizer(modelDir: string, maxSeqLength: number, config: BertSpec): RawTokenizer {
  const file = path.join(modelDir, 'tokenizer.json');
  if (!fs.existsSync(file)) {
    throw new ResurfaceError(
      'ERR_TOKENIZER',
      `${file} not found: the encoder needs the fast-tokenizer file (AutoTokenizer.from_pretrained(dir).save_pretrained(dir) writes it)`,
      { path: file },
    );
  }
  let tok: RawTokenizer;
  try {
    tok = RawTokenizer.fromFile(file);
  } catch (err) {
    throw new ResurfaceError('ERR_TOKENIZER', `cannot load ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
  }
  const size = tok.getVocabSize(true);
  if (size > config.vocabSize) {
    throw new ResurfaceError(
      'ERR_TOKENIZER',
      `${file}: the tokenizer has ${size} tokens but config.json's vocab_size is ${config.vocabSize}: they are not one model's`,
      { path: file },
    );
  }
  tok.disablePadding(); // the native side pads (and masks) per batch
  tok.setTruncation(maxSeqLength); // longest_first; [CLS]/[SEP] count towards the limit
  return tok;
}
