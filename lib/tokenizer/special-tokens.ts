/**
 * Which ids are BOS / EOS / PAD for a model directory, and whether encoding adds BOS.
 *
 * Ids come from three files; for each of bos/eos/pad the first source that gives a non-null
 * value wins:
 *   1. generation_config.json  `bos_token_id` / `eos_token_id` / `pad_token_id`  (what generate() uses)
 *   2. config.json             same keys
 *   3. tokenizer_config.json   `bos_token` / `eos_token` / `pad_token` strings (or {content} objects),
 *      then special_tokens_map.json, looked up in the tokenizer's vocabulary
 * `eos_token_id` may be a list (all of them stop generation); `eos` is its first element.
 * A negative id (old Llama configs use -1 for "no pad") counts as not given.
 */

export interface SpecialTokens {
  bos: number | null;
  /** Primary EOS id (first of `eosIds`). */
  eos: number | null;
  /** Every id that ends a sequence (generation_config may list several). */
  eosIds: number[];
  pad: number | null;
  bosText: string | null;
  eosText: string | null;
  padText: string | null;
  /** Whether `encode(text, { addSpecialTokens: true })` starts with BOS. */
  addsBos: boolean;
}

/** The parsed JSON files of a model directory (absent files are undefined). */
export interface SpecialTokenSources {
  config?: unknown;
  generationConfig?: unknown;
  tokenizerConfig?: unknown;
  specialTokensMap?: unknown;
}

export interface VocabLookup {
  tokenToId(token: string): number | null;
  idToToken(id: number): string | null;
}

type Role = 'bos' | 'eos' | 'pad';

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

function validId(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/** Ids from a `*_token_id` value: int, list of ints, or null. */
function idsOf(x: unknown): number[] | null {
  if (validId(x)) return [x];
  if (Array.isArray(x)) {
    const ids = x.filter(validId);
    return ids.length ? [...new Set(ids)] : null;
  }
  return null;
}

/** A token string from tokenizer_config/special_tokens_map: `"<s>"` or `{ "content": "<s>", … }`. */
export function tokenText(x: unknown): string | null {
  if (typeof x === 'string') return x;
  const c = field(x, 'content');
  return typeof c === 'string' ? c : null;
}

/** Resolve bos/eos/pad ids and texts (not `addsBos`, which needs the tokenizer; see tokenizer.ts). */
export function resolveSpecialTokenIds(src: SpecialTokenSources, vocab: VocabLookup): Omit<SpecialTokens, 'addsBos'> {
  const resolve = (role: Role): { ids: number[]; text: string | null } => {
    for (const file of [src.generationConfig, src.config]) {
      const ids = idsOf(field(file, `${role}_token_id`));
      if (ids) return { ids, text: vocab.idToToken(ids[0]!) };
    }
    for (const file of [src.tokenizerConfig, src.specialTokensMap]) {
      const text = tokenText(field(file, `${role}_token`));
      if (text !== null) {
        const id = vocab.tokenToId(text);
        if (id !== null) return { ids: [id], text };
      }
    }
    return { ids: [], text: null };
  };
  const bos = resolve('bos');
  const eos = resolve('eos');
  const pad = resolve('pad');
  return {
    bos: bos.ids[0] ?? null,
    eos: eos.ids[0] ?? null,
    eosIds: eos.ids,
    pad: pad.ids[0] ?? null,
    bosText: bos.text,
    eosText: eos.text,
    padText: pad.text,
  };
}

/**
 * Should encoding with special tokens start with BOS?
 * - `override` (caller's explicit choice) wins;
 * - then tokenizer_config `add_bos_token` when it is a boolean (transformers honours it);
 * - then what tokenizer.json's post-processor does (`postProcessorAddsBos`, measured);
 * - otherwise: yes iff the model has a BOS token distinct from EOS. This is the Llama/Mistral
 *   convention (LlamaTokenizer defaults add_bos_token to true) and covers tokenizer.json copies
 *   whose TemplateProcessing was stripped (our vendored Llama 3 file); GPT-2-style tokenizers
 *   (Pythia, bos == eos) and tokenizers without BOS (Qwen) get no BOS.
 */
export function decideAddsBos(opts: {
  override?: boolean;
  tokenizerConfig?: unknown;
  postProcessorAddsBos: boolean;
  bos: number | null;
  eos: number | null;
}): boolean {
  if (opts.bos === null) return false;
  if (opts.override !== undefined) return opts.override;
  const flag = field(opts.tokenizerConfig, 'add_bos_token');
  if (typeof flag === 'boolean') return flag;
  if (opts.postProcessorAddsBos) return true;
  return opts.bos !== opts.eos;
}
