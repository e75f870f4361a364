/** `resurface info --model DIR [--json]` — architecture, parameters, dtype, memory, special tokens. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { parameterCount } from '../../model/architectures';
import { readConfigJson, parseConfig } from '../../model/config';
import { openWeights } from '../../io/safetensors-index';
import { TextTokenizer } from '../../tokenizer/tokenizer';
import { printJson, runCommand } from '../run-command';

export const command = 'info';
export const describe = 'Describe a model directory: architecture, parameter count, dtype, memory, special tokens';

export function builder(y: Argv) {
  return y.option('model', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false });
}

export async function handler(argv: { model: string; json: boolean }) {
  await runCommand(async () => {
    const dir = path.resolve(argv.model);
    const raw = readConfigJson(dir);
    const spec = parseConfig(raw, path.join(dir, 'config.json'));
    const index = await openWeights(dir);
    const dtypes = new Set<string>();
    let bytes = 0;
    for (const f of index.files)
      for (const t of f.tensors.values()) {
        dtypes.add(t.dtype);
        bytes += t.end - t.begin;
      }
    const params = parameterCount(spec);
    let special: Record<string, unknown> | null = null;
    if (fs.existsSync(path.join(dir, 'tokenizer.json'))) {
      const tok = await TextTokenizer.load(dir);
      special = { ...tok.special, vocabSize: tok.vocabSize };
    }
    const out = {
      model: dir,
      architecture: spec.architecture,
      family: spec.family,
      parameters: params,
      layers: spec.numLayers,
      hiddenSize: spec.hiddenSize,
      heads: spec.numHeads,
      kvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      vocabSize: spec.vocabSize,
      maxPositionEmbeddings: spec.maxPositionEmbeddings,
      checkpointDtypes: [...dtypes].sort(),
      checkpointBytes: bytes,
      shards: index.files.length,
      memory: { float32: params * 4, bfloat16: params * 2 },
      specialTokens: special ?? { bos: spec.bosTokenId, eos: spec.eosTokenIds, pad: spec.padTokenId },
      spec,
    };
    if (argv.json) return printJson(out);
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    const lines = [
      `${out.architecture} (${out.family})  ${params.toLocaleString('en-US')} parameters`,
      `layers ${spec.numLayers}, hidden ${spec.hiddenSize}, heads ${spec.numHeads} (kv ${spec.numKvHeads}), head_dim ${spec.headDim}, vocab ${spec.vocabSize}`,
      `checkpoint: ${out.checkpointDtypes.join('/')} in ${index.files.length} file(s), ${gib(bytes)}; in memory: float32 ${gib(params * 4)}, bfloat16 ${gib(params * 2)}`,
      `special tokens: ${JSON.stringify(out.specialTokens)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
}
