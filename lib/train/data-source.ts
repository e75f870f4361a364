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
import { ResurfaceError } from '../errors';

export type RawDocument = { text: string } | { tokens: number[] };

export interface DataSource {
  kind: 'corpus' | 'jsonl' | 'text';
  path: string;
  documents: RawDocument[];
  /** Token prepended to `tokens` records (corpus start token), or null. */
  startToken: number | null;
  /** sha256 over the files read, to refuse resuming on other data. */
  fingerprint: string;
}

const SHARD_RE = /^samples-(\d{5,})\.jsonl$/;

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
  else if (/\.jsonl$/i.test(p)) out = { kind: 'jsonl', path: p, documents: parseJsonl(readText(p, hash), p), startToken: null, fingerprint: '' };
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
  const docs: RawDocument[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: not valid JSON: ${(err as Error).message}`, { path: file, line: i + 1 });
    }
    const r = rec as { text?: unknown; tokens?: unknown };
    if (Array.isArray(r.tokens)) {
      if (!r.tokens.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
        throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: "tokens" must be non-negative integers`, { path: file, line: i + 1 });
      }
      docs.push({ tokens: r.tokens as number[] });
    } else if (typeof r.text === 'string') {
      docs.push({ text: r.text });
    } else {
      throw new ResurfaceError('ERR_DATA', `${file}:${i + 1}: a record needs "text" (string) or "tokens" (array)`, { path: file, line: i + 1 });
    }
  });
  return docs;
}

/** The shard file names a manifest lists, if it lists any (tolerant of the field's exact shape). */
function manifestShards(m: Record<string, unknown>): string[] | null {
  const s = m['shards'] ?? m['files'];
  if (!Array.isArray(s)) return null;
  const names: string[] = [];
  for (const e of s) {
    if (typeof e === 'string') names.push(e);
    else if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const n = o['file'] ?? o['name'] ?? o['path'];
      if (typeof n === 'string') names.push(path.basename(n));
    }
  }
  return names.filter((n) => n.endsWith('.jsonl'));
}

function manifestStartToken(m: Record<string, unknown>): number | null {
  for (const k of ['startToken', 'start_token', 'startTokenId', 'start_token_id']) {
    const v = m[k];
    if (Number.isInteger(v)) return v as number;
    if (v && typeof v === 'object') {
      const id = (v as Record<string, unknown>)['id'] ?? (v as Record<string, unknown>)['tokenId'] ?? (v as Record<string, unknown>)['token_id'];
      if (Number.isInteger(id)) return id as number;
    }
  }
  return null;
}

function readCorpus(dir: string, hash: ReturnType<typeof createHash>): DataSource {
  const manifestPath = path.join(dir, 'manifest.json');
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readText(manifestPath, hash)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ResurfaceError && err.code === 'ERR_IO') {
      throw new ResurfaceError('ERR_CORPUS', `${dir} is not a corpus directory (no readable manifest.json)`, { path: dir });
    }
    throw new ResurfaceError('ERR_CORPUS', `${manifestPath}: not valid JSON: ${(err as Error).message}`, { path: manifestPath });
  }
  const present = fs.readdirSync(dir).filter((f) => SHARD_RE.test(f)).sort();
  const listed = manifestShards(manifest);
  const missing: string[] = [];
  if (listed) {
    for (const f of listed) if (!present.includes(f)) missing.push(f);
  }
  // shards are numbered from 0 without gaps
  const numbers = present.map((f) => Number(SHARD_RE.exec(f)![1]));
  const last = numbers.length ? Math.max(...numbers) : -1;
  for (let i = 0; i <= last; i++) {
    const name = `samples-${String(i).padStart(5, '0')}.jsonl`;
    if (!numbers.includes(i) && !missing.includes(name)) missing.push(name);
  }
  if (missing.length > 0) {
    throw new ResurfaceError('ERR_CORPUS', `corpus ${dir} is missing shard(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, { path: dir, missing });
  }
  const shards = listed ?? present;
  if (shards.length === 0) throw new ResurfaceError('ERR_DATA', `corpus ${dir} has no samples-NNNNN.jsonl shards`, { path: dir });
  const documents: RawDocument[] = [];
  for (const f of shards) documents.push(...parseJsonl(readText(path.join(dir, f), hash), path.join(dir, f)));
  return { kind: 'corpus', path: dir, documents, startToken: manifestStartToken(manifest), fingerprint: '' };
}

/** Token lists of the documents: `tokens` as given (after the start token), `text` encoded. */
export async function tokenizeDocuments(
  src: DataSource,
  encode: (texts: string[], addSpecialTokens: boolean) => Promise<number[][]>,
): Promise<number[][]> {
  const out: number[][] = new Array(src.documents.length);
  const pending: { index: number; text: string }[] = [];
  src.documents.forEach((d, i) => {
    if ('tokens' in d) out[i] = src.startToken !== null ? [src.startToken, ...d.tokens] : d.tokens;
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
      const enc = await encode(small.map((g) => g.text), true);
      small.forEach((g, k) => (out[g.index] = enc[k]!));
    }
  }
  return out;
}
