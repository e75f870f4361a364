/**
 * The prompt-free rule: every sequence's context is exactly one start token — the model's BOS
 * where it has one (Pythia `<|endoftext|>` = 0, Llama 3 `<|begin_of_text|>`), otherwise its
 * document separator, i.e. its EOS (Qwen base models: `<|endoftext|>`). `--start-token` overrides.
 */
import { ResurfaceError } from '../errors';

export interface SpecialIds {
  bos: number | null;
  eosIds: number[];
}

export interface StartToken {
  id: number;
  rule: 'bos' | 'document_separator' | 'override';
}

export function resolveStartToken(special: SpecialIds, override?: number): StartToken {
  if (override !== undefined) return { id: override, rule: 'override' };
  if (special.bos !== null && special.bos !== undefined) return { id: special.bos, rule: 'bos' };
  const sep = special.eosIds[0];
  if (sep !== undefined) return { id: sep, rule: 'document_separator' };
  throw new ResurfaceError('ERR_INVALID_ARGUMENT', 'the model has neither a BOS nor an EOS token: pass --start-token ID');
}
