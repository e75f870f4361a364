/**
 * The prompt-free rule: every sequence's context is exactly one start token — the model's BOS
 * where it has one (Pythia `<|endoftext|>` = 0, Llama 3 `<|begin_of_text|>`), otherwise its
 * document separator, i.e. its EOS (Qwen base models: `<|endoftext|>`). `--start-token` overrides;
 * `--start-text` replaces it by the tokens of a text (the reference pipeline's `"\n"` for
 * tokenizers without BOS), which may be more than one token.
 */
import { ResurfaceError } from '../errors';

export interface SpecialIds {
  bos: number | null;
  eosIds: number[];
}

export interface StartToken {
  /** The first context token (the whole context unless rule is 'text'). */
  id: number;
  rule: 'bos' | 'document_separator' | 'override' | 'text';
  /** rule 'text': the text and its token ids (the context). */
  text?: string;
  ids?: number[];
}

export function resolveStartToken(special: SpecialIds, override?: number): StartToken {
  if (override !== undefined) return { id: override, rule: 'override' };
  if (special.bos !== null && special.bos !== undefined) return { id: special.bos, rule: 'bos' };
  const sep = special.eosIds[0];
  if (sep !== undefined) return { id: sep, rule: 'document_separator' };
  throw new ResurfaceError(
    'ERR_INVALID_ARGUMENT',
    'the model has neither a BOS nor an EOS token: pass --start-token ID or --start-text TEXT',
  );
}

/** The context from `--start-text`: its token ids without added special tokens (BOS is not prepended). */
export async function resolveStartText(text: string, encode: (text: string) => Promise<number[]>): Promise<StartToken> {
  const ids = await encode(text);
  if (ids.length === 0) throw new ResurfaceError('ERR_INVALID_ARGUMENT', `--start-text ${JSON.stringify(text)} encodes to no tokens`);
  return { id: ids[0]!, rule: 'text', text, ids };
}

/** The token ids every sample starts from. */
export function contextIds(start: StartToken): number[] {
  return start.ids ?? [start.id];
}
