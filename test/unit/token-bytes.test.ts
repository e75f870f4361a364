/**
 * The token byte table the native generator watches stop strings with: for the real tokenizers, the
 * concatenated bytes of any id sequence decode (UTF-8) to exactly what the tokenizer's own decode
 * (skip_special_tokens) gives — checked on every single id and on random sequences.
 */
import { describe, expect, it } from 'vitest';
import { buildTokenByteTable, tokenByteTable } from '../../lib/eval/token-bytes';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { sharedTokenizerDir, type SharedTokenizer } from '../helpers/shared';

const td = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a U+FEFF token as text

function bytesOf(t: ReturnType<typeof tokenByteTable>, ids: number[]): Uint8Array {
  const parts = ids.map((i) => t.bytes.subarray(t.offsets[i]!, t.offsets[i + 1]!));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe.each(['pythia', 'llama3', 'qwen3'] as SharedTokenizer[])('token byte table: %s', (name) => {
  it('matches the tokenizer decode on every id and on random sequences', async () => {
    const tok = await TextTokenizer.load(sharedTokenizerDir(name));
    const t = tokenByteTable(tok);
    expect(t.kind).toBe('byte-level');
    const V = tok.vocabSize;
    const ids = Array.from({ length: V }, (_, i) => [i]);
    const texts = await tok.decodeBatch(ids, { skipSpecialTokens: true });
    let checked = 0;
    const bad: string[] = [];
    texts.forEach((s, i) => {
      if (s.includes('\ufffd')) return; // a partial UTF-8 sequence: checked within sequences below
      checked++;
      const mine = td.decode(bytesOf(t, [i]));
      if (mine !== s && bad.length < 5) bad.push(`${i}: ${JSON.stringify(s)} vs ${JSON.stringify(mine)}`);
    });
    expect(bad).toEqual([]);
    expect(checked).toBeGreaterThan(V * 0.9);
    // random sequences, including partial-UTF-8 ids and special tokens
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const seqs = Array.from({ length: 300 }, () => Array.from({ length: 12 }, () => Math.floor(rnd() * V)));
    const dec = await tok.decodeBatch(seqs, { skipSpecialTokens: true });
    seqs.forEach((s, i) => expect(td.decode(bytesOf(t, s)), JSON.stringify(s)).toBe(dec[i]));
  }, 60_000);
});

describe('token byte table: SentencePiece-style vocabularies', () => {
  it("maps '▁' to a space, <0xNN> to its byte, special tokens to nothing, and strips one leading space", () => {
    const json = {
      model: { type: 'BPE', vocab: { '<s>': 0, '▁hello': 1, world: 2, '<0xE2>': 3, '<0x82>': 4, '<0xAC>': 5 } },
      added_tokens: [
        { id: 0, content: '<s>', special: true },
        { id: 6, content: '<extra>', special: false },
      ],
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
    };
    const t = buildTokenByteTable(json, 7);
    expect(t.kind).toBe('sentencepiece');
    expect(t.stripLeadingSpace).toBe(true);
    expect(td.decode(bytesOf(t, [0, 1, 2, 3, 4, 5, 6]))).toBe(' helloworld€<extra>');
  });
});
