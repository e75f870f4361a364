/**
 * The evaluation commands end to end, as a user runs them: task import → eval --json/--out,
 * perplexity --json, extract from .bin/.idx with --indices, and one-line coded errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMegatron } from '../../lib/eval/megatron';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { cliIn } from '../helpers/cli';
import { makeTinyModel } from '../helpers/tiny-models';

const dir = makeTmpDir();
let modelDir: string;

const cli = (args: string[]) => cliIn(dir, args, 120_000);

beforeAll(async () => {
  modelDir = await makeTinyModel('EleutherAI--pythia-70m', dir, 3);
});
afterAll(() => removeTmpDir(dir));

describe('resurface eval / task import', () => {
  it('imports ARC rows and evaluates them with --json and --out', async () => {
    const rows = [
      { question: 'Which is a gas?', choices: { text: ['rock', 'steam', 'ice'], label: ['A', 'B', 'C'] }, answerKey: 'B' },
      { question: 'What do bees make?', choices: { text: ['honey', 'milk'], label: ['A', 'B'] }, answerKey: 'A' },
      { question: 'Two plus two?', choices: { text: ['four', 'five', 'six', 'seven'], label: ['1', '2', '3', '4'] }, answerKey: '1' },
    ];
    fs.writeFileSync(path.join(dir, 'arc-rows.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    const imp = await cli(['task', 'import', '--format', 'arc_easy', 'arc-rows.jsonl', 'arc_easy.jsonl']);
    expect(imp.stderr).toBe('');
    expect(imp.stdout).toMatch(/wrote 3 arc_easy items/);
    const r = await cli([
      'eval',
      '--model',
      modelDir,
      '--task',
      'arc_easy.jsonl',
      '--batch-size',
      '2',
      '--json',
      '--out',
      'res.json',
      '--threads',
      '2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['task', 'n', 'acc', 'acc_stderr', 'acc_norm', 'acc_norm_stderr', 'items']);
    expect(j.task).toBe('arc_easy');
    expect(j.n).toBe(3);
    expect(j.items.map((it: { gold: number }) => it.gold)).toEqual([1, 0, 0]);
    expect(j.items[0].loglikelihoods).toHaveLength(3);
    expect(j.items[0].is_greedy).toHaveLength(3);
    expect(j.acc).toBeCloseTo(j.items.filter((it: { pred: number; gold: number }) => it.pred === it.gold).length / 3, 12);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'res.json'), 'utf8'))).toEqual(j);
    const lim = await cli(['eval', '--model', modelDir, '--task', 'arc_easy.jsonl', '--limit', '1', '--threads', '2']);
    expect(lim.stdout).toMatch(/^arc_easy {2}n=1 {2}acc=/);
  });

  it('fails with one coded line naming the bad line', async () => {
    fs.writeFileSync(
      path.join(dir, 'bad.jsonl'),
      `${JSON.stringify({ context: 'a', choices: ['b'], gold: 0 })}\n${JSON.stringify({ context: 'a', choices: ['b', 'c'], gold: 5 })}\n`,
    );
    const r = await cli(['eval', '--model', modelDir, '--task', 'bad.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error ERR_TASK: bad.jsonl:2: gold 5 is out of range for 2 choices\n');
    const u = await cli(['task', 'import', '--format', 'squad', 'bad.jsonl', 'x.jsonl']);
    expect(u.stderr).toMatch(/^error ERR_TASK: unknown task format "squad"; known formats: /);
  });
});

describe('resurface perplexity', () => {
  it('reports NLL, perplexity and bits per byte for a corpus directory', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.writeFileSync(path.join(corpus, 'a.txt'), 'Hello world, this is a short document.');
    fs.writeFileSync(
      path.join(corpus, 'b.jsonl'),
      `${JSON.stringify({ text: 'Another document here.' })}\n${JSON.stringify({ text: 'And a third one, somewhat longer than the others are.' })}\n`,
    );
    const r = await cli([
      'perplexity',
      '--model',
      modelDir,
      '--data',
      corpus,
      '--json',
      '--max-length',
      '8',
      '--stride',
      '4',
      '--threads',
      '2',
    ]);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.documents).toBe(3);
    expect(j.max_length).toBe(8);
    expect(j.bytes).toBe(
      Buffer.byteLength(
        'Hello world, this is a short document.Another document here.And a third one, somewhat longer than the others are.',
      ),
    );
    expect(j.perplexity).toBeCloseTo(Math.exp(j.nll / j.tokens), 9);
    expect(j.bits_per_byte).toBeCloseTo(j.nll / j.bytes / Math.LN2, 9);
    fs.writeFileSync(path.join(dir, 'bad-text.jsonl'), '{"text": "ok"}\n{"txt": 1}\n');
    const b = await cli(['perplexity', '--model', modelDir, '--data', 'bad-text.jsonl']);
    expect(b.stderr).toMatch(/^error ERR_DATA: .*bad-text\.jsonl:2: expected \{"text": "\.\.\."\}/);
  });
});

describe('resurface extract', () => {
  it('scores Megatron sequences selected by --indices', async () => {
    const seqs = Array.from({ length: 6 }, (_, i) => Array.from({ length: 20 }, (_, j) => 50 + 13 * i + j));
    await writeMegatron(path.join(dir, 'train'), seqs, 'uint16');
    const r = await cli([
      'extract',
      '--model',
      modelDir,
      '--data',
      'train.idx',
      '--prefix-len',
      '8',
      '--suffix-len',
      '8',
      '--offset',
      '2',
      '--indices',
      '1:4',
      '--json',
      '--threads',
      '2',
    ]);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['n', 'exact_match_rate', 'exact_match_ci', 'mean_score', 'items']);
    expect(j.n).toBe(3);
    expect(j.items.map((it: { index: number }) => it.index)).toEqual([1, 2, 3]);
    const short = await cli(['extract', '--model', modelDir, '--data', 'train', '--prefix-len', '16', '--suffix-len', '16']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^error ERR_DATA: .*train: sequence 0 has 20 tokens; offset \+ prefix \+ suffix needs 32/);
    fs.writeFileSync(path.join(dir, 'train.idx'), 'garbage');
    const bad = await cli(['extract', '--model', modelDir, '--data', 'train.idx']);
    expect(bad.stderr).toMatch(/^error ERR_DATA: .*train\.idx: too short/);
  });
});
