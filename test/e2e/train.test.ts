/**
 * End to end: the CLI killed with SIGKILL mid-run and resumed ends bitwise equal to an
 * uninterrupted run; a tiny model pretrained from scratch learns a synthetic language; bad input
 * gives clear coded errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRandomModel } from '../../lib/model/init-random';
import { Model } from '../../lib/model/model';
import { train } from '../../lib/train/train';
import { makeTmpDir, readSharedConfig, removeTmpDir, REPO_ROOT, sharedTokenizerDir } from '../helpers/shared';
import { record, writeCorpusFixture } from '../helpers/corpus-fixture';

const CLI = path.join(REPO_ROOT, 'bin', 'resurface.js');
const dirs: string[] = [];
const tmp = () => {
  const d = makeTmpDir();
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeTmpDir));

let pythiaDir = '';
let textFile = '';

beforeAll(async () => {
  pythiaDir = tmp();
  await initRandomModel({
    configJson: readSharedConfig('EleutherAI--pythia-70m'),
    outDir: pythiaDir,
    seed: 3,
    tiny: { maxPositionEmbeddings: 256 },
    tokenizerDir: sharedTokenizerDir('pythia'),
  });
  const words = ['river', 'stone', 'light', 'north', 'quiet', 'garden', 'window', 'summer', 'paper', 'glass'];
  const lines = Array.from(
    { length: 60 },
    (_, i) => `The ${words[i % 10]} and the ${words[(i * 3) % 10]} met by the ${words[(i * 7) % 10]}.`,
  );
  textFile = path.join(tmp(), 'text.txt');
  fs.writeFileSync(textFile, lines.join('\n'));
});

const baseArgs = (out: string) => [
  'train',
  '--model',
  pythiaDir,
  '--data',
  textFile,
  '--out',
  out,
  '--max-steps',
  '16',
  '--batch-size',
  '4',
  '--grad-accum',
  '2',
  '--seq-len',
  '32',
  '--lr',
  '1e-3',
  '--schedule',
  'cosine',
  '--warmup',
  '3',
  '--weight-decay',
  '0.1',
  '--save-every',
  '4',
  '--threads',
  '2',
  '--json',
];

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and SIGKILLs it as soon as it reports step `killAt`. */
function runAndKill(args: string[], killAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let killedAt = -1;
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const ev = JSON.parse(line) as { event: string; step: number };
        if (killedAt < 0 && ev.event === 'step' && ev.step >= killAt) {
          killedAt = ev.step;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(killedAt) : reject(new Error(`child was not killed (signal ${signal})`)),
    );
  });
}

const losses = (out: string) =>
  fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number })
    .map((m) => [m.step, m.loss]);

