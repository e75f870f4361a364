/**
 * Bad input to `generate`, through the library (generateCorpus → a ResurfaceError with a stable
 * code) and the CLI (`error CODE: message`, one line on stderr, exit status 1) — and in every case
 * the data already on disk is untouched (every file compared byte for byte before and after).
 *
 *   - a directory that is not a model (empty, missing, unrelated files; a model without its
 *     tokenizer; a config.json that is not JSON);
 *   - a corrupt manifest (not JSON, wrong schema) and a truncated or missing shard, with --resume;
 *   - an output directory that cannot be created (under a regular file — tests run as root, so
 *     permissions would not stop us — and under /proc);
 *   - nonsense parameters: negative temperature, top-p 0 or 1.5, min-p 1, num-samples 0,
 *     max-new-tokens beyond max_position_embeddings, batch size 0 or 'x', samples-per-shard 0,
 *     a start token outside the vocabulary;
 *   - resuming with different parameters or another model (ERR_RESUME_MISMATCH), writing over an
 *     existing corpus without --resume (ERR_CORPUS).
 *
 * Each CLI run costs a Node start and often a model load, so every describe block starts its CLI
 * runs together in beforeAll (3 at a time) and the tests then check their results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, type CorpusGenerateOptions } from '../../lib/corpus/write-corpus';
import { ResurfaceError, type ErrorCode } from '../../lib/errors';
import { Model } from '../../lib/model/model';
import { runCli, type CliResult } from '../helpers/cli';
import { buildGenModel, copyModelDir } from '../helpers/tiny-models';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

type Json = Record<string, any>;

let root: string;
let modelDir: string;
let model: Model;
/** A complete corpus made with BASE: 8 samples in two shards. */
let good: string;

const BASE = { numSamples: 8, maxNewTokens: 6, seed: 3, samplesPerShard: 4, batchSize: 4 } as const;
const BASE_FLAGS: Record<string, string> = {
  'num-samples': '8',
  'max-new-tokens': '6',
  seed: '3',
  'samples-per-shard': '4',
  'batch-size': '4',
  threads: '1',
};

/** CLI arguments: BASE flags overridden by `flags` (repeating a flag would make yargs pass an array). */
function cliArgs(modelPath: string, out: string, flags: Record<string, string> = {}, resume = false): string[] {
  const all = { ...BASE_FLAGS, ...flags };
  return [
    'generate',
    '--model',
    modelPath,
    '--out',
    out,
    ...Object.entries(all).flatMap(([k, v]) => [`--${k}`, v]),
    ...(resume ? ['--resume'] : []),
  ];
}

/** Every file at `p` (a directory, walked, dot files included; or one file); null when absent. */
function snapshot(p: string): Map<string, Buffer> | null {
  if (!fs.existsSync(p)) return null;
  const out = new Map<string, Buffer>();
  if (!fs.statSync(p).isDirectory()) return out.set('.', fs.readFileSync(p));
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out.set(path.relative(p, f), fs.readFileSync(f));
    }
  };
  walk(p);
  return out;
}

function expectSameSnapshot(after: Map<string, Buffer> | null, before: Map<string, Buffer> | null, what: string): void {
  if (before === null || after === null) return void expect(after, what).toBe(before);
  expect([...after.keys()].sort(), what).toEqual([...before.keys()].sort());
  for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes), `${what}: ${f} unchanged`).toBe(true);
}

interface Case {
  name: string;
  /** generateCorpus options on top of BASE (modelDir / outDir default to the model and `good`). */
  lib: Partial<CorpusGenerateOptions>;
  /** CLI arguments. */
  cli: string[];
  code: ErrorCode;
  /** The path that must stay byte-for-byte unchanged. */
  watch: string;
  /** Both the library message and the CLI line must match. */
  message?: RegExp;
  /** Nothing may be written here (the corpus directory of a fresh run). */
  noCorpusIn?: string;
  /** Only the CLI (the library call would block the test worker). */
  cliOnly?: boolean;
  /** Only the library (a variant of a case the CLI already covers; CLI runs are expensive). */
  libOnly?: boolean;
  cliTimeoutMs?: number;
}

/**
 * Registers one test per case. Setup (`prepare`, building the cases) and the CLI runs happen in
 * beforeAll; each test runs the library call, then checks both results and the watched files.
 */
