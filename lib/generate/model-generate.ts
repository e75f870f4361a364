/**
 * `generate(model, options)`: prompt-free samples in memory (id order), for library users who do
 * not want a corpus directory. Every sequence starts from the start token alone (BOS, else the
 * document separator); sample i depends only on (seed, i), whatever the batch size. Special tokens
 * come from the model directory's tokenizer files when present, else from config.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateSamples } from './generate';
import { resolveGenerateOptions, type GenerateOptions } from './options';
import { resolveStartText, resolveStartToken, type StartToken } from './start-token';
import { ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import { TextTokenizer } from '../tokenizer/tokenizer';

export interface Sample {
  id: number;
  tokens: number[];
  /** Decoded text (when the model directory has a tokenizer). */
  text?: string;
  finishReason: 'eos' | 'length';
  /** With options.logprobs: untempered log-probability of each token, then of the stop token when finishReason is 'eos'. */
  logprobs?: number[];
}

export interface GenerateResult {
  samples: Sample[];
  startToken: StartToken;
  tokensGenerated: number;
  elapsedSeconds: number;
}

export async function generate(model: Model, options: GenerateOptions): Promise<GenerateResult> {
  model.nativeHandle(); // ERR_DISPOSED before any tokenizer work
  const gen = resolveGenerateOptions(options);
  const tokenizer = fs.existsSync(path.join(model.dir, 'tokenizer.json')) ? await TextTokenizer.load(model.dir) : null;
  const special = tokenizer ? tokenizer.special : { bos: model.config.bosTokenId, eosIds: model.config.eosTokenIds };
  if (gen.startText !== undefined && !tokenizer) {
    throw new ResurfaceError('ERR_INVALID_ARGUMENT', `startText needs a tokenizer.json in ${model.dir}`);
  }
  const startToken =
    gen.startText !== undefined && tokenizer
      ? await resolveStartText(gen.startText, (t) => tokenizer.encode(t, { addSpecialTokens: false }))
      : resolveStartToken(special, gen.startToken);
  const eosIds = [...new Set([...special.eosIds, ...model.config.eosTokenIds])];
  const validVocab = tokenizer ? Math.min(tokenizer.vocabSize, model.config.vocabSize) : model.config.vocabSize;
  const started = Date.now();
  const samples: Sample[] = [];
  const ids = Array.from({ length: gen.numSamples }, (_, i) => i);
  for await (const s of generateSamples(model, {
    sampleIds: ids,
    options: gen,
    startToken,
    eosIds,
    validVocab,
    onProgress: options.onProgress,
    signal: options.signal,
  })) {
    samples.push({
      id: s.id,
      tokens: Array.from(s.tokens),
      finishReason: s.finishReason,
      ...(s.logprobs ? { logprobs: Array.from(s.logprobs) } : {}),
    });
  }
  samples.sort((a, b) => a.id - b.id);
  if (tokenizer) {
    const texts = await tokenizer.decodeBatch(
      samples.map((s) => s.tokens),
      { skipSpecialTokens: false },
    );
    samples.forEach((s, i) => (s.text = texts[i]));
  }
  return {
    samples,
    startToken,
    tokensGenerated: samples.reduce((a, s) => a + s.tokens.length + (s.finishReason === 'eos' ? 1 : 0), 0),
    elapsedSeconds: (Date.now() - started) / 1000,
  };
}
