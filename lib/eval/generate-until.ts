/**
 * lm-evaluation-harness `generate_until`, run natively: contexts are encoded as the harness's HFLM does
 * (the tokenizer's special-token policy, left-truncated to max_length - max_gen_toks), the native engine
 * prefills them in batches and decodes with continuous batching until a stop string appears in the
 * decoded text, EOS, or max_gen_toks (native/generate/until_generation.h); the ids are then decoded
 * with skip_special_tokens and cut as the harness cuts them: for each stop string in order (the
 * request's `until` plus the EOS token's text), text = text.split(stop)[0].
 *
 *   const done = await generateUntil(model, tok, [{ context: 'Q: 2+2?\nA:', until: ['\n'], maxGenToks: 32 }]);
 *   done[0][0].text  // the completion, cut
 */
import { fromNative, ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import { loadNative } from '../native/loader';
import type { NativeTokenBytes } from '../native/types';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { flattenRagged } from './ragged';
import { prefixTokenId } from './requests';
import { tokenByteTable } from './token-bytes';

export interface GenerateRequest {
  context: string;
  /** Stop strings (non-empty). */
  until: readonly string[];
  maxGenToks: number;
  /** Counter-RNG index of the request (default: its position, plus firstIndex): completion r draws from (seed, index * repeats + r, step). */
  rngIndex?: number;
}

export type CompletionFinish = 'length' | 'eos' | 'stop';

export interface Completion {
  /** The completion as the harness returns it: decoded (special tokens skipped), cut at the stop strings. */
  text: string;
  /** Generated ids (EOS excluded; may run a few tokens past the cut, up to the token that completed a stop string). */
  tokens: number[];
  finishReason: CompletionFinish;
  /** Context tokens fed (after left truncation). */
  contextTokens: number;
}

export interface GenerateUntilOptions {
  /** Rows decoded together (default 16). */
  batchSize?: number;
  /** Completions per request (default 1; pass@k's n). */
  repeats?: number;
  /** 0 (default): greedy. */
  temperature?: number;
  topP?: number;
  /** Counter-RNG seed: completion r of request i draws from (seed, i * repeats + r, step). */
  seed?: number;
  /** Harness max_length (default: the model's max_position_embeddings). */
  maxLength?: number;
  /** Index of the first request, for the RNG ids when a task is run in parts (default 0). */
  firstIndex?: number;
  onProgress?: (done: number, total: number) => void;
}

const REASONS: CompletionFinish[] = ['length', 'eos', 'stop'];

/** The harness's cut: `for term in until: if term: s = s.split(term)[0]`. */
export function cutAtStops(text: string, stops: readonly string[]): string {
  let s = text;
  for (const t of stops) {
    if (t.length === 0) continue;
    const i = s.indexOf(t);
    if (i >= 0) s = s.slice(0, i);
  }
  return s;
}

const tables = new WeakMap<TextTokenizer, NativeTokenBytes>();

function nativeTable(tok: TextTokenizer): NativeTokenBytes {
  let t = tables.get(tok);
  if (!t) {
    const b = tokenByteTable(tok);
    t = loadNative().tokenBytes(b.bytes, b.offsets, b.stripLeadingSpace);
    tables.set(tok, t);
  }
  return t;
}

/** The text of the EOS token as the harness adds it to every `until` (decoded with special tokens kept). */
async function eosText(tok: TextTokenizer): Promise<string | null> {
  const eos = tok.special.eos;
  if (eos === null || eos === undefined) return null;
  return tok.decode([eos], { skipSpecialTokens: false });
}

/** Context ids as the harness's tok_batch_encode gives them, left-truncated to maxCtx tokens. */
export async function encodeContext(tok: TextTokenizer, context: string, maxCtx: number): Promise<number[]> {
  let ids = await tok.encode(context);
  if (ids.length === 0) ids = [prefixTokenId(tok)];
  return ids.length > maxCtx ? ids.slice(ids.length - maxCtx) : ids;
}

const utf8 = new TextEncoder();

/** Runs every request `repeats` times; returns completions [request][repeat]. */
export async function generateUntil(
  model: Model,
  tok: TextTokenizer,
  requests: readonly GenerateRequest[],
  options: GenerateUntilOptions = {},
): Promise<Completion[][]> {
  const maxLength = options.maxLength ?? model.config.maxPositionEmbeddings;
  const repeats = options.repeats ?? 1;
  const batchSize = options.batchSize ?? 16;
  const temperature = options.temperature ?? 0;
  if (!Number.isInteger(repeats) || repeats < 1) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'repeats must be an integer >= 1');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'batchSize must be an integer >= 1');
  const eos = await eosText(tok);
  const table = nativeTable(tok);
  const native = loadNative();
  const out: Completion[][] = [];
  // items per native call: enough to keep the batch full, few enough for timely progress
  const CHUNK = Math.max(4 * batchSize, Math.ceil(256 / repeats));
  for (let s = 0; s < requests.length; s += CHUNK) {
    const chunk = requests.slice(s, s + CHUNK);
    chunk.forEach((r, j) => {
      if (maxLength - r.maxGenToks <= 0) {
        throw new ResurfaceError(
          'ERR_TASK',
          `request ${s + j}: max_gen_toks ${r.maxGenToks} leaves no room for the context in max_length ${maxLength}`,
        );
      }
    });
    const contexts = await Promise.all(chunk.map((r) => encodeContext(tok, r.context, maxLength - r.maxGenToks)));
    const stops = chunk.map((r) => (eos !== null && eos.length > 0 && !r.until.includes(eos) ? [...r.until, eos] : [...r.until]));
    const ctx = flattenRagged(contexts);
    // A stop string holding U+FFFD can only appear through the decoder's replacement of invalid bytes,
    // which the native byte stream does not see: such a string only cuts (below), it cannot stop early.
    const nativeStops = stops.map((st) => st.filter((x) => !x.includes('\ufffd')));
    const stopRows = nativeStops.flat().map((x) => utf8.encode(x));
    const stopOffsets = new Int32Array(stopRows.length + 1);
    stopRows.forEach((b, i) => (stopOffsets[i + 1] = stopOffsets[i]! + b.length));
    const stopBytes = new Uint8Array(stopOffsets[stopRows.length]!);
    stopRows.forEach((b, i) => stopBytes.set(b, stopOffsets[i]!));
    const stopStart = new Int32Array(chunk.length + 1);
    nativeStops.forEach((st, i) => (stopStart[i + 1] = stopStart[i]! + st.length));
    const first = (options.firstIndex ?? 0) + s;
    let res;
    try {
      res = await native.generateUntil(model.nativeHandle(), table, {
        contextIds: ctx.ids,
        contextOffsets: ctx.offsets,
        stopBytes,
        stopOffsets,
        stopStart,
        maxGenToks: Int32Array.from(chunk.map((r) => r.maxGenToks)),
        sampleBase: Float64Array.from(chunk.map((r, i) => (r.rngIndex ?? first + i) * repeats)),
        repeats,
        batchSize,
        seed: options.seed ?? 0,
        temperature,
        topP: options.topP ?? 1,
        validVocab: Math.min(tok.vocabSize, model.config.vocabSize),
        eosIds: [...tok.special.eosIds],
      });
    } catch (err) {
      throw fromNative(err);
    }
    const ids: number[][] = [];
    for (let c = 0; c < res.reasons.length; c++) ids.push(Array.from(res.tokens.subarray(res.offsets[c]!, res.offsets[c + 1]!)));
    const texts = await tok.decodeBatch(ids, { skipSpecialTokens: true });
    for (let i = 0; i < chunk.length; i++) {
      const row: Completion[] = [];
      for (let r = 0; r < repeats; r++) {
        const c = i * repeats + r;
        row.push({
          text: cutAtStops(texts[c]!, stops[i]!),
          tokens: ids[c]!,
          finishReason: REASONS[res.reasons[c]!]!,
          contextTokens: contexts[i]!.length,
        });
      }
      out.push(row);
    }
    options.onProgress?.(Math.min(s + CHUNK, requests.length), requests.length);
  }
  return out;
}
