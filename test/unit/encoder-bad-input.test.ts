/** Bad sentence-encoder checkpoints: each a clear error with a stable code, found before any weight is read. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceEncoder } from '../../lib/encoder';
import { parseBertConfig } from '../../lib/encoder/config';
import { makeTmpDir, readSharedConfig, removeTmpDir } from '../helpers/shared';
import { writeTinyEncoder, type TinyEncoderOptions } from '../helpers/tiny-encoder';

type Json = Record<string, unknown>;

describe('sentence encoder: bad checkpoints', () => {
  let root: string;
  let n = 0;
  const make = async (opts: TinyEncoderOptions = {}, edit?: (dir: string) => void): Promise<string> => {
    const dir = path.join(root, `m${n++}`);
    await writeTinyEncoder(dir, { maxSeqLength: 16, ...opts });
    edit?.(dir);
    return dir;
  };
  const editJson = (file: string, fn: (j: Json) => unknown) => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
    fs.writeFileSync(file, JSON.stringify(fn(j) ?? j));
  };
  const load = (dir: string) => SentenceEncoder.load(dir, { threads: 1 });

  beforeAll(() => {
    root = makeTmpDir('resurface-encoder-bad-');
  });
  afterAll(() => removeTmpDir(root));

  it('a directory without config.json is ERR_NOT_A_MODEL; a missing directory too', async () => {
    const dir = await make({}, (d) => fs.rmSync(path.join(d, 'config.json')));
    await expect(load(dir)).rejects.toMatchObject({ code: 'ERR_NOT_A_MODEL' });
    await expect(load(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'ERR_NOT_A_MODEL' });
  });

  it('architectures other than BERT are ERR_UNSUPPORTED_CONFIG naming the field', async () => {
    expect(() => parseBertConfig({ ...readSharedConfig('EleutherAI--pythia-70m') }, 'pythia')).toThrow(
      expect.objectContaining({ code: 'ERR_UNSUPPORTED_CONFIG', details: expect.objectContaining({ field: 'model_type' }) }),
    );
    const roberta = await make({
      editConfig: (c) => {
        c.model_type = 'roberta';
        c.architectures = ['RobertaModel'];
      },
    });
    await expect(load(roberta)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_CONFIG', message: expect.stringMatching(/roberta.*BERT/) });
    const noType = await make({
      editConfig: (c) => {
        delete c.model_type;
        c.architectures = ['MPNetModel'];
      },
    });
    await expect(load(noType)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_CONFIG' });
    const relative = await make({
      editConfig: (c) => {
        c.position_embedding_type = 'relative_key';
      },
    });
    await expect(load(relative)).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_CONFIG',
      details: expect.objectContaining({ field: 'position_embedding_type' }),
    });
    const act = await make({
      editConfig: (c) => {
        c.hidden_act = 'swish';
      },
    });
    await expect(load(act)).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_CONFIG',
      details: expect.objectContaining({ field: 'hidden_act' }),
    });
    const heads = await make({
      editConfig: (c) => {
        c.num_attention_heads = 5;
      },
    });
    await expect(load(heads)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('weights that config.json does not describe: missing, mis-shaped or stray tensors', async () => {
    const deeper = await make({
      editConfig: (c) => {
        c.num_hidden_layers = 3;
      },
    });
    await expect(load(deeper)).rejects.toMatchObject({ code: 'ERR_MISSING_TENSOR', message: expect.stringMatching(/encoder\.layer\.2\./) });
    const wider = await make({
      editConfig: (c) => {
        c.intermediate_size = 48;
      },
    });
    await expect(load(wider)).rejects.toMatchObject({ code: 'ERR_TENSOR_SHAPE' });
    const shallower = await make({
      editConfig: (c) => {
        c.num_hidden_layers = 1;
      },
    });
    await expect(load(shallower)).rejects.toMatchObject({
      code: 'ERR_UNEXPECTED_TENSOR',
      message: expect.stringMatching(/encoder\.layer\.1\./),
    });
    const positions = await make({
      editConfig: (c) => {
        c.max_position_embeddings = 64;
      },
    });
    await expect(load(positions)).rejects.toMatchObject({
      code: 'ERR_TENSOR_SHAPE',
      message: expect.stringMatching(/position_embeddings/),
    });
  });

  it('a tokenizer larger than the vocabulary is ERR_TOKENIZER; no tokenizer.json too', async () => {
    const small = await make({
      editConfig: (c) => {
        c.vocab_size = 20;
      },
    });
    await expect(load(small)).rejects.toMatchObject({ code: 'ERR_TOKENIZER' });
    const none = await make({}, (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
    await expect(load(none)).rejects.toMatchObject({ code: 'ERR_TOKENIZER' });
  });

  it('sentence-transformers modules we do not implement are ERR_UNSUPPORTED_CONFIG, never ignored', async () => {
    const dense = await make({ normalize: true }, (d) =>
      editJson(path.join(d, 'modules.json'), (m) => [
        ...(m as unknown as Json[]).slice(0, 2),
        { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      ]),
    );
    await expect(load(dense)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_CONFIG', message: expect.stringMatching(/Dense/) });
    const two = await make({}, (d) => editJson(path.join(d, '1_Pooling', 'config.json'), (j) => ({ ...j, pooling_mode_cls_token: true })));
    await expect(load(two)).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_CONFIG',
      message: expect.stringMatching(/several pooling modes/),
    });
    const weighted = await make({}, (d) =>
      editJson(path.join(d, '1_Pooling', 'config.json'), (j) => ({
        ...j,
        pooling_mode_mean_tokens: false,
        pooling_mode_weightedmean_tokens: true,
      })),
    );
    await expect(load(weighted)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_CONFIG' });
    const dim = await make({}, (d) => editJson(path.join(d, '1_Pooling', 'config.json'), (j) => ({ ...j, word_embedding_dimension: 64 })));
    await expect(load(dim)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/word_embedding_dimension/),
    });
    const noPooling = await make({}, (d) => fs.rmSync(path.join(d, '1_Pooling'), { recursive: true }));
    await expect(load(noPooling)).rejects.toMatchObject({ code: 'ERR_NOT_A_MODEL' });
    const broken = await make({}, (d) => fs.writeFileSync(path.join(d, 'modules.json'), '{"not": "a list"'));
    await expect(load(broken)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('max_seq_length above the positions is cut to them, with a warning; non-finite weights are refused', async () => {
    const long = await make({}, (d) => editJson(path.join(d, 'sentence_bert_config.json'), (j) => ({ ...j, max_seq_length: 512 })));
    const enc = await load(long);
    expect(enc.maxSeqLength).toBe(40);
    expect(enc.warnings.join(' ')).toMatch(/exceeds max_position_embeddings/);
    const ids = await enc.tokenize(['the '.repeat(100)]);
    expect(ids[0]!.length).toBe(40);
    expect((await enc.embed(['the '.repeat(100)]))[0]!.length).toBe(32);
    enc.dispose();
    const nan = await make({}, (d) => {
      const f = path.join(d, 'model.safetensors');
      const buf = fs.readFileSync(f);
      buf.writeFloatLE(Number.NaN, buf.length - 4); // last tensor's last value
      fs.writeFileSync(f, buf);
    });
    await expect(load(nan)).rejects.toMatchObject({ code: 'ERR_NONFINITE_WEIGHTS' });
  });
});
