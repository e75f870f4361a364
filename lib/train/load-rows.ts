/**
 * The training rows of a run: --data read (text or pre-tokenized records), tokenized with the
 * model's tokenizer, every id checked against the vocabulary, and packed into fixed-length rows.
 */
import { ArgumentError, ResurfaceError } from '../errors';
import { TextTokenizer } from '../tokenizer/tokenizer';
import { readDataSource, tokenizeDocuments } from './data-source';
import type { ResolvedTrainOptions } from './options';
import { packDocuments, type PackedRows } from './packing';

export async function loadRows(
  o: ResolvedTrainOptions,
  vocabSize: number,
  eosFallback: number | null,
): Promise<{ rows: PackedRows; fingerprint: string }> {
  const src = readDataSource(o.data);
  const tok = await TextTokenizer.load(o.model).catch((err: unknown) => {
    if (src.documents.every((d) => 'tokens' in d)) return null; // pre-tokenized data needs no tokenizer
    throw err;
  });
  const docs = await tokenizeDocuments(src, (texts, add) => {
    if (!tok) throw new ResurfaceError('ERR_TOKENIZER', `${o.model} has no tokenizer, and --data has text records`);
    return tok.encodeBatch(texts, { addSpecialTokens: add });
  });
  for (const d of docs) {
    for (const id of d) {
      if (id >= vocabSize)
        throw new ResurfaceError('ERR_DATA', `--data holds token id ${id}, outside the model's vocabulary (${vocabSize})`);
    }
  }
  const eos = tok?.special.eos ?? eosFallback;
  if (eos === null && o.packing === 'concat') throw new ArgumentError('--packing concat needs an EOS token, and the model declares none');
  const pad = tok?.special.pad ?? eos ?? 0;
  const rows = packDocuments(docs, { seqLen: o.seqLen, mode: o.packing, eosId: eos ?? 0, padId: pad });
  if (rows.numRows === 0)
    throw new ResurfaceError('ERR_DATA', `--data ${o.data} gives no training targets (every document is shorter than 2 tokens)`);
  return { rows, fingerprint: src.fingerprint };
}
