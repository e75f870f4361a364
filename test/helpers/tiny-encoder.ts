/**
 * Tiny random BERT sentence encoders in the genuine Hugging Face + sentence-transformers layout:
 *
 *   config.json               BertConfig (model_type bert, architectures [BertModel])
 *   model.safetensors         random weights, transformers' BertModel names (optionally `bert.`-prefixed,
 *                             optionally with the unused pooler)
 *   tokenizer.json            a WordPiece tokenizer written by hand in the `tokenizers` JSON format:
 *                             BertNormalizer (lower case), BertPreTokenizer, [CLS] $A [SEP] post-processor
 *   tokenizer_config.json     model_max_length
 *   modules.json              Transformer (.) → Pooling (1_Pooling) → optional Normalize (2_Normalize)
 *   1_Pooling/config.json     the pooling_mode_* flags sentence-transformers writes
 *   sentence_bert_config.json max_seq_length, do_lower_case
 *
 * Weights are drawn with std 0.3 (LayerNorm weights 1 ± 0.3) so that attention is far from uniform
 * and every tensor moves the embedding by much more than the test tolerance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensors } from '../../lib/io/safetensors-writer';
import type { HostTensor } from '../../lib/io/tensor-types';
import { bertSlots } from '../../lib/encoder/weights';
import type { BertSpec } from '../../lib/encoder/config';
import { mulberry32 } from './prng';

export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const WORDS = [
  'the',
  'a',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'what',
  'is',
  'of',
  'question',
  'answer',
  'model',
  'data',
  'number',
  'two',
  'plus',
  'three',
  'equals',
  'five',
  'which',
  'animal',
  'runs',
  'fast',
  'sun',
  'rises',
  'in',
  'east',
  'water',
  'boils',
];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PUNCT = ['.', ',', '?', '!', "'", '-', ':'];

/** The tiny vocabulary: specials, words, single characters and their ## continuations, punctuation. */
export function tinyVocab(): string[] {
  return [...SPECIALS, ...WORDS, ...LETTERS, ...[...LETTERS].map((c) => `##${c}`), ...PUNCT];
}

export interface TinyEncoderOptions {
  pooling?: 'mean' | 'cls' | 'max' | 'mean_sqrt_len';
  normalize?: boolean;
  /** false: no modules.json / 1_Pooling (a plain transformers BertModel directory). */
  sentenceTransformers?: boolean;
  /** Name tensors `bert.…` (as BertFor* checkpoints do). */
  bertPrefix?: boolean;
  /** Also write the unused pooler.dense tensors. */
  withPooler?: boolean;
  hiddenAct?: string;
  maxSeqLength?: number;
  maxPositionEmbeddings?: number;
  layers?: number;
  seed?: number;
  /** Edits of config.json after the weights are drawn (to make config and weights disagree). */
  editConfig?: (c: Record<string, unknown>) => void;
}

export const TINY_HIDDEN = 32;

export function tinyEncoderSpec(o: TinyEncoderOptions = {}): BertSpec {
  return {
    vocabSize: tinyVocab().length + 3, // padded, as real vocabularies often are
    hiddenSize: TINY_HIDDEN,
    numLayers: o.layers ?? 2,
    numHeads: 4,
    intermediateSize: 64,
    maxPositionEmbeddings: o.maxPositionEmbeddings ?? 40,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    hiddenAct: 'gelu',
  };
}

function tokenizerJson(): unknown {
  const vocab = Object.fromEntries(tinyVocab().map((t, i) => [t, i]));
  const special = (t: string) => ({
    id: vocab[t],
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function randomTensor(name: string, shape: number[], rnd: () => number, around = 0, std = 0.3): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rnd(), 1e-12);
    v[i] = around + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd()); // Box-Muller
  }
  return { name, dtype: 'F32', shape, data: new Uint8Array(v.buffer) };
}

/** Writes a tiny encoder into `dir` (created). Returns its spec. */
export async function writeTinyEncoder(dir: string, o: TinyEncoderOptions = {}): Promise<BertSpec> {
  fs.mkdirSync(dir, { recursive: true });
  const spec = tinyEncoderSpec(o);
  const rnd = mulberry32(o.seed ?? 7);
  const prefix = o.bertPrefix ? 'bert.' : '';
  const tensors = bertSlots(spec).map((s) => randomTensor(prefix + s.name, s.shape, rnd, s.kind === 'norm_weight' ? 1 : 0));
  if (o.withPooler) {
    tensors.push(randomTensor(`${prefix}pooler.dense.weight`, [spec.hiddenSize, spec.hiddenSize], rnd));
    tensors.push(randomTensor(`${prefix}pooler.dense.bias`, [spec.hiddenSize], rnd));
  }
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config: Record<string, unknown> = {
    architectures: [o.bertPrefix ? 'BertForMaskedLM' : 'BertModel'],
    model_type: 'bert',
    vocab_size: spec.vocabSize,
    hidden_size: spec.hiddenSize,
    num_hidden_layers: spec.numLayers,
    num_attention_heads: spec.numHeads,
    intermediate_size: spec.intermediateSize,
    hidden_act: o.hiddenAct ?? 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: spec.maxPositionEmbeddings,
    type_vocab_size: spec.typeVocabSize,
    initializer_range: 0.02,
    layer_norm_eps: spec.layerNormEps,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    use_cache: true,
    torch_dtype: 'float32',
    transformers_version: '4.44.0',
  };
  o.editConfig?.(config);
  const json = (file: string, v: unknown) => fs.writeFileSync(path.join(dir, file), JSON.stringify(v, null, 2));
  json('config.json', config);
  json('tokenizer.json', tokenizerJson());
  json('tokenizer_config.json', {
    do_lower_case: true,
    model_max_length: 512,
    tokenizer_class: 'BertTokenizer',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  });
  if (o.sentenceTransformers !== false) {
    const pooling = o.pooling ?? 'mean';
    const modules = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ];
    if (o.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
    json('modules.json', modules);
    fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
    json('1_Pooling/config.json', {
      word_embedding_dimension: spec.hiddenSize,
      pooling_mode_cls_token: pooling === 'cls',
      pooling_mode_mean_tokens: pooling === 'mean',
      pooling_mode_max_tokens: pooling === 'max',
      pooling_mode_mean_sqrt_len_tokens: pooling === 'mean_sqrt_len',
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    if (o.normalize) fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
    json('sentence_bert_config.json', { max_seq_length: o.maxSeqLength ?? 32, do_lower_case: false });
  }
  return spec;
}
