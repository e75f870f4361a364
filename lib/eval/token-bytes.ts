/**
 * The bytes each token id decodes to, so the native generator can watch a completion's decoded text
 * for stop strings without calling back into JavaScript (lib/eval/generate-until.ts).
 *
 * Built from tokenizer.json: byte-level BPE (GPT-2, Pythia, Llama 3, Qwen) maps every character of a
 * token through the inverse of GPT-2's bytes_to_unicode; SentencePiece-style vocabularies (Metaspace /
 * Replace decoders) turn '▁' into a space and byte-fallback pieces <0xNN> into that byte, and drop one
 * leading space of a sequence when the decoder strips it. Special added tokens decode to nothing
 * (the harness decodes with skip_special_tokens=True); other added tokens to their content.
 *
 * The table only decides when to stop early: the text the harness sees is always the tokenizer's own
 * decode of the ids, cut at the stop strings in TypeScript.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import type { TextTokenizer } from '../tokenizer/tokenizer';

export interface TokenByteTable {
  /** Concatenated bytes of ids 0 .. V-1. */
  bytes: Uint8Array;
  /** [V+1] */
  offsets: Int32Array;
  stripLeadingSpace: boolean;
  kind: 'byte-level' | 'sentencepiece';
}

/** GPT-2's bytes_to_unicode, inverted: code point -> byte. */
function byteLevelDecoderMap(): Map<number, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const m = new Map<number, number>();
  bs.forEach((b, i) => m.set(cs[i]!, b));
  return m;
}

type Json = Record<string, unknown>;

function decoderParts(d: unknown): Json[] {
  if (!d || typeof d !== 'object') return [];
  const o = d as Json;
  if (o.type === 'Sequence' && Array.isArray(o.decoders)) return (o.decoders as unknown[]).flatMap(decoderParts);
  return [o];
}

const utf8 = new TextEncoder();

export function buildTokenByteTable(tokenizerJson: Json, vocabSize: number): TokenByteTable {
  const model = (tokenizerJson.model ?? {}) as Json;
  const pieces: Array<string | null> = Array.from({ length: vocabSize }, () => null);
  if (Array.isArray(model.vocab)) {
    (model.vocab as Array<[string, number]>).forEach(([p], id) => {
      if (id < vocabSize) pieces[id] = p;
    });
  } else if (model.vocab && typeof model.vocab === 'object') {
    for (const [p, id] of Object.entries(model.vocab as Record<string, number>)) if (id < vocabSize) pieces[id] = p;
  } else {
    throw new ResurfaceError('ERR_TOKENIZER', 'tokenizer.json has no model.vocab to build the token byte table from');
  }
  const special = new Set<number>();
  const added = new Map<number, string>();
  for (const t of (tokenizerJson.added_tokens ?? []) as Array<{ id: number; content: string; special?: boolean }>) {
    if (t.special) special.add(t.id);
    else added.set(t.id, t.content);
  }
  const parts = decoderParts(tokenizerJson.decoder);
  const byteLevel = parts.some((p) => p.type === 'ByteLevel');
  const stripLeadingSpace =
    !byteLevel &&
    parts.some(
      (p) =>
        (p.type === 'Strip' && Number(p.start ?? 0) >= 1) ||
        (p.type === 'Metaspace' && (p.add_prefix_space === true || (p.prepend_scheme !== undefined && p.prepend_scheme !== 'never'))),
    );
  const inv = byteLevel ? byteLevelDecoderMap() : null;
  const chunks: Uint8Array[] = [];
  const offsets = new Int32Array(vocabSize + 1);
  let total = 0;
  for (let id = 0; id < vocabSize; id++) {
    let b: Uint8Array;
    if (special.has(id)) b = new Uint8Array(0);
    else if (added.has(id)) b = utf8.encode(added.get(id)!);
    else {
      const p = pieces[id];
      if (p === null || p === undefined) b = new Uint8Array(0);
      else if (inv) {
        const out: number[] = [];
        for (const ch of p) {
          const byte = inv.get(ch.codePointAt(0)!);
          if (byte === undefined) out.push(...utf8.encode(ch));
          else out.push(byte);
        }
        b = Uint8Array.from(out);
      } else {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
        b = m ? Uint8Array.of(parseInt(m[1]!, 16)) : utf8.encode(p.replace(/\u2581/g, ' '));
      }
    }
    chunks.push(b);
    total += b.length;
    offsets[id + 1] = total;
  }
  const bytes = new Uint8Array(total);
  chunks.forEach((c, i) => bytes.set(c, offsets[i]!));
  return { bytes, offsets, stripLeadingSpace, kind: byteLevel ? 'byte-level' : 'sentencepiece' };
}

const cache = new WeakMap<TextTokenizer, TokenByteTable>();

/** The byte table of a loaded tokenizer (read from its tokenizer.json once). */
export function tokenByteTable(tok: TextTokenizer): TokenByteTable {
  let t = cache.get(tok);
  if (!t) {
    const file = path.join(tok.dir, 'tokenizer.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
    t = buildTokenByteTable(json, tok.vocabSize);
    cache.set(tok, t);
  }
  return t;
}
