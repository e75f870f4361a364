/**
 * The sentence-transformers layout of a checkpoint directory, read as SentenceTransformer reads it:
 *
 *   modules.json              [{idx, name, path, type}]: Transformer (the BERT at `path`, usually
 *                             the directory itself), Pooling (1_Pooling/config.json), optional Normalize
 *   1_Pooling/config.json     exactly one of pooling_mode_{mean_tokens, cls_token, max_tokens,
 *                             mean_sqrt_len_tokens} true
 *   sentence_bert_config.json max_seq_length (tokens, [CLS]/[SEP] included), do_lower_case
 *
 * Without modules.json the directory is a plain transformers BertModel: like SentenceTransformer,
 * we use mean pooling without normalisation and say so in `warnings`. Module types we do not
 * implement (Dense, WeightedLayerPooling, several pooling modes at once, weighted-mean or last-token
 * pooling) are ERR_UNSUPPORTED_CONFIG: embedding without them would silently give other vectors.
 *
 * max_seq_length when sentence_bert_config.json does not give it: min(max_position_embeddings,
 * tokenizer_config.json model_max_length), as sentence-transformers' Transformer module does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { invalid, unsupported } from '../model/config-fields';

export type PoolingMode = 'mean' | 'cls' | 'max' | 'mean_sqrt_len';

export interface SentenceModules {
  /** Directory of the Transformer module (config.json, model.safetensors, tokenizer.json). */
  transformerDir: string;
  pooling: PoolingMode;
  normalize: boolean;
  /** From sentence_bert_config.json, or null (then derived from the configs, see above). */
  maxSeqLength: number | null;
  doLowerCase: boolean;
  /** Whether modules.json was found (false: the mean-pooling fallback). */
  sentenceTransformers: boolean;
  warnings: string[];
}

const POOLING_FLAGS: Record<string, PoolingMode | null> = {
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_sqrt_len_tokens: 'mean_sqrt_len',
  pooling_mode_weightedmean_tokens: null,
  pooling_mode_lasttoken: null,
};

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(file, '(root)', `not valid JSON: ${(err as Error).message}`);
  }
}

function readPooling(file: string, hiddenSize: number | null): PoolingMode {
  if (!fs.existsSync(file))
    throw new ResurfaceError('ERR_NOT_A_MODEL', `${file} not found: modules.json names a Pooling module without its config`, { file });
  const cfg = readJson(file) as Record<string, unknown>;
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw invalid(file, '(root)', 'expected a JSON object');
  const on = Object.keys(POOLING_FLAGS).filter((k) => cfg[k] === true);
  if (on.length !== 1)
    throw unsupported(
      file,
      'pooling_mode_*',
      on.length === 0 ? 'no pooling mode is set' : `several pooling modes at once (${on.join(', ')}) are not supported`,
    );
  const mode = POOLING_FLAGS[on[0]!];
  if (!mode) throw unsupported(file, on[0]!, 'this pooling mode is not supported (mean, cls, max, mean_sqrt_len)');
  const dim = cfg.word_embedding_dimension;
  if (hiddenSize !== null && typeof dim === 'number' && dim !== hiddenSize)
    throw invalid(file, 'word_embedding_dimension', `${dim} but the model's hidden_size is ${hiddenSize}`);
  return mode;
}

/** sentence_bert_config.json of the Transformer module (its directory, else the checkpoint's root). */
function readSbertConfig(transformerDir: string, root: string): { maxSeqLength: number | null; doLowerCase: boolean } {
  const file = [transformerDir, root].map((d) => path.join(d, 'sentence_bert_config.json')).find((f) => fs.existsSync(f));
  const cfg = file ? (readJson(file) as Record<string, unknown>) : {};
  const maxSeq = cfg.max_seq_length;
  if (maxSeq !== undefined && maxSeq !== null && !(typeof maxSeq === 'number' && Number.isInteger(maxSeq) && maxSeq > 0))
    throw invalid(file!, 'max_seq_length', 'expected a positive integer');
  return { maxSeqLength: typeof maxSeq === 'number' ? maxSeq : null, doLowerCase: cfg.do_lower_case === true };
}

/** Reads the module layout of `dir`. hiddenSize (from config.json) checks the pooling config's dimension. */
export function readSentenceModules(dir: string, hiddenSize: number | null = null): SentenceModules {
  const modulesFile = path.join(dir, 'modules.json');
  const warnings: string[] = [];
  if (!fs.existsSync(modulesFile)) {
    warnings.push(
      `${dir}: no modules.json, so not a sentence-transformers checkpoint: using mean pooling without normalisation (sentence-transformers' fallback)`,
    );
    return { transformerDir: dir, pooling: 'mean', normalize: false, ...readSbertConfig(dir, dir), sentenceTransformers: false, warnings };
  }
  const modules = readJson(modulesFile);
  if (!Array.isArray(modules) || modules.length === 0) throw invalid(modulesFile, '(root)', 'expected a non-empty array of modules');
  const sorted = [...modules].sort((a, b) => Number((a as { idx?: number }).idx ?? 0) - Number((b as { idx?: number }).idx ?? 0));
  let transformerDir: string | null = null;
  let pooling: PoolingMode | null = null;
  let normalize = false;
  sorted.forEach((m, i) => {
    const mod = m as { type?: unknown; path?: unknown };
    if (typeof mod.type !== 'string' || typeof mod.path !== 'string')
      throw invalid(modulesFile, `[${i}]`, 'each module needs a string "type" and "path"');
    const kind = mod.type.split('.').pop();
    const order = transformerDir === null ? 0 : pooling === null ? 1 : 2;
    if (kind === 'Transformer' && order === 0) transformerDir = path.join(dir, mod.path);
    else if (kind === 'Pooling' && order === 1) pooling = readPooling(path.join(dir, mod.path, 'config.json'), hiddenSize);
    else if (kind === 'Normalize' && order === 2 && !normalize) normalize = true;
    else
      throw unsupported(
        modulesFile,
        `[${i}].type`,
        `module ${mod.type} at this place is not supported (Transformer, Pooling, optional Normalize)`,
      );
  });
  if (transformerDir === null || pooling === null) throw unsupported(modulesFile, '(root)', 'needs a Transformer and a Pooling module');
  return { transformerDir, pooling, normalize, ...readSbertConfig(transformerDir, dir), sentenceTransformers: true, warnings };
}
