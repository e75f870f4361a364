/**
 * Perplexity and bits per byte of a text, a JSONL file ({"text": ...} per line) or a corpus
 * directory (every .txt / .jsonl file below it, in sorted order).
 *
 * Each document is tokenized without special tokens and preceded by the prefix token (BOS, or EOS
 * when there is none — the harness's `loglikelihood_rolling`), so every document token is scored.
 * Documents longer than the window are scored in strided windows: each window holds at most
 * maxLength + 1 tokens, scores `stride` new tokens and sees the maxLength + 1 - stride tokens before
 * them as context (stride = maxLength gives the harness's disjoint windows).
 *
 *   nll_per_token = -Σ log p / tokens;  perplexity = exp(nll_per_token);
 *   bits_per_byte = -Σ log p / Σ UTF-8 bytes / ln 2
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArgumentError, ResurfaceError } from '../errors';
import type { Model } from '../model/model';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { parseJsonl, readText } from '../io/jsonl';
import { prefixTokenId } from './requests';
import { tokenLogprobs } from './scoring';

export interface Document {
  /** Where it came from: "file" or "file:line". */
  source: string;
  text: string;
}

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesBelow(p));
    else if (/\.(txt|jsonl)$/i.test(e.name)) out.push(p);
  }
  return out;
}

export function readDocuments(data: string): Document[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(data);
  } catch (err) {
    throw new ResurfaceError('ERR_IO', `cannot read ${data}: ${(err as Error).message}`, { path: data });
  }
  const files = stat.isDirectory() ? filesBelow(data) : [data];
  if (files.length === 0) throw new ResurfaceError('ERR_DATA', `${data}: no .txt or .jsonl files`, { path: data });
  const docs: Document[] = [];
  for (const f of files) {
    if (/\.jsonl$/i.test(f)) {
      for (const { line, value } of parseJsonl(readText(f), f, 'ERR_DATA')) {
        const t = (value as { text?: unknown } | null)?.text;
        if (typeof t !== 'string') throw new ResurfaceError('ERR_DATA', `${f}:${line}: expected {"text": "..."}`, { path: f, line });
        docs.push({ source: `${f}:${line}`, text: t });
      }
    } else {
      docs.push({ source: f, text: readText(f) });
    }
  }
  return docs;
}

export interface Window {
  tokens: number[];
  scoreFrom: number;
}

/** Strided windows over seq (seq[0] is the prefix token; targets are seq[1..]). */
export function stridedWindows(seq: number[], maxLength: number, stride: number): Window[] {
  if (!(stride >= 1 && stride <= maxLength)) throw new ArgumentError(`stride must be in [1, ${maxLength}]`);
  const n = seq.length;
  const windows: Window[] = [];
  let scored = 1; // targets [1, scored) are done
  while (scored < n) {
    const end = Math.min(n, scored === 1 ? maxLength + 1 : scored + stride);
    const begin = Math.max(0, end - (maxLength + 1));
    windows.push({ tokens: seq.slice(begin, end), scoreFrom: scored - begin });
    scored = end;
  }
  return windows;
}

export interface PerplexityOptions {
  maxLength?: number;
  stride?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DocumentResult {
  index: number;
  source: string;
  tokens: number;
  bytes: number;
  nll: number;
}

export interface PerplexityReport {
  documents: number;
  tokens: number;
  bytes: number;
  words: number;
  /** -Σ log p (nats). */
  nll: number;
  nll_per_token: number;
  perplexity: number;
  bits_per_byte: number;
  word_perplexity: number;
  max_length: number;
  stride: number;
  items: DocumentResult[];
}

export async function computePerplexity(
  model: Model,
  tok: TextTokenizer,
  docs: Document[],
  o: PerplexityOptions = {},
): Promise<PerplexityReport> {
  const maxLength = o.maxLength ?? Math.min(model.config.maxPositionEmbeddings, 2048);
  const stride = o.stride ?? Math.max(1, Math.floor(maxLength / 2));
  if (maxLength > model.config.maxPositionEmbeddings) {
    throw new ArgumentError(`max length ${maxLength} exceeds the model's max_position_embeddings ${model.config.maxPositionEmbeddings}`);
  }
  const prefix = prefixTokenId(tok);
  const items: DocumentResult[] = [];
  let words = 0;
  const CHUNK = 64;
  for (let s = 0; s < docs.length; s += CHUNK) {
    const chunk = docs.slice(s, s + CHUNK);
    const enc = await tok.encodeBatch(
      chunk.map((d) => d.text),
      { addSpecialTokens: false },
    );
    const windows: Window[] = [];
    const owner: number[] = [];
    enc.forEach((ids, k) => {
      for (const w of stridedWindows([prefix, ...ids], maxLength, stride)) {
        windows.push(w);
        owner.push(k);
      }
    });
    const lps = await tokenLogprobs(
      model,
      windows.map((w) => w.tokens),
      windows.map((w) => w.scoreFrom),
      { batchSize: o.batchSize },
    );
    const nll = new Float64Array(chunk.length);
    lps.forEach((lp, w) => {
      for (let i = 0; i < lp.length; i++) nll[owner[w]!]! -= lp[i]!;
    });
    chunk.forEach((d, k) => {
      items.push({ index: s + k, source: d.source, tokens: enc[k]!.length, bytes: Buffer.byteLength(d.text, 'utf8'), nll: nll[k]! });
      words += d.text.split(/\s+/).length; // the harness's len(re.split(r"\s+", doc))
    });
    o.onProgress?.(Math.min(s + CHUNK, docs.length), docs.length);
  }
  const tokens = items.reduce((a, r) => a + r.tokens, 0);
  const bytes = items.reduce((a, r) => a + r.bytes, 0);
  const nll = items.reduce((a, r) => a + r.nll, 0);
  return {
    documents: items.length,
    tokens,
    bytes,
    words,
    nll,
    nll_per_token: nll / tokens,
    perplexity: Math.exp(nll / tokens),
    bits_per_byte: nll / bytes / Math.LN2,
    word_perplexity: Math.exp(nll / words),
    max_length: maxLength,
    stride,
    items,
  };
}
