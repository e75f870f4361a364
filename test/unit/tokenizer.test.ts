import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResurfaceError } from '../../lib/errors';
import { decideAddsBos, resolveSpecialTokenIds, tokenText } from '../../lib/tokenizer/special-tokens';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { makeModelDir, makeTmpDir, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

const MIXED =
  'Hello,  world!\n\n\tTabs,   spaces and CRLF\r\n — ünïcödé Ωμέγα 日本語のテキスト 🙂👍🏽 x² ≠ y₂; \'quotes\' "double" <tags> end ';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeTmpDir));
function modelDir(...args: Parameters<typeof makeModelDir>): string {
  const d = makeModelDir(...args);
  dirs.push(d);
  return d;
}

describe('Pythia (GPT-NeoX-20B tokenizer)', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await TextTokenizer.load(sharedTokenizerDir('pythia'));
  });

  it('<|endoftext|> is id 0 and is BOS and EOS; no pad; no BOS added', async () => {
    expect(tok.tokenToId('<|endoftext|>')).toBe(0);
    expect(tok.special).toMatchObject({
      bos: 0,
      eos: 0,
      eosIds: [0],
      pad: null,
      bosText: '<|endoftext|>',
      eosText: '<|endoftext|>',
      addsBos: false,
    });
    expect(tok.vocabSize).toBe(50277);
    expect(await tok.encode('Hello world')).toEqual([12092, 1533]);
    expect(await tok.encode('<|endoftext|>Hi', { addSpecialTokens: false })).toEqual([0, ...(await tok.encode('Hi'))]);
  });

  it('round-trips mixed text with unicode and whitespace', async () => {
    const ids = await tok.encode(MIXED, { addSpecialTokens: false });
    expect(await tok.decode(ids)).toBe(MIXED);
    expect(await tok.decode([0, ...ids, 0], { skipSpecialTokens: true })).toBe(MIXED);
    expect(await tok.decode([0, ...ids])).toBe(`<|endoftext|>${MIXED}`);
  });

  it('encodeBatch = encode each; decodeBatch = decode each', async () => {
    const texts = ['a', '', MIXED, '  leading'];
    const batch = await tok.encodeBatch(texts);
    expect(batch).toEqual(await Promise.all(texts.map((t) => tok.encode(t))));
    expect(await tok.decodeBatch(batch)).toEqual(texts);
    expect(await tok.encodeBatch([])).toEqual([]);
  });

  it('the 2023 hub tokenizer_config (no add_bos_token) gives the same policy', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    fs.copyFileSync(path.join(sharedTokenizerDir('pythia'), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) {
      fs.copyFileSync(path.join(sharedTokenizerDir('pythia'), 'hub-original', f), path.join(dir, f));
    }
    const t = await TextTokenizer.load(dir);
    expect(t.special).toMatchObject({ bos: 0, eos: 0, addsBos: false });
  });

  it('a model dir: ids come from config.json', async () => {
    const t = await TextTokenizer.load(modelDir('EleutherAI--pythia-70m'));
    expect(t.special).toMatchObject({ bos: 0, eos: 0, pad: null, addsBos: false });
  });
});

describe('Llama 3 tokenizer', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await TextTokenizer.load(modelDir('meta-llama--Llama-3.2-1B'));
  });

  it('adds BOS 128000 with special tokens only; EOS is <|end_of_text|> 128001', async () => {
    expect(tok.special).toMatchObject({
      bos: 128000,
      eos: 128001,
      eosIds: [128001],
      pad: null,
      bosText: '<|begin_of_text|>',
      eosText: '<|end_of_text|>',
      addsBos: true,
    });
    expect(tok.tokenToId('<|end_of_text|>')).toBe(128001);
    const plain = await tok.encode('Hello world', { addSpecialTokens: false });
    expect(plain).toEqual([9906, 1917]);
    expect(await tok.encode('Hello world')).toEqual([128000, 9906, 1917]);
    expect(await tok.encode('')).toEqual([128000]);
    expect((await tok.encodeBatch(['Hello world', 'a']))[0]).toEqual([128000, 9906, 1917]);
    expect(tok.vocabSize).toBe(128256);
  });

  it('round-trips; skipSpecialTokens drops BOS/EOS', async () => {
    const ids = await tok.encode(MIXED);
    expect(ids[0]).toBe(128000);
    expect(await tok.decode([...ids, 128001], { skipSpecialTokens: true })).toBe(MIXED);
    expect(await tok.decode(ids)).toBe(`<|begin_of_text|>${MIXED}`);
  });

  it('the tokenizer files alone resolve the same ids; addBos can be overridden', async () => {
    const bare = await TextTokenizer.load(sharedTokenizerDir('llama3'));
    expect(bare.special).toMatchObject({ bos: 128000, eos: 128001, addsBos: true });
    const noBos = await TextTokenizer.load(sharedTokenizerDir('llama3'), { addBos: false });
    expect(noBos.special.addsBos).toBe(false);
    expect(await noBos.encode('Hello world')).toEqual([9906, 1917]);
  });
});

