/**
 * Training documents from `--data`:
 *   - a corpus directory (`generate` / `retokenize`): `manifest.json` + `samples-NNNNN.jsonl` shards
 *     whose records carry `text` and usually `tokens`;
 *   - a JSONL file of `{"text": ...}` or `{"tokens": [...]}` records;
 *   - any other file: plain text, one document.
 *
 * Records with `tokens` are used as they are (they must be ids of the model's tokenizer — run
 * `corpus retokenize` for a student of another family); when the corpus manifest names the start
 * token the sequences were generated from, it is prepended, so the student learns exactly the
 * distribution that was sampled. Records with only `text` are encoded by the model's tokenizer.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusRecords, openCorpus } from '../corpus/read-corpus';
import { ResurfaceError } from '../errors';
import { parseJsonl as parseJsonlRecords } from '../io/jsonl';

export type RawDocument = { text: string } | { tokens: number[] };

export interface DataSource {
  kind: 'corpus' | 'jsonl' | 'text';
  path: string;
  documents: RawDocument[];
  /** Token prepended to `tokens` records (corpus start token), or null. */
  startToken: number | null;
  /** The whole context when a corpus was sampled from `--start-text` of several tokens (prepended instead). */
  startIds?: number[];
  /** sha256 over the files read, to refuse resuming on other data. */
  fingerprint: string;
}

export function readDataSource(dataPath: string): DataSource {
  const p = path.resolve(dataPath);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new ResurfaceError('ERR_DATA', `--data ${dataPath} does not exist`, { path: p });
  }
  const hash = createHash('sha256');
  let out: DataSource;
  if (st.isDirectory()) out = readCorpus(p, hash);
  else if (/\.jsonl$/i.test(p))
    out = { kind: 'jsonl', path: p, documents: parseJsonl(readText(p, hash), p), startToken: null, fingerprint: '' };
  else out = { kind: 'text', path: p, documents: [{ text: readText(p, hash) }], startToken: null, fingerprint: '' };
  out.fingerprint = hash.digest('hex');
  const empty = out.documents.every((d) => ('text' in d ? d.text.length === 0 : d.tokens.length === 0));
  if (empty) throw new ResurfaceError('ERR_DATA', `--data ${dataPath} holds no text or tokens`, { path: p });
  return out;
}

function readText(file: string, hash: ReturnType<typeof createHash>): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${file}: ${(err as Error).message}`, { path: file });
  }
  hash.update(path.basename(file)).update(buf);
  return buf.toString('utf8');
}

function parseJsonl(text: string, file: string): RawDocument[] {
  return parseJsonlRecords(text, file, 'ERR_DATA').map(({ line, value }) => {
    const r = (value ?? {}) as { text?: unknown; tokens?: unknown };
    if (Array.isArray(r.tokens)) {
      if (!r.tokens.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
        throw new ResurfaceError('ERR_DATA', `${file}:${line}: "tokens" must be non-negative integers`, { path: file, line });
      }
      return { tokens: r.tokens as number[] };
    }
    if (typeof r.text === 'string') return { text: r.text };
    throw new ResurfaceError('ERR_DATA', `${file}:${line}: a record needs "text" (string) or "tokens" (array)`, { path: file, line });
  });
}

/** A `generate` / `retokenize` corpus: manifest validated, every shard checked against its sha256. */
function readCorpus(dir: string, hash: ReturnType<typeof createHash>): DataSource {
  const corpus = openCorpus(dir);
  if (corpus.manifest.part) {
    const { index, count } = corpus.manifest.part;
    throw new ResurfaceError(
      'ERR_CORPUS',
      `${dir} is part ${index}/${count} of a data-parallel run: join the parts with corpus merge first`,
      { path: dir },
    );
  }
  if (corpus.manifest.shards.length === 0) throw new ResurfaceError('ERR_DATA', `corpus ${dir} has no finished shards`, { path: dir });
  const documents: RawDocument[] = [];
  for (const r of corpusRecords(corpus)) documents.push(r.tokens !== undefined ? { tokens: r.tokens } : { text: r.text });
  for (const shard of corpus.manifest.shards) hash.update(`${shard.file}:${shard.sha256}\n`);
  const ids = corpus.manifest.startToken.ids;
  return {
    kind: 'corpus',
    path: dir,
    documents,
    startToken: corpus.manifest.startToken.id,
    ...(ids && ids.length > 1 ? { startIds: ids } : {}),
    fingerprint: '',
  };
}

/** Token lists of the documents: `tokens` as given (after the start token), `text` encoded. */
export async function tokenizeDocuments(
  src: DataSource,
  encode: (texts: string[], addSpecialTokens: boolean) => Promise<number[][]>,
): Promise<number[][]> {
  const out: number[][] = new Array(src.documents.length);
  const pending: { index: number; text: string }[] = [];
  src.documents.forEach((d, i) => {
    if ('tokens' in d)
      out[i] = src.startIds ? [...src.startIds, ...d.tokens] : src.startToken !== null ? [src.startToken, ...d.tokens] : d.tokens;
    else pending.push({ index: i, text: d.text });
  });
  // Big plain-text files are encoded in line-aligned chunks of about 1 MB (tokenizers' strings are
  // held whole in memory); a chunk boundary only ever falls after a newline.
  const CHUNK = 1 << 20;
  const BATCH = 256;
  for (let i = 0; i < pending.length; i += BATCH) {
    const group = pending.slice(i, i + BATCH);
    for (const g of group) {
      if (g.text.length <= CHUNK) continue;
      const parts: string[] = [];
      let start = 0;
      while (start < g.text.length) {
        let end = Math.min(start + CHUNK, g.text.length);
        if (end < g.text.length) {
          const nl = g.text.lastIndexOf('\n', end);
          if (nl > start) end = nl + 1;
        }
        parts.push(g.text.slice(start, end));
        start = end;
      }
      // only the first chunk gets the tokenizer's special tokens (BOS)
      const head = await encode(parts.slice(0, 1), true);
      const rest = parts.length > 1 ? await encode(parts.slice(1), false) : [];
      out[g.index] = [...head[0]!, ...rest.flat()];
    }
    const small = group.filter((g) => g.text.length <= CHUNK);
    if (small.length) {
      const enc = await encode(
        small.map((g) => g.text),
        true,
      );
      small.forEach((g, k) => (out[g.index] = enc[k]!));
    }
  }
  return out;
}