function describeCases(title: string, prepare: () => Promise<Case[]> | Case[], names: string[]): void {
  describe(title, () => {
    const cases = new Map<string, Case>();
    const cli = new Map<string, CliResult>();
    const before = new Map<string, Map<string, Buffer> | null>();
    beforeAll(async () => {
      for (const c of await prepare()) cases.set(c.name, c);
      expect([...cases.keys()].sort()).toEqual([...names].sort());
      for (const c of cases.values()) before.set(c.name, snapshot(c.watch));
      const queue = [...cases.values()].filter((c) => !c.libOnly);
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) cli.set(c.name, await runCli(c.cli, c.cliTimeoutMs ?? 60_000));
      };
      await Promise.all([worker(), worker(), worker()]);
    }, 300_000);

    it.each(names)('%s', async (name) => {
      const c = cases.get(name)!;
      if (!c.libOnly) checkCli(c, cli.get(name)!, before.get(name)!);
      if (c.cliOnly) return;
      let err: unknown = null;
      try {
        await generateCorpus({
          modelDir,
          outDir: good,
          ...BASE,
          load: { threads: 1 },
          ...(c.lib.modelDir ? {} : { model }),
          ...c.lib,
        } as CorpusGenerateOptions);
      } catch (e) {
        err = e;
      }
      expect(err, 'generateCorpus must throw').toBeInstanceOf(ResurfaceError);
      const e = err as ResurfaceError;
      expect(e.code, e.message).toBe(c.code);
      if (c.message) expect(e.message).toMatch(c.message);
      expectSameSnapshot(snapshot(c.watch), before.get(name)!, 'after the library');
      if (c.noCorpusIn) expect(snapshot(c.noCorpusIn)?.size ?? 0, `files written to ${c.noCorpusIn}`).toBe(0);
    });
  });
}

function checkCli(c: Case, r: CliResult, before: Map<string, Buffer> | null): void {
  expect(r.timedOut, `CLI still running after ${c.cliTimeoutMs ?? 60_000} ms (killed)`).toBe(false);
  expect(r.stderr, 'CLI stderr').toMatch(new RegExp(`^error ${c.code}: \\S`));
  expect(r.stderr.trim().split('\n'), 'CLI error on one line').toHaveLength(1);
  expect(r.status, 'CLI exit status').toBe(1);
  expect(r.stdout).toBe('');
  if (c.message) expect(r.stderr).toMatch(c.message);
  expectSameSnapshot(snapshot(c.watch), before, 'after the CLI');
}

/** A copy of the good corpus to damage. */
function copyOfGood(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(good, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: Json) => void): void {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  edit(m);
  fs.writeFileSync(file, JSON.stringify(m, null, 2));
}

beforeAll(async () => {
  root = makeTmpDir('resurface-badinput-');
  modelDir = await buildGenModel({
    base: 'EleutherAI--pythia-70m',
    dir: path.join(root, 'model'),
    seed: 5,
    tokenizer: 'pythia',
    shrink: { vocabSize: 512, maxPositionEmbeddings: 64 },
  });
  model = await Model.load(modelDir, { threads: 1 });
  good = path.join(root, 'good');
  const s = await generateCorpus({ modelDir, outDir: good, ...BASE, model });
  expect(s.complete).toBe(true);
});

afterAll(() => {
  model?.dispose();
  if (root) removeTmpDir(root);
});

// ---------------------------------------------------------------------------------------------

const NOT_A_MODEL = [
  'an empty directory',
  'a missing directory',
  'a directory of unrelated files',
  'a model without tokenizer.json',
  'a config.json that is not JSON',
];
describeCases(
  'not a model',
  () => {
    const fresh = (name: string, what: string, model: string, code: ErrorCode, message?: RegExp): Case => {
      const out = path.join(root, `out-${what}`);
      return { name, lib: { modelDir: model, outDir: out }, cli: cliArgs(model, out), code, watch: model, message, noCorpusIn: out };
    };
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    const junk = fs.mkdtempSync(path.join(root, 'junk-'));
    fs.writeFileSync(path.join(junk, 'notes.txt'), 'hello');
    const noTok = copyModelDir(modelDir, path.join(root, 'model-no-tokenizer'), undefined, ['tokenizer.json']);
    const badConfig = copyModelDir(modelDir, path.join(root, 'model-bad-config'));
    fs.writeFileSync(path.join(badConfig, 'config.json'), '{"model_type": "gpt_neox", ');
    return [
      fresh(NOT_A_MODEL[0]!, 'empty', empty, 'ERR_NOT_A_MODEL'),
      fresh(NOT_A_MODEL[1]!, 'missing', path.join(root, 'does-not-exist'), 'ERR_NOT_A_MODEL'),
      fresh(NOT_A_MODEL[2]!, 'junk', junk, 'ERR_NOT_A_MODEL'),
      fresh(NOT_A_MODEL[3]!, 'no-tokenizer', noTok, 'ERR_TOKENIZER', /tokenizer\.json/),
      fresh(NOT_A_MODEL[4]!, 'bad-config', badConfig, 'ERR_CONFIG_INVALID', /config\.json/),
    ];
  },
  NOT_A_MODEL,
);

