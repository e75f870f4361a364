/**
 * The texts `corpus audit --extraction` looks for verbatim: for each extraction sequence (the
 * `resurface extract` data format, lib/eval/extraction.ts), tokens [offset, offset + prefix + suffix)
 * decoded with the tokenizer — the exact span the extraction test prompts with and scores.
 */
import { loadExtractionData } from '../eval/extraction';
import type { TextTokenizer } from '../tokenizer/tokenizer';

export interface ExtractionSpan {
  prefixLen: number;
  suffixLen: number;
  offset: number;
}

export async function extractionTexts(file: string, span: ExtractionSpan, tok: TextTokenizer): Promise<string[]> {
  const need = span.offset + span.prefixLen + span.suffixLen;
  const seqs = await loadExtractionData(file, need, tok);
  return tok.decodeBatch(
    seqs.map((s) => s.tokens.slice(span.offset, need)),
    { skipSpecialTokens: false },
  );
}