describe('train CLI', () => {
  it('kill -9 mid-run, then --resume: weights bitwise equal to an uninterrupted run', async () => {
    const ref = tmp();
    const r = runCli(baseArgs(ref));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { event: string; steps: number };
    expect(summary).toMatchObject({ event: 'summary', steps: 16, aborted: false });
    for (const f of [
      'config.json',
      'model.safetensors',
      'generation_config.json',
      'tokenizer.json',
      'trainer_state.json',
      'metrics.jsonl',
    ]) {
      expect(fs.existsSync(path.join(ref, f)), f).toBe(true);
    }
    // keep the newest 2 checkpoints (4, 8, 12 written; 12 and 8 kept)
    expect(
      fs
        .readdirSync(ref)
        .filter((f) => f.startsWith('checkpoint-'))
        .sort(),
    ).toEqual(['checkpoint-12', 'checkpoint-8']);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'config.json', 'tokenizer.json']) {
      expect(fs.existsSync(path.join(ref, 'checkpoint-12', f)), f).toBe(true);
    }

    const out = tmp();
    const killedAt = await runAndKill(baseArgs(out), 10);
    expect(killedAt).toBeGreaterThanOrEqual(10);
    expect(killedAt).toBeLessThan(16);
    expect(fs.existsSync(path.join(out, 'checkpoint-8'))).toBe(true);
    const resumed = runCli([...baseArgs(out), '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n')[0]!)).toMatchObject({ event: 'start', resumedFrom: 8 });
    expect(Buffer.compare(fs.readFileSync(path.join(out, 'model.safetensors')), fs.readFileSync(path.join(ref, 'model.safetensors')))).toBe(
      0,
    );
    expect(losses(out)).toEqual(losses(ref));

    // resuming with other settings is refused
    const bad = runCli([...baseArgs(out).map((a) => (a === '1e-3' ? '2e-3' : a)), '--resume']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error ERR_RESUME_MISMATCH: .*lr: checkpoint 0\.001, now 0\.002/);
    // and starting over in a used directory without --resume too
    expect(runCli(baseArgs(out)).stderr).toMatch(/^error ERR_INVALID_ARGUMENT: .*--resume/);
  });

  it('bad input: each a one-line coded error', async () => {
    const d = tmp();
    const empty = path.join(d, 'empty.txt');
    fs.writeFileSync(empty, '');
    const corpus = path.join(d, 'corpus');
    fs.mkdirSync(corpus);
    await writeCorpusFixture(corpus, [[record(0, [1, 2], 'hello')], [record(1, [3], 'world')]]);
    fs.rmSync(path.join(corpus, 'samples-00001.jsonl')); // a shard the manifest lists is gone
    const notADir = path.join(d, 'file');
    fs.writeFileSync(notADir, 'x');
    const cases: [string[], RegExp][] = [
      [['--data', empty], /^error ERR_DATA: .*no text or tokens/],
      [['--data', corpus], /^error ERR_CORPUS: shard .*samples-00001\.jsonl is missing/],
      [['--seq-len', '4096'], /^error ERR_INVALID_ARGUMENT: --seq-len 4096 exceeds the model's max_position_embeddings \(256\)/],
      [['--out', path.join(notADir, 'out')], /^error ERR_IO: cannot create output directory .*file is not a directory/],
      [['--model', d], /^error ERR_NOT_A_MODEL: /],
    ];
    for (const [over, re] of cases) {
      const args = [
        'train',
        '--model',
        pythiaDir,
        '--data',
        textFile,
        '--out',
        path.join(tmp(), 'o'),
        '--max-steps',
        '1',
        '--seq-len',
        '32',
      ];
      for (let i = 0; i < over.length; i += 2) args[args.indexOf(over[i]!) + 1] = over[i + 1]!;
      const r = runCli(args);
      expect(r.status, over.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});

describe('train library', () => {
  it('pretrains a tiny model from scratch on a synthetic language, which reloads through Model.load', async () => {
    const model = tmp();
    await initRandomModel({
      configJson: { ...readSharedConfig('meta-llama--Llama-3.2-1B'), bos_token_id: 1, eos_token_id: 2 },
      outDir: model,
      seed: 5,
      tiny: { vocabSize: 64, hiddenSize: 64, numLayers: 2, maxPositionEmbeddings: 128 },
    });
    // documents walk a fixed cycle of 20 tokens from random starting points: unigram entropy ln 20,
    // but every next token is determined by the current one
    const cycle = Array.from({ length: 20 }, (_, i) => 3 + ((i * 7) % 20));
    let s = 12345;
    const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const docs = Array.from({ length: 200 }, () => {
      const start = Math.floor(rand() * 20);
      return Array.from({ length: 30 }, (_, j) => cycle[(start + j) % 20]!);
    });
    const data = path.join(tmp(), 'data.jsonl');
    fs.writeFileSync(data, docs.map((t) => JSON.stringify({ tokens: t })).join('\n'));
    const out = tmp();
    const events: string[] = [];
    const summary = await train({
      model,
      data,
      out,
      maxSteps: 60,
      lr: 3e-3,
      schedule: 'cosine',
      warmup: 5,
      batchSize: 8,
      seqLen: 64,
      packing: 'none',
      gradClip: 1,
      threads: 2,
      saveEvery: 30,
      onProgress: (p) => events.push(p.event),
    });
    const unigram = Math.log(20);
    expect(summary.finalLoss!).toBeLessThan(0.25 * unigram);
    expect(summary.peakRssBytes).toBeGreaterThan(0);
    expect(events[0]).toBe('start');
    expect(events).toContain('checkpoint');
    expect(events.at(-1)).toBe('done');

    // the saved model predicts the cycle: mean CE of a fresh document, from Model.load's logits
    const m = await Model.load(out, { threads: 2 });
    const doc = Array.from({ length: 25 }, (_, j) => cycle[(7 + j) % 20]!);
    const { logits, shape } = await m.forward([doc]);
    const V = shape[2];
    let ce = 0;
    for (let t = 0; t + 1 < doc.length; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      ce += lse - row[doc[t + 1]!]!;
    }
    expect(ce / (doc.length - 1)).toBeLessThan(0.25 * unigram);
    m.dispose();
  });

  it('a non-finite loss stops the run with ERR_NONFINITE_LOSS and leaves the last checkpoint intact', async () => {
    const out = tmp();
    const err = await train({
      model: pythiaDir,
      data: textFile,
      out,
      maxSteps: 6,
      lr: 1e30,
      schedule: 'constant',
      batchSize: 2,
      seqLen: 16,
      saveEvery: 1,
      gradClip: 0,
      threads: 2,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_NONFINITE_LOSS' });
    expect((err as Error).message).toMatch(/last good checkpoint is .*checkpoint-\d+/);
    const m = await Model.load(path.join(out, (err as Error).message.match(/checkpoint-\d+/)![0]), { threads: 2 });
    m.dispose();
  });
});