const DAMAGED = [
  'manifest.json that is not JSON',
  'manifest.json with the wrong schema: params.seed is a string',
  'manifest.json with the wrong schema: the format tag is wrong',
  'manifest.json with the wrong schema: shards is not a list',
  'manifest.json with the wrong schema: a shard checksum is not hex',
  'a truncated shard',
  'a missing shard',
];
describeCases(
  'damaged corpus with --resume: ERR_CORPUS naming the file, nothing touched',
  () => {
    const damaged = (name: string, dir: string, message: RegExp): Case => ({
      name,
      lib: { outDir: dir, resume: true },
      cli: cliArgs(modelDir, dir, {}, true),
      code: 'ERR_CORPUS',
      watch: dir,
      message,
    });
    const badJson = copyOfGood('bad-json');
    fs.writeFileSync(path.join(badJson, 'manifest.json'), fs.readFileSync(path.join(badJson, 'manifest.json'), 'utf8').slice(0, 200));
    const schema = (i: number, edit: (m: Json) => void): Case => {
      const dir = copyOfGood(`bad-schema-${i}`);
      editManifest(dir, edit);
      return damaged(DAMAGED[i]!, dir, /manifest\.json/);
    };
    const truncated = copyOfGood('truncated-shard');
    const shard = path.join(truncated, 'samples-00001.jsonl');
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const missing = copyOfGood('missing-shard');
    fs.rmSync(path.join(missing, 'samples-00000.jsonl'));
    return [
      damaged(DAMAGED[0]!, badJson, /manifest\.json/),
      schema(1, (m) => {
        m.params.seed = 'three';
      }),
      {
        ...schema(2, (m) => {
          m.format = 'something-else';
        }),
        libOnly: true,
      },
      {
        ...schema(3, (m) => {
          m.shards = { file: 'samples-00000.jsonl' };
        }),
        libOnly: true,
      },
      schema(4, (m) => {
        m.shards[0].sha256 = 'zz';
      }),
      damaged(DAMAGED[5]!, truncated, /samples-00001\.jsonl/),
      damaged(DAMAGED[6]!, missing, /samples-00000\.jsonl/),
    ];
  },
  DAMAGED,
);

const UNWRITABLE = ['a path under a regular file', 'a path under /proc (CLI only: a hang would block the test worker)'];
describeCases(
  'unwritable output directory: ERR_IO',
  () => {
    const file = path.join(root, 'a-regular-file');
    fs.writeFileSync(file, 'not a directory');
    const underFile = path.join(file, 'corpus');
    // Node's fs.mkdirSync(p, { recursive: true }) loops forever when mkdir keeps answering ENOENT
    // for a parent that exists (/proc): the CLI must answer promptly instead.
    const underProc = '/proc/resurface-test/corpus';
    return [
      {
        name: UNWRITABLE[0]!,
        lib: { outDir: underFile },
        cli: cliArgs(modelDir, underFile),
        code: 'ERR_IO',
        watch: file,
        message: /a-regular-file/,
      },
      {
        name: UNWRITABLE[1]!,
        lib: {},
        cli: cliArgs(modelDir, underProc),
        code: 'ERR_IO',
        watch: good,
        message: /\/proc\/resurface-test/,
        cliOnly: true,
        cliTimeoutMs: 10_000,
      },
    ];
  },
  UNWRITABLE,
);

// Every case targets the existing corpus with --resume: validation must come before any write.
// The fourth field marks variants checked through the library only.
const NONSENSE: Array<[string, Partial<CorpusGenerateOptions>, Record<string, string>, boolean?]> = [
  ['negative temperature', { temperature: -0.5 }, { temperature: '-0.5' }],
  ['top-p 0', { topP: 0 }, { 'top-p': '0' }],
  ['top-p 1.5', { topP: 1.5 }, { 'top-p': '1.5' }],
  ['min-p 1', { minP: 1 }, { 'min-p': '1' }],
  ['negative top-k', { topK: -1 }, { 'top-k': '-1' }, true],
  ['temperature not a number', { temperature: Number.NaN }, { temperature: 'warm' }],
  ['num-samples 0', { numSamples: 0 }, { 'num-samples': '0' }],
  ['num-samples 2.5', { numSamples: 2.5 }, { 'num-samples': '2.5' }, true],
  ['max-new-tokens 0', { maxNewTokens: 0 }, { 'max-new-tokens': '0' }, true],
  ['batch size 0', { batchSize: 0 }, { 'batch-size': '0' }],
  ['batch size x', { batchSize: 'x' as never }, { 'batch-size': 'x' }],
  ['samples-per-shard 0', { samplesPerShard: 0 }, { 'samples-per-shard': '0' }, true],
];
// Checks that need the model (its context length, its vocabulary), in a fresh directory: with
// --resume on the existing corpus the resume check answers first (ERR_RESUME_MISMATCH).
const NEEDS_MODEL: Array<[string, Partial<CorpusGenerateOptions>, Record<string, string>, RegExp]> = [
  [
    'max-new-tokens 65 > max_position_embeddings 64 (fresh directory)',
    { maxNewTokens: 65 },
    { 'max-new-tokens': '65' },
    /max_position_embeddings/,
  ],
  ['start token 512 outside the vocabulary (fresh directory)', { startToken: 512 }, { 'start-token': '512' }, /start token/],
];
describeCases(
  'nonsense parameters: ERR_INVALID_ARGUMENT, nothing written',
  () => [
    ...NONSENSE.map(([name, lib, flags, libOnly]): Case => ({
      name,
      lib: { ...lib, resume: true },
      cli: cliArgs(modelDir, good, flags, true),
      code: 'ERR_INVALID_ARGUMENT',
      watch: good,
      libOnly,
    })),
    ...NEEDS_MODEL.map(([name, lib, flags, message], i): Case => {
      const out = path.join(root, `fresh-${i}`);
      return {
        name,
        lib: { ...lib, outDir: out },
        cli: cliArgs(modelDir, out, flags),
        code: 'ERR_INVALID_ARGUMENT',
        watch: good,
        message,
        noCorpusIn: out,
      };
    }),
  ],
  [...NONSENSE.map((c) => c[0]), ...NEEDS_MODEL.map((c) => c[0])],
);

