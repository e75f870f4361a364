/** Model cases broken at the file level: truncated or lying safetensors, sharded checkpoints and their index, directories that are not models (for corrupt-models.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorCode } from '../../lib/errors';
import type { HostTensor } from '../../lib/io/tensor-types';
import { encodeSafetensors, numel, writeJson, writeModel, type CaseBuilder, type ModelCase } from './corrupt-model-base';

/** Truncated files, broken shards and indexes, and directories that are or are not models. */
export function fileCases(builder: CaseBuilder): void {
  const { bases, add } = builder;
  // --- truncated / lying safetensors files
  const full = encodeSafetensors(bases.neox.tensors);
  const n = Number(new DataView(full.buffer).getBigUint64(0, true));
  const cuts: Array<[string, number, ErrorCode]> = [
    ['0 bytes', 0, 'ERR_SAFETENSORS_HEADER'],
    ['4 bytes', 4, 'ERR_SAFETENSORS_HEADER'],
    ['8 bytes (length only)', 8, 'ERR_SAFETENSORS_HEADER'],
    ['mid header', 8 + Math.floor(n / 2), 'ERR_SAFETENSORS_HEADER'],
    ['header only', 8 + n, 'ERR_SAFETENSORS_RANGE'],
    ['mid data', 8 + n + Math.floor((full.length - 8 - n) / 2), 'ERR_SAFETENSORS_RANGE'],
    ['last byte missing', full.length - 1, 'ERR_SAFETENSORS_RANGE'],
  ];
  const rawFile = (name: string, expect: ModelCase['expect'], bytes: Uint8Array): void =>
    add({
      name: `neox: model.safetensors ${name}`,
      expect,
      build: (dir) => {
        writeJson(path.join(dir, 'config.json'), bases.neox.config);
        fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes);
        return dir;
      },
    });
  for (const [name, len, code] of cuts) rawFile(`truncated to ${name}`, code, full.slice(0, len));
  const withLength = (len: bigint): Uint8Array => {
    const b = full.slice();
    new DataView(b.buffer).setBigUint64(0, len, true);
    return b;
  };
  rawFile('header length 0', 'ERR_SAFETENSORS_HEADER', withLength(0n));
  rawFile('header length 2^40', 'ERR_SAFETENSORS_HEADER', withLength(2n ** 40n));
  rawFile('header length = file size', 'ERR_SAFETENSORS_HEADER', withLength(BigInt(full.length)));
  rawFile('header length − 8 (cuts the JSON)', 'ERR_SAFETENSORS_HEADER', withLength(BigInt(n - 8)));
  // One data byte read as header: bad JSON, or (if it is whitespace) every offset shifts past the end.
  rawFile('header length + 1', ['ERR_SAFETENSORS_HEADER', 'ERR_SAFETENSORS_RANGE'], withLength(BigInt(n + 1)));
  rawFile('trailing garbage after the data', 'ok', Uint8Array.from([...full, 1, 2, 3, 4, 5]));
  rawFile(
    'random bytes',
    'ERR_SAFETENSORS_HEADER',
    Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff),
  );

  // --- sharded checkpoints and their index
  const q = bases.qwen3;
  const shardNames = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
  const shardOf = (i: number): number => i % 3;
  /** Writes a 3-shard copy of Qwen3; `edit` may change the weight map and shard contents. */
  const sharded = (
    name: string,
    expect: ModelCase['expect'],
    edit: (ctx: { dir: string; map: Record<string, string>; shards: HostTensor[][] }) => string | void,
    after?: (dir: string) => void,
  ): void =>
    add({
      name: `qwen3 sharded: ${name}`,
      expect,
      build: (dir) => {
        writeJson(path.join(dir, 'config.json'), q.config);
        const shards: HostTensor[][] = [[], [], []];
        const map: Record<string, string> = {};
        q.tensors.forEach((t, i) => {
          shards[shardOf(i)]!.push(t);
          map[t.name] = shardNames[shardOf(i)]!;
        });
        const index = edit({ dir, map, shards });
        shards.forEach((ts, i) => {
          if (ts.length) fs.writeFileSync(path.join(dir, shardNames[i]!), encodeSafetensors(ts));
        });
        fs.writeFileSync(
          path.join(dir, 'model.safetensors.index.json'),
          index ?? JSON.stringify({ metadata: { total_size: 0 }, weight_map: map }),
        );
        after?.(dir);
        return dir;
      },
    });
  sharded('valid', 'ok', () => undefined);
  sharded('weight_map omits a tensor its shard holds', 'ok', ({ map }) => {
    delete map[q.tensors[4]!.name];
  });
  sharded('index points to a shard that does not exist', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = 'model-00009-of-00009.safetensors';
  });
  sharded('a shard file is missing', 'ERR_SAFETENSORS_INDEX', ({ shards }) => {
    shards[1] = [];
  });
  sharded('index is not JSON', 'ERR_SAFETENSORS_INDEX', () => '{"weight_map": {');
  sharded('index is empty', 'ERR_SAFETENSORS_INDEX', () => '');
  sharded('index is an array', 'ERR_SAFETENSORS_INDEX', () => '[]');
  sharded('index without weight_map', 'ERR_SAFETENSORS_INDEX', () => '{"metadata": {}}');
  sharded('weight_map is empty', 'ERR_SAFETENSORS_INDEX', () => '{"weight_map": {}}');
  sharded('weight_map value is a number', 'ERR_SAFETENSORS_INDEX', ({ map }) =>
    JSON.stringify({ weight_map: { ...map, [q.tensors[0]!.name]: 3 } }),
  );
  sharded('shard path escapes the directory', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = '../model-00001-of-00003.safetensors';
  });
  sharded('absolute shard path', 'ERR_SAFETENSORS_INDEX', ({ map }) => {
    map[q.tensors[0]!.name] = '/etc/passwd';
  });
  sharded('tensor mapped to the wrong shard', 'ERR_MISSING_TENSOR', ({ map }) => {
    map[q.tensors[0]!.name] = shardNames[1]!;
  });
  sharded('a needed tensor is in no shard', 'ERR_MISSING_TENSOR', ({ map, shards }) => {
    const t = q.tensors[2]!;
    delete map[t.name];
    shards[shardOf(2)] = shards[shardOf(2)]!.filter((x) => x.name !== t.name);
  });
  sharded('a tensor stored in two shards', 'ERR_SAFETENSORS_INDEX', ({ shards }) => {
    shards[1]!.push(q.tensors[0]!);
  });
  sharded(
    'a shard truncated',
    'ERR_SAFETENSORS_RANGE',
    () => undefined,
    (dir) => {
      const shard = path.join(dir, shardNames[2]!);
      fs.truncateSync(shard, fs.statSync(shard).size - 3);
    },
  );
  sharded('a shard with a wrong-shape tensor', 'ERR_TENSOR_SHAPE', ({ shards }) => {
    shards[0] = shards[0]!.map((t, i) => (i === 1 ? { ...t, shape: [numel(t.shape)] } : t));
  });
  add({
    name: 'qwen3 sharded: index is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.writeFileSync(path.join(dir, shardNames[0]!), encodeSafetensors(q.tensors));
      fs.mkdirSync(path.join(dir, 'model.safetensors.index.json'));
      return dir;
    },
  });

  // --- directories that are not models, and what a model directory may lack or hold extra
  add({ name: 'empty directory', expect: 'ERR_NOT_A_MODEL', build: (dir) => dir });
  add({ name: 'path does not exist', expect: 'ERR_NOT_A_MODEL', build: (dir) => path.join(dir, 'nope') });
  add({
    name: 'path is a file',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(q.tensors));
      return path.join(dir, 'model.safetensors');
    },
  });
  add({
    name: 'only tokenizer files',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'tokenizer.json'), { version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } });
      writeJson(path.join(dir, 'tokenizer_config.json'), {});
      return dir;
    },
  });
  add({
    name: 'only model.safetensors (no config.json)',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(q.tensors));
      return dir;
    },
  });
  add({
    name: 'config.json but no weights',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      return dir;
    },
  });
  add({
    name: 'config.json and pytorch_model.bin only',
    expect: 'ERR_NOT_A_MODEL',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'PK\u0003\u0004 not really a zip');
      return dir;
    },
  });
  add({
    name: 'model.safetensors is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      writeJson(path.join(dir, 'config.json'), q.config);
      fs.mkdirSync(path.join(dir, 'model.safetensors'));
      return dir;
    },
  });
  add({
    name: 'single file wins over a broken index',
    expect: 'ok',
    build: (dir) => {
      writeModel(dir, q.config, q.tensors);
      fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), 'not json');
      return dir;
    },
  });
  add({ name: 'tokenizer-less model directory', expect: 'ok', build: (dir) => writeModel(dir, bases.llama.config, bases.llama.tensors) });
  add({
    name: 'broken tokenizer.json does not matter for logits',
    expect: 'ok',
    build: (dir) => {
      writeModel(dir, bases.qwen2.config, bases.qwen2.tensors);
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{ broken');
      fs.writeFileSync(path.join(dir, 'generation_config.json'), '[[[');
      return dir;
    },
  });
}
