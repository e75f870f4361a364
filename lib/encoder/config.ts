/**
 * config.json of a BERT encoder (transformers' BertConfig) → the record the native encoder reads.
 *
 * Accepted: model_type "bert" (or, without model_type, architectures[0] starting with "Bert":
 * BertModel, BertForMaskedLM, ...), absolute position embeddings, hidden_act gelu (erf),
 * gelu_new / gelu_pytorch_tanh (tanh form) or relu. Anything else — RoBERTa, MPNet, a decoder, relative
 * positions, a decoder-style BERT — is ERR_UNSUPPORTED_CONFIG naming the field; malformed values are
 * ERR_CONFIG_INVALID (lib/model/config-fields.ts).
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { ResurfaceError } from '../errors';
import { invalid, parseWith, posInt, unsupported } from '../model/config-fields';

export type EncoderActivation = 'gelu' | 'gelu_tanh' | 'relu';

/** What bert_encoder.cc needs (native/encoder/bert_encoder.h BertConfig). */
export interface BertSpec {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: EncoderActivation;
}

const ACTIVATIONS: Record<string, EncoderActivation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu',
};

const bertConfig = z.object({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  vocab_size: posInt,
  hidden_size: posInt,
  num_hidden_layers: posInt,
  num_attention_heads: posInt,
  intermediate_size: posInt,
  hidden_act: z.string().default('gelu'),
  max_position_embeddings: posInt.default(512),
  type_vocab_size: posInt.default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  position_embedding_type: z.string().default('absolute'),
  is_decoder: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
});

/** Reads DIR/config.json; a missing file is ERR_NOT_A_MODEL. */
export function readEncoderConfigJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ResurfaceError('ERR_NOT_A_MODEL', `${file} not found: not a Hugging Face model directory`, { file });
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(file, '(root)', `not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(file, '(root)', 'expected a JSON object');
  return json as Record<string, unknown>;
}

export function parseBertConfig(json: Record<string, unknown>, source = 'config.json'): BertSpec {
  const modelType = json.model_type;
  const arch =
    Array.isArray(json.architectures) && typeof json.architectures[0] === 'string' ? (json.architectures[0] as string) : undefined;
  if (modelType !== undefined && modelType !== 'bert') {
    throw unsupported(
      source,
      'model_type',
      `"${String(modelType)}" is not a BERT encoder; sentence embeddings support BERT checkpoints only (all-MiniLM-*, BGE, E5, GTE ...)`,
    );
  }
  if (modelType === undefined && !(arch && arch.startsWith('Bert'))) {
    throw unsupported(
      source,
      'architectures',
      `${arch ? `"${arch}"` : 'no model_type or architectures'}: sentence embeddings support BERT checkpoints only`,
    );
  }
  const c = parseWith(bertConfig, json, source);
  const act = ACTIVATIONS[c.hidden_act];
  if (!act) throw unsupported(source, 'hidden_act', `"${c.hidden_act}" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)`);
  if (c.position_embedding_type !== 'absolute')
    throw unsupported(source, 'position_embedding_type', `"${c.position_embedding_type}" is not supported (absolute only)`);
  if (c.is_decoder || c.add_cross_attention)
    throw unsupported(source, c.is_decoder ? 'is_decoder' : 'add_cross_attention', 'a decoder-style BERT is not a sentence encoder');
  if (c.hidden_size % c.num_attention_heads !== 0)
    throw invalid(source, 'num_attention_heads', `${c.num_attention_heads} does not divide hidden_size ${c.hidden_size}`);
  return {
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    intermediateSize: c.intermediate_size,
    maxPositionEmbeddings: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps,
    hiddenAct: act,
  };
}