const MISMATCH: Array<[string, Partial<CorpusGenerateOptions>, Record<string, string>, boolean?]> = [
  ['different seed', { seed: 4 }, { seed: '4' }],
  ['different temperature', { temperature: 0.7 }, { temperature: '0.7' }, true],
  ['different top-k', { topK: 5 }, { 'top-k': '5' }, true],
  ['different max-new-tokens', { maxNewTokens: 7 }, { 'max-new-tokens': '7' }, true],
  ['different num-samples', { numSamples: 9 }, { 'num-samples': '9' }, true],
  ['different samples-per-shard', { samplesPerShard: 2 }, { 'samples-per-shard': '2' }],
  ['different start token', { startToken: 5 }, { 'start-token': '5' }, true],
];
const OTHER_MODEL = 'another model (same config.json, other weights) on an incomplete corpus';
const NO_RESUME = 'an existing corpus without --resume: ERR_CORPUS, never overwritten';
describeCases(
  'resuming with different parameters: ERR_RESUME_MISMATCH naming the field, nothing touched',
  async () => {
    // An incomplete corpus (second shard not written yet) and a model with the same config.json
    // but other weights: resuming would put shard 1 from other weights next to shard 0.
    const incomplete = copyOfGood('incomplete');
    let dropped = '';
    editManifest(incomplete, (m) => {
      dropped = m.shards.pop().file;
      m.counts = { samples: m.shards[0].count, tokens: m.shards[0].tokens, eos: m.shards[0].eos };
      m.complete = false;
    });
    fs.rmSync(path.join(incomplete, dropped));
    const other = await buildGenModel({
      base: 'EleutherAI--pythia-70m',
      dir: path.join(root, 'model-other'),
      seed: 6,
      tokenizer: 'pythia',
      shrink: { vocabSize: 512, maxPositionEmbeddings: 64 },
    });
    expect(fs.readFileSync(path.join(other, 'config.json'))).toEqual(fs.readFileSync(path.join(modelDir, 'config.json')));
    return [
      ...MISMATCH.map(([name, lib, flags, libOnly]): Case => ({
        name,
        lib: { ...lib, resume: true },
        cli: cliArgs(modelDir, good, flags, true),
        code: 'ERR_RESUME_MISMATCH',
        watch: good,
        message: new RegExp(Object.keys(lib)[0]!),
        libOnly,
      })),
      {
        name: OTHER_MODEL,
        lib: { modelDir: other, outDir: incomplete, resume: true },
        cli: cliArgs(other, incomplete, {}, true),
        code: 'ERR_RESUME_MISMATCH',
        watch: incomplete,
      },
      { name: NO_RESUME, lib: {}, cli: cliArgs(modelDir, good), code: 'ERR_CORPUS', watch: good, message: /--resume/ },
    ];
  },
  [...MISMATCH.map((c) => c[0]), OTHER_MODEL, NO_RESUME],
);

describe('what is not a mismatch', () => {
  it('another batch size: resuming the complete corpus with batch size 1 succeeds and rewrites no shard', async () => {
    const before = snapshot(good)!;
    const s = await generateCorpus({ modelDir, outDir: good, ...BASE, batchSize: 1, resume: true, model });
    expect(s).toMatchObject({ complete: true, shardsWritten: 0, shardsReused: 2 });
    const after = snapshot(good)!;
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const f of before.keys()) if (f !== 'manifest.json') expect(after.get(f)!.equals(before.get(f)!), f).toBe(true);
  });
});
