/**
 * `dtype: 'auto'` and the bf16-emulation warning (lib/model/resolve-dtype.ts): every branch of the
 * table with fake CPU-feature objects (so a machine without avx512_bf16 is covered here too), the
 * checkpoint-dtype rules (config.json in transformers 4 and 5 spellings, else the stored weights),
 * WARN_BF16_EMULATED once per process, then the real paths: Model.load, train and the CLI flag.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { checkpointDtype, chooseDtype, resolveDtype, type CpuBf16Facts, type DtypeInput } from '../../lib/model/resolve-dtype';
import { cpuInfo } from '../../lib/native/cpu-info';
import type { NativeLoadPlan } from '../../lib/native/types';
import { train } from '../../lib/train/train';
import { resetWarnings, setWarningSink, stderrSink, type ResurfaceWarning } from '../../lib/util/warnings';
import { runCli } from '../helpers/cli';
import { makeTmpDir, readSharedConfig, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

const AVX512_BF16: CpuBf16Facts = {
  features: ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16'],
  nativeBf16: true,
};
const AMX: CpuBf16Facts = { features: ['avx2', 'fma', 'avx512f', 'amx_tile', 'amx_bf16'], nativeBf16: true };
const NO_BF16: CpuBf16Facts = { features: ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl'], nativeBf16: false };
const OLD: CpuBf16Facts = { features: [], nativeBf16: false };

const resolve = (o: Partial<DtypeInput>) =>
  resolveDtype({ requested: 'auto', device: 'cpu', checkpoint: 'bfloat16', cpu: AVX512_BF16, ...o });

describe('resolveDtype: auto', () => {
  const cases: Array<[string, Partial<DtypeInput>, string, string]> = [
    ['bf16 checkpoint, CPU with avx512_bf16', {}, 'bfloat16', 'checkpoint bfloat16; CPU has avx512_bf16'],
    ['bf16 checkpoint, CPU with AMX only', { cpu: AMX }, 'bfloat16', 'checkpoint bfloat16; CPU has amx_bf16'],
    [
      'bf16 checkpoint, AVX-512 CPU without bf16 dot products',
      { cpu: NO_BF16 },
      'float32',
      'checkpoint bfloat16; CPU lacks native bf16 (emulated bf16 is ~47x slower): float32',
    ],
    [
      'bf16 checkpoint, CPU without AVX2',
      { cpu: OLD },
      'float32',
      'checkpoint bfloat16; CPU lacks native bf16 (emulated bf16 is ~47x slower): float32',
    ],
    [
      'fp16 checkpoint on CPU (even with bf16)',
      { checkpoint: 'float16' },
      'float32',
      'checkpoint float16; no float16 compute on CPU: float32',
    ],
    ['fp32 checkpoint on CPU', { checkpoint: 'float32' }, 'float32', 'checkpoint float32'],
    ['unknown checkpoint dtype', { checkpoint: null }, 'float32', 'checkpoint dtype unknown: float32'],
    [
      'bf16 checkpoint on CUDA, CPU without bf16',
      { device: 'cuda', cpu: OLD },
      'bfloat16',
      'checkpoint bfloat16; cuda computes it natively',
    ],
    [
      'fp16 checkpoint on cuda:1',
      { device: 'cuda:1', checkpoint: 'float16' },
      'float16',
      'checkpoint float16; cuda:1 computes it natively',
    ],
    ['fp32 checkpoint on CUDA', { device: 'cuda', checkpoint: 'float32' }, 'float32', 'checkpoint float32'],
  ];
  it.each(cases)('%s → %s', (_name, input, dtype, reason) => {
    const r = resolve(input);
    expect(r).toEqual({ dtype, requested: 'auto', reason });
  });

  it('nativeBf16 is believed only with the feature that makes it (a summary flag alone is not enough)', () => {
    expect(resolve({ cpu: { features: ['avx512f'], nativeBf16: true } }).dtype).toBe('float32');
    expect(resolve({ cpu: { features: ['avx512_bf16'], nativeBf16: false } }).dtype).toBe('float32');
  });
});

describe('resolveDtype: explicit dtypes are taken as asked', () => {
  it('float32 everywhere; float16 and bfloat16 on CUDA: no warning', () => {
    for (const cpu of [AVX512_BF16, NO_BF16]) {
      expect(resolve({ requested: 'float32', cpu })).toEqual({
        dtype: 'float32',
        requested: 'float32',
        reason: 'requested float32 on cpu',
      });
      expect(resolve({ requested: 'bfloat16', device: 'cuda', cpu })).toEqual({
        dtype: 'bfloat16',
        requested: 'bfloat16',
        reason: 'requested bfloat16 on cuda',
      });
    }
    expect(resolve({ requested: 'float16', device: 'cuda:0', checkpoint: 'float32' }).dtype).toBe('float16');
  });

  it('bfloat16 on a CPU with native bf16: no warning', () => {
    expect(resolve({ requested: 'bfloat16', checkpoint: 'float32' })).toEqual({
      dtype: 'bfloat16',
      requested: 'bfloat16',
      reason: 'requested bfloat16; CPU has avx512_bf16',
    });
    expect(resolve({ requested: 'bfloat16', cpu: AMX }).warning).toBeUndefined();
  });

  it('bfloat16 on a CPU without native bf16: runs in bfloat16, with WARN_BF16_EMULATED', () => {
    for (const cpu of [NO_BF16, OLD]) {
      const r = resolve({ requested: 'bfloat16', cpu });
      expect(r.dtype).toBe('bfloat16');
      expect(r.reason).toBe('requested bfloat16; CPU lacks native bf16 (emulated bf16 is ~47x slower)');
      expect(r.warning?.code).toBe('WARN_BF16_EMULATED');
      expect(r.warning?.message).toMatch(/--dtype float32 or --dtype auto/);
    }
  });
});

describe('checkpointDtype', () => {
  const plan = (...tensors: Array<[string, number[]]>): NativeLoadPlan => ({
    files: ['model.safetensors'],
    neoxHeads: 0,
    checkFinite: false,
    slots: tensors.map(([dtype, shape], i) => ({
      name: `w${i}`,
      shape,
      op: 'copy',
      kind: 'weight',
      sources: [{ file: 0, name: `w${i}`, dtype, shape, begin: 0, end: 0 }],
    })) as unknown as NativeLoadPlan['slots'],
  });

  it("config.json's dtype, in the spellings transformers and users write", () => {
    expect(checkpointDtype('bfloat16', null)).toBe('bfloat16');
    expect(checkpointDtype('torch.float16', null)).toBe('float16');
    expect(checkpointDtype('BF16', null)).toBe('bfloat16');
    expect(checkpointDtype(' float32 ', null)).toBe('float32');
    expect(checkpointDtype('half', null)).toBe('float16');
    // config.json wins over the stored weights (the lab ships bf16 weights of an fp32-trained model the other way round)
    expect(checkpointDtype('bfloat16', plan(['F32', [4, 4]]))).toBe('bfloat16');
  });

  it('else the dtype of most stored elements (F64 counts as float32); null when nothing tells', () => {
    expect(checkpointDtype('auto', plan(['BF16', [8, 8]], ['F32', [8]]))).toBe('bfloat16');
    expect(checkpointDtype(null, plan(['BF16', [8]], ['F32', [8, 8]]))).toBe('float32');
    expect(checkpointDtype(undefined, plan(['F16', [3, 3]], ['F64', [2]]))).toBe('float16');
    expect(checkpointDtype(null, plan(['F64', [2]]))).toBe('float32');
    expect(checkpointDtype('float8_e4m3fn', null)).toBeNull();
    expect(checkpointDtype(null, null)).toBeNull();
  });
});

describe('chooseDtype: WARN_BF16_EMULATED once per process', () => {
  const seen: ResurfaceWarning[] = [];
  afterEach(() => {
    setWarningSink(stderrSink);
    resetWarnings();
    seen.length = 0;
  });

  it('reported to the sink once however many models load; never for auto or float32', () => {
    resetWarnings();
    setWarningSink((w) => seen.push(w));
    expect(chooseDtype('auto', 'cpu', 'bfloat16', null, NO_BF16).dtype).toBe('float32');
    expect(chooseDtype('float32', 'cpu', 'bfloat16', null, NO_BF16).dtype).toBe('float32');
    expect(seen).toEqual([]);
    for (let i = 0; i < 3; i++) expect(chooseDtype('bfloat16', 'cpu', 'float32', null, NO_BF16).dtype).toBe('bfloat16');
    expect(seen.map((w) => w.code)).toEqual(['WARN_BF16_EMULATED']);
  });

  it('the default sink writes "warning CODE: message" to stderr', () => {
    resetWarnings();
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stderr.write;
    try {
      chooseDtype('bfloat16', 'cpu', null, null, OLD);
      chooseDtype('bfloat16', 'cpu', null, null, OLD);
    } finally {
      process.stderr.write = write;
    }
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^warning WARN_BF16_EMULATED: bfloat16 on a CPU without native bf16/);
  });
});

describe('the real paths: Model.load, train, the CLI flag', () => {
  let root: string;
  let bf16Dir: string;
  let fp32Dir: string;
  // What this machine computes bf16 in: the expectation follows the CPU the test runs on.
  const here = () => (cpuInfo().nativeBf16 ? 'bfloat16' : 'float32');

  beforeAll(async () => {
    root = makeTmpDir('resurface-dtype-');
    const configJson = readSharedConfig('EleutherAI--pythia-70m');
    const tokenizerDir = sharedTokenizerDir('pythia');
    bf16Dir = path.join(root, 'bf16');
    fp32Dir = path.join(root, 'fp32');
    await initRandomModel({ configJson, outDir: bf16Dir, seed: 1, tiny: { vocabSize: 512 }, dtype: 'bfloat16', tokenizerDir });
    await initRandomModel({ configJson, outDir: fp32Dir, seed: 1, tiny: { vocabSize: 512 }, dtype: 'float32', tokenizerDir });
  }, 120_000);
  afterAll(() => {
    if (root) removeTmpDir(root);
  });

  it('the default stays float32; auto loads a bf16 checkpoint in what this CPU computes natively', async () => {
    const plain = await Model.load(bf16Dir, { threads: 1 });
    expect(plain.options.dtype).toBe('float32');
    expect(plain.options.dtypeChoice).toEqual({ dtype: 'float32', requested: 'float32', reason: 'requested float32 on cpu' });
    expect(plain.info().dtype).toBe('float32');
    plain.dispose();
    const auto = await Model.load(bf16Dir, { dtype: 'auto', threads: 1 });
    expect(auto.options.dtypeChoice.requested).toBe('auto');
    expect(auto.options.dtype).toBe(here());
    expect(auto.info().dtype).toBe(here()); // what the native side really holds
    auto.dispose();
    const f32 = await Model.load(fp32Dir, { dtype: 'auto', threads: 1 });
    expect(f32.options.dtypeChoice).toEqual({ dtype: 'float32', requested: 'auto', reason: 'checkpoint float32' });
    f32.dispose();
  });

  it('the stored dtype decides when config.json names none', async () => {
    const dir = path.join(root, 'bf16-noconfig');
    fs.cpSync(bf16Dir, dir, { recursive: true });
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete c.torch_dtype;
    delete c.dtype;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
    const m = await Model.load(dir, { dtype: 'auto', threads: 1 });
    expect(m.options.dtypeChoice.reason).toMatch(/^checkpoint bfloat16; /);
    m.dispose();
  });

  it('a bad dtype is ERR_INVALID_ARGUMENT in the library', async () => {
    await expect(Model.load(bf16Dir, { dtype: 'fp8' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('train dtype auto resolves against the starting model (and says so in its summary)', async () => {
    const data = path.join(root, 'data.jsonl'); // token ids under the tiny vocabulary's 512
    fs.writeFileSync(
      data,
      Array.from({ length: 8 }, (_, i) => JSON.stringify({ tokens: Array.from({ length: 20 }, (_, j) => (i * 37 + j * 11) % 512) })).join(
        '\n',
      ),
    );
    const s = await train({
      model: bf16Dir,
      data,
      out: path.join(root, 'train'),
      maxSteps: 1,
      batchSize: 2,
      seqLen: 16,
      dtype: 'auto',
      threads: 1,
    });
    expect(s.dtypeChoice).toMatchObject({ dtype: here(), requested: 'auto' });
  });

  it('CLI: --dtype auto is accepted; a bad value is error ERR_INVALID_ARGUMENT, exit 1', async () => {
    const ok = await runCli(['logits', '--model', bf16Dir, '--tokens', '0,1,2', '--dtype', 'auto', '--threads', '1']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as { shape: number[] }).shape).toEqual([1, 3, 512]);
    for (const cmd of [
      ['logits', '--model', bf16Dir, '--tokens', '0'],
      ['generate', '--model', bf16Dir, '--out', path.join(root, 'never'), '--num-samples', '1', '--max-new-tokens', '1'],
      ['perplexity', '--model', bf16Dir, '--data', path.join(root, 'data.jsonl')],
      ['train', '--model', bf16Dir, '--data', path.join(root, 'data.jsonl'), '--out', path.join(root, 'never2'), '--max-steps', '1'],
    ]) {
      const bad = await runCli([...cmd, '--dtype', 'fp8']);
      expect(bad.stderr, cmd[0]).toMatch(/^error ERR_INVALID_ARGUMENT: .*dtype/s);
      expect(bad.status, cmd[0]).toBe(1);
    }
    expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
  });
});