describe('Llama 3 tokenizer.json as on the hub (post-processor adds BOS itself)', () => {
  it('BOS is added once, and can still be switched off', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const json = JSON.parse(fs.readFileSync(path.join(sharedTokenizerDir('llama3'), 'tokenizer.json'), 'utf8'));
    const bos = { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } };
    json.post_processor = {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            bos,
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } },
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    fs.copyFileSync(path.join(sharedTokenizerDir('llama3'), 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
    const tok = await TextTokenizer.load(dir);
    expect(tok.special.addsBos).toBe(true);
    expect(await tok.encode('Hello world')).toEqual([128000, 9906, 1917]);
    expect(await tok.encodeBatch(['Hello world'])).toEqual([[128000, 9906, 1917]]);
    expect(await tok.encode('Hello world', { addSpecialTokens: false })).toEqual([9906, 1917]);
    const off = await TextTokenizer.load(dir, { addBos: false });
    expect(await off.encode('Hello world')).toEqual([9906, 1917]);
  });
});

describe('Qwen tokenizer', () => {
  it('Qwen2.5 base: <|endoftext|> 151643 is EOS; no BOS added', async () => {
    const tok = await TextTokenizer.load(modelDir('Qwen--Qwen2.5-0.5B'));
    expect(tok.tokenToId('<|endoftext|>')).toBe(151643);
    expect(tok.special).toMatchObject({ eos: 151643, eosText: '<|endoftext|>', pad: 151643, addsBos: false });
    expect(await tok.encode('Hello world')).toEqual([9707, 1879]);
    expect(await tok.decode(await tok.encode(MIXED))).toBe(MIXED);
    expect(tok.vocabSize).toBe(151669);
  });

  it('precedence: generation_config > config > tokenizer_config', async () => {
    // Qwen3-0.6B config says eos 151645 (<|im_end|>); a generation_config listing two ids wins.
    const q3 = await TextTokenizer.load(modelDir('Qwen--Qwen3-0.6B'));
    expect(q3.special).toMatchObject({ bos: 151643, eos: 151645, eosText: '<|im_end|>', addsBos: false });
    const withGen = await TextTokenizer.load(
      modelDir('Qwen--Qwen2.5-0.5B', {
        'generation_config.json': { bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: null },
      }),
    );
    expect(withGen.special).toMatchObject({ eos: 151645, eosIds: [151645, 151643], pad: 151643 });
  });
});

describe('errors', () => {
  it('missing tokenizer.json → ERR_TOKENIZER naming the file', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const err = await TextTokenizer.load(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResurfaceError);
    expect((err as ResurfaceError).code).toBe('ERR_TOKENIZER');
    expect((err as ResurfaceError).message).toContain(path.join(dir, 'tokenizer.json'));
  });
  it('corrupt tokenizer.json → ERR_TOKENIZER', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": 3}');
    await expect(TextTokenizer.load(dir)).rejects.toMatchObject({ code: 'ERR_TOKENIZER' });
  });
});

describe('special-token resolution (pure)', () => {
  const vocab = new Map([
    ['<s>', 1],
    ['</s>', 2],
    ['<pad>', 0],
  ]);
  const lookup = {
    tokenToId: (s: string) => vocab.get(s) ?? null,
    idToToken: (id: number) => [...vocab].find(([, v]) => v === id)?.[0] ?? null,
  };
  it('token strings may be {content} objects; special_tokens_map is the last resort; -1 means none', () => {
    expect(tokenText({ content: '<s>', lstrip: false })).toBe('<s>');
    const r = resolveSpecialTokenIds(
      {
        config: { pad_token_id: -1 },
        tokenizerConfig: { bos_token: { content: '<s>' }, eos_token: null },
        specialTokensMap: { eos_token: '</s>', pad_token: '<pad>' },
      },
      lookup,
    );
    expect(r).toEqual({ bos: 1, eos: 2, eosIds: [2], pad: 0, bosText: '<s>', eosText: '</s>', padText: '<pad>' });
  });
  it('BOS policy', () => {
    const base = { postProcessorAddsBos: false, bos: 1, eos: 2 };
    expect(decideAddsBos(base)).toBe(true); // distinct BOS, nothing says otherwise
    expect(decideAddsBos({ ...base, eos: 1 })).toBe(false); // GPT-2 style
    expect(decideAddsBos({ ...base, tokenizerConfig: { add_bos_token: false } })).toBe(false);
    expect(decideAddsBos({ ...base, eos: 1, tokenizerConfig: { add_bos_token: true } })).toBe(true);
    expect(decideAddsBos({ ...base, eos: 1, postProcessorAddsBos: true })).toBe(true);
    expect(decideAddsBos({ ...base, override: false })).toBe(false);
    expect(decideAddsBos({ ...base, bos: null, override: true })).toBe(false);
  });
});
