/**
 * Hostile MODEL directories: a generated corpus (test/helpers/corrupt-models.ts) of missing,
 * misshapen, mistyped, non-finite and unexpected tensors, mutated and broken config.json files,
 * truncated safetensors, broken shard indexes and directories that are not models at all.
 *
 * Everything runs in this process: a case that crashed the process would kill the whole file, and
 * a case that hung is cut off by its own timeout. Each must reject Model.load with a
 * ResurfaceError carrying the expected code and a one-line message (or, for the controls, load
 * and compute finite logits). A few cases also go through the CLI, which must print
 * `error CODE: message` on one line of stderr and exit with status 1.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResurfaceError, type ErrorCode } from '../../lib/errors';
import { Model } from '../../lib/model/model';
import { generateModelCases, makeBase, TINY_VOCAB, type BaseName, type BaseModel, type ModelCase } from '../helpers/corrupt-models';
import { makeTmpDir, removeTmpDir, REPO_ROOT } from '../helpers/shared';

const CASE_TIMEOUT_MS = 20_000;

const bases = Object.fromEntries((['neox', 'llama', 'qwen2', 'qwen3'] as const).map((n) => [n, makeBase(n)])) as Record<
  BaseName,
  BaseModel
>;
const cases = generateModelCases(bases);

let root: string;
let counter = 0;
beforeAll(() => {
  root = makeTmpDir('resurface-bad-models-');
});
afterAll(() => {
  if (root) removeTmpDir(root);
});

function caseDir(): string {
  const dir = path.join(root, `case-${counter++}`);
  fs.mkdirSync(dir);
  return dir;
}

/** Model.load, or a 'hang' error after CASE_TIMEOUT_MS. */
async function loadWithTimeout(dir: string, c: ModelCase): Promise<Model> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Model.load did not settle within ${CASE_TIMEOUT_MS} ms (hang)`)), CASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Model.load(dir, c.options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('corrupted model directory corpus', () => {
  it('has at least 200 cases with unique names covering every failure class', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const codes = new Set(cases.flatMap((c) => (c.expect === 'ok' ? [] : Array.isArray(c.expect) ? c.expect : [c.expect])));
    for (const code of [
      'ERR_MISSING_TENSOR',
      'ERR_TENSOR_SHAPE',
      'ERR_UNEXPECTED_TENSOR',
      'ERR_SAFETENSORS_DTYPE',
      'ERR_NONFINITE_WEIGHTS',
      'ERR_CONFIG_INVALID',
      'ERR_UNSUPPORTED_CONFIG',
      'ERR_SAFETENSORS_HEADER',
      'ERR_SAFETENSORS_RANGE',
      'ERR_SAFETENSORS_INDEX',
      'ERR_NOT_A_MODEL',
      'ERR_IO',
    ] as ErrorCode[]) {
      expect(codes, code).toContain(code);
    }
    expect(cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThanOrEqual(200);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const dir = caseDir();
      const target = c.build(dir);
      let model: Model | undefined;
      let err: unknown;
      try {
        model = await loadWithTimeout(target, c);
      } catch (e) {
        err = e;
      }
      if (c.expect === 'ok') {
        if (err) throw err;
        try {
          const r = await model!.forward([[1, 2, 3], [TINY_VOCAB - 1]]);
          expect(r.shape).toEqual([2, 3, TINY_VOCAB]);
          if (c.options?.checkFinite !== false) expect(r.logits.every(Number.isFinite)).toBe(true);
        } finally {
          model!.dispose();
        }
        return;
      }
      if (model) {
        model.dispose();
        throw new Error(`Model.load accepted the directory; expected ${String(c.expect)}`);
      }
      if (!(err instanceof ResurfaceError))
        throw new Error(`expected a ResurfaceError ${String(c.expect)}, got: ${String((err as Error)?.stack ?? err)}`);
      const allowed = Array.isArray(c.expect) ? c.expect : [c.expect];
      expect(allowed, `${err.code}: ${err.message}`).toContain(err.code);
      expect(err.message).not.toMatch(/\n/);
      expect(err.message).not.toMatch(/Exception raised from|libc10|\.cpp:\d+/);
      if (c.field) expect(err.message).toContain(c.field);
    },
    CASE_TIMEOUT_MS + 5_000,
  );
});

describe('CLI on broken model directories', () => {
  const picks: Array<[string, ErrorCode]> = [
    ['neox: missing gpt_neox.embed_in.weight', 'ERR_MISSING_TENSOR'],
    ['llama: config.json empty file', 'ERR_CONFIG_INVALID'],
    ['llama: config rope_scaling yarn', 'ERR_UNSUPPORTED_CONFIG'],
    ['neox: model.safetensors truncated to mid data', 'ERR_SAFETENSORS_RANGE'],
    ['qwen3: NaN in model.embed_tokens.weight (F32)', 'ERR_NONFINITE_WEIGHTS'],
    ['empty directory', 'ERR_NOT_A_MODEL'],
  ];

  function logitsCli(
    model: string,
    tokens: string[],
  ): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
    const args = [
      path.join(REPO_ROOT, 'bin', 'resurface.js'),
      'logits',
      '--model',
      model,
      ...tokens.flatMap((t) => ['--tokens', t]),
      '--json',
    ];
    return new Promise((resolve) => {
      const child = execFile(process.execPath, args, { encoding: 'utf8', timeout: 60_000 }, (_err, stdout, stderr) =>
        resolve({ status: child.exitCode, signal: child.signalCode, stdout, stderr }),
      );
    });
  }

  function expectOneLineError(r: { status: number | null; signal: string | null; stdout: string; stderr: string }, code: ErrorCode): void {
    expect(r.signal).toBeNull();
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error ${code}: [^\\n]+\\n$`));
    expect(r.status).toBe(1);
  }

  it.each(picks)(
    'logits on "%s" prints `error %s: …` on one line and exits 1',
    async (name, code) => {
      const c = cases.find((x) => x.name === name);
      if (!c) throw new Error(`no case named ${name}`);
      expectOneLineError(await logitsCli(c.build(caseDir()), ['1,2,3']), code);
    },
    60_000,
  );

  it.each([
    ['a token id outside the vocabulary', [`1,${TINY_VOCAB}`]],
    ['a row longer than max_position_embeddings', ['1', Array.from({ length: 65 }, () => '3').join(',')]],
    ['a token list that is not numbers', ['1,x,3']],
    ['a negative token id', ['4,-1']],
  ])(
    'logits with %s on a valid model prints one ERR_INVALID_ARGUMENT line and exits 1',
    async (_name, tokens) => {
      const c = cases.find((x) => x.name === 'tokenizer-less model directory')!;
      expectOneLineError(await logitsCli(c.build(caseDir()), tokens), 'ERR_INVALID_ARGUMENT');
    },
    60_000,
  );
});
