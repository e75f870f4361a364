/**
 * End to end through the CLI: `init-random --tiny` for every vendored config, `info --json` on the
 * result, and the independent PyTorch reference loading what we wrote in --strict mode (no missing,
 * no unexpected tensors) and agreeing with our logits.
 *
 *   resurface init-random --config <shared config dir> --out DIR --tiny --tokenizer <shared tokenizer> --seed 3
 *   resurface info --model DIR --json
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../lib/io/safetensors';
import { Model } from '../../lib/model/model';
import { isRefError, refBatch } from '../helpers/ref-batch';
import { hasPythonTorch, pythonTorchSkipReason, type RefLogits } from '../helpers/reference';
import {
  makeTmpDir,
  readSharedConfig,
  removeTmpDir,
  REPO_ROOT,
  SHARED_MODELS,
  sharedConfigDir,
  sharedTokenizerDir,
  tokenizerFor,
  type SharedModel,
} from '../helpers/shared';

const CLI = path.join(REPO_ROOT, 'bin', 'resurface.js');
const TOKENS = [
  [0, 17, 42, 1000, 5],
  [5, 6],
];

interface Run {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

function expectOk(r: Run, what: string): void {
  expect(r.stderr, what).toBe('');
  expect(r.signal, what).toBeNull();
  expect(r.status, what).toBe(0);
}

interface InfoJson {
  architecture: string;
  family: string;
  parameters: number;
  layers: number;
  vocabSize: number;
  checkpointDtypes: string[];
  checkpointBytes: number;
  shards: number;
  memory: { float32: number; bfloat16: number };
  specialTokens: { bos: number | null; eos: number | null; vocabSize?: number };
}

let root: string;
const outDir = (m: SharedModel): string => path.join(root, m);
const runs = new Map<SharedModel, { init: Run; info: Run }>();

beforeAll(async () => {
  root = makeTmpDir('resurface-e2e-init-');
  // Two models at a time: the CLI is mostly single-threaded JS, and there are two cores.
  const queue = [...SHARED_MODELS];
  const worker = async (): Promise<void> => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      const init = await cli([
        'init-random',
        '--config',
        sharedConfigDir(m),
        '--out',
        outDir(m),
        '--tiny',
        '--tokenizer',
        sharedTokenizerDir(tokenizerFor(m)),
        '--seed',
        '3',
      ]);
      const info = init.status === 0 ? await cli(['info', '--model', outDir(m), '--json']) : init;
      runs.set(m, { init, info });
    }
  };
  await Promise.all([worker(), worker()]);
}, 600_000);

afterAll(() => {
  if (root) removeTmpDir(root);
});

describe.each(SHARED_MODELS)('%s', (m) => {
  it('init-random --tiny writes a Hugging Face model directory', () => {
    const { init } = runs.get(m)!;
    expectOk(init, 'init-random');
    expect(init.stdout).toMatch(/^wrote \w+ with [\d,]+ parameters to .+\n$/);
    const dir = outDir(m);
    const tokDir = sharedTokenizerDir(tokenizerFor(m));
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json'])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(fs.existsSync(path.join(tokDir, f)));
    }
    expect(fs.readFileSync(path.join(dir, 'tokenizer.json')).equals(fs.readFileSync(path.join(tokDir, 'tokenizer.json')))).toBe(true);
    // Every key of the real config survives shrinking; the architecture and vocabulary are kept.
    const real = readSharedConfig(m);
    const tiny = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(real)) expect(tiny, k).toHaveProperty(k);
    expect(tiny.architectures).toEqual(real.architectures);
    expect(tiny.vocab_size).toBe(real.vocab_size);
    expect(tiny.tie_word_embeddings).toBe(real.tie_word_embeddings);
    expect(tiny.num_hidden_layers as number).toBeLessThan(real.num_hidden_layers as number);
    expect(tiny.hidden_size as number).toBeLessThan(real.hidden_size as number);
  });

  it('info --json: parameter count = the sum over the tensors stored in model.safetensors', async () => {
    const { info } = runs.get(m)!;
    expectOk(info, 'info');
    expect(info.stdout.trimEnd().split('\n')).toHaveLength(1);
    const j = JSON.parse(info.stdout) as InfoJson;
    const st = await readSafetensorsHeader(path.join(outDir(m), 'model.safetensors'));
    let stored = 0;
    let bytes = 0;
    for (const t of st.tensors.values()) {
      stored += t.shape.reduce((a, b) => a * b, 1);
      bytes += t.end - t.begin;
    }
    expect(j.parameters).toBe(stored);
    expect(j.checkpointBytes).toBe(bytes);
    expect(j.memory).toEqual({ float32: 4 * stored, bfloat16: 2 * stored });
    expect(j.checkpointDtypes).toEqual(['F32']);
    expect(j.shards).toBe(1);
    const real = readSharedConfig(m);
    expect(j.architecture).toBe((real.architectures as string[])[0]);
    expect(j.vocabSize).toBe(real.vocab_size);
    // Tied models store no output head (transformers re-ties it).
    const head = j.family === 'gpt_neox' ? 'embed_out.weight' : 'lm_head.weight';
    expect(st.tensors.has(head)).toBe(!real.tie_word_embeddings);
    // Special tokens come through the copied tokenizer files and the generation config.
    expect(j.specialTokens.eos).not.toBeNull();
    expect(j.specialTokens.vocabSize).toBeGreaterThan(0);
    // The library agrees with the CLI.
    const model = await Model.load(outDir(m), { threads: 1 });
    try {
      expect(model.info().numParameters).toBe(stored);
    } finally {
      model.dispose();
    }
  });
});

describe.skipIf(!hasPythonTorch())('the independent reference reads what init-random wrote', () => {
  if (!hasPythonTorch()) console.warn(`reference checks skipped: ${pythonTorchSkipReason()}`);
  let ref: Map<SharedModel, RefLogits | { error: string }>;
  beforeAll(async () => {
    const models = SHARED_MODELS.filter((m) => runs.get(m)?.init.status === 0);
    const res = await refBatch({ logits: models.map((m) => ({ model: outDir(m), tokens: TOKENS, strict: true })) });
    ref = new Map(models.map((m, i) => [m, res.logits[i]!]));
  }, 300_000);

  it.each(SHARED_MODELS)('%s: ref_model --strict loads it (no missing or unexpected tensors) and the logits agree to 1e-4', async (m) => {
    const r = ref.get(m);
    if (!r) throw new Error('init-random failed; see the test above');
    if (isRefError(r)) throw new Error(`the reference rejected our checkpoint: ${r.error}`);
    const model = await Model.load(outDir(m));
    try {
      const ours = await model.forward(TOKENS);
      expect(ours.shape).toEqual(r.shape);
      const [, T, V] = r.shape;
      let maxAbs = 0;
      let maxRef = 0;
      TOKENS.forEach((row, b) => {
        for (let t = 0; t < row.length; t++) {
          for (let v = 0; v < V; v++) {
            const i = (b * T + t) * V + v;
            maxAbs = Math.max(maxAbs, Math.abs(ours.logits[i]! - r.data[i]!));
            maxRef = Math.max(maxRef, Math.abs(r.data[i]!));
          }
        }
      });
      expect(maxRef).toBeGreaterThan(0.05); // HF init (std 0.02): small but not zero
      expect(maxAbs).toBeLessThanOrEqual(1e-4);
    } finally {
      model.dispose();
    }
  });
});

describe('init-random determinism and --config forms', () => {
  it('same seed → identical bytes; another seed → different weights; --config may name the file', async () => {
    const m: SharedModel = 'EleutherAI--pythia-70m';
    const a = path.join(root, 'det-a');
    const b = path.join(root, 'det-b');
    expectOk(
      await cli(['init-random', '--config', path.join(sharedConfigDir(m), 'config.json'), '--out', a, '--tiny', '--seed', '3']),
      'init a',
    );
    expectOk(await cli(['init-random', '--config', sharedConfigDir(m), '--out', b, '--tiny', '--seed', '4']), 'init b');
    const ref3 = fs.readFileSync(path.join(outDir(m), 'model.safetensors'));
    expect(fs.readFileSync(path.join(a, 'model.safetensors')).equals(ref3)).toBe(true);
    const other = fs.readFileSync(path.join(b, 'model.safetensors'));
    expect(other.length).toBe(ref3.length);
    expect(other.equals(ref3)).toBe(false);
    expect(fs.existsSync(path.join(a, 'tokenizer.json'))).toBe(false); // no --tokenizer, no tokenizer files
  });

  it('a missing config is a one-line error with exit code 1', async () => {
    const r = await cli(['init-random', '--config', path.join(root, 'nope'), '--out', path.join(root, 'never'), '--tiny']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error ERR_[A-Z_]+: [^\n]+\n$/);
    expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
  });
});
