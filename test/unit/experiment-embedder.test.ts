/** evaluation.proxies.embedder in the experiment file: validated, resolved against the YAML, keyed by content. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, loadExperiment, parseExperimentText, proxiesExecutor } from '../../lib/experiment';
import type { StepContext } from '../../lib/experiment/executor';
import { proxyColumns } from '../../lib/report/proxy-columns';
import { writeFixtureExperiment } from '../helpers/experiment-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';
import { writeTinyEncoder } from '../helpers/tiny-encoder';

const tmp = makeTmpDir('resurface-exp-embedder-');
afterAll(() => removeTmpDir(tmp));

function withEmbedder(file: string, line: string, out: string): string {
  const text = fs.readFileSync(file, 'utf8').replace('proxies: { lexical_only: false, max_corpus_texts: 50 }', line);
  fs.writeFileSync(out, text);
  return out;
}

describe('experiment: proxies embedder', () => {
  it('accepts a path; rejects a non-string', () => {
    const base = 'name: e\nmodels: { a: { path: a, family: f } }\ngrid: { students: [a], sources: [a] }\n';
    expect(parseExperimentText(base + 'evaluation: { proxies: { embedder: enc/minilm } }\n', 'e.yaml').evaluation.proxies.embedder).toBe(
      'enc/minilm',
    );
    expect(() => parseExperimentText(base + 'evaluation: { proxies: { embedder: 3 } }\n', 'e.yaml')).toThrow(
      expect.objectContaining({ code: 'ERR_EXPERIMENT' }),
    );
  });

  it("resolves against the YAML folder, keys proxies steps by the encoder's content, and needs a device even when lexical-only", async () => {
    const dir = path.join(tmp, 'exp');
    const file = writeFixtureExperiment(dir);
    await writeTinyEncoder(path.join(dir, 'enc'), { normalize: true });
    const plain = buildPlan(loadExperiment(file));
    const withEnc = buildPlan(
      loadExperiment(withEmbedder(file, 'proxies: { lexical_only: true, max_corpus_texts: 50, embedder: enc }', path.join(dir, 'e2.yaml'))),
    );
    const px = withEnc.steps.find((s) => s.kind === 'proxies')!;
    expect(px.runtime.embedder_dir).toBe(path.join(dir, 'enc'));
    expect(px.settings.embedder).toMatch(/^[0-9a-f]{64}$/);
    expect(px.device).toBe(true);
    const before = plain.steps.find((s) => s.id === px.id)!;
    expect(before.settings).not.toHaveProperty('embedder');
    expect(before.runtime).not.toHaveProperty('embedder_dir');
    // the same encoder elsewhere: same key; another pooling: another key
    fs.cpSync(path.join(dir, 'enc'), path.join(tmp, 'enc-copy'), { recursive: true });
    const moved = buildPlan(
      loadExperiment(
        withEmbedder(
          file,
          `proxies: { lexical_only: true, max_corpus_texts: 50, embedder: ${path.join(tmp, 'enc-copy')} }`,
          path.join(dir, 'e3.yaml'),
        ),
      ),
    );
    expect(moved.steps.find((s) => s.id === px.id)!.key).toBe(px.key);
    const pooling = path.join(tmp, 'enc-copy', '1_Pooling', 'config.json');
    fs.writeFileSync(
      pooling,
      fs
        .readFileSync(pooling, 'utf8')
        .replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true')
        .replace('"pooling_mode_mean_tokens": true', '"pooling_mode_mean_tokens": false'),
    );
    const cls = buildPlan(
      loadExperiment(
        withEmbedder(
          file,
          `proxies: { lexical_only: true, max_corpus_texts: 50, embedder: ${path.join(tmp, 'enc-copy')} }`,
          path.join(dir, 'e4.yaml'),
        ),
      ),
    );
    expect(cls.steps.find((s) => s.id === px.id)!.key).not.toBe(px.key);
  });

  it("the proxies executor embeds with the step's encoder and keeps only its folder name in the cached result", async () => {
    const dir = path.join(tmp, 'exec');
    const file = writeFixtureExperiment(dir);
    await writeTinyEncoder(path.join(dir, 'enc'), { normalize: true });
    const plan = buildPlan(
      loadExperiment(withEmbedder(file, 'proxies: { lexical_only: true, max_corpus_texts: 50, embedder: enc }', path.join(dir, 'e5.yaml'))),
    );
    const step = plan.steps.find((s) => s.kind === 'proxies')!;
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus, { recursive: true });
    fs.writeFileSync(
      path.join(corpus, 'samples-00000.jsonl'),
      ['the cat sat', 'water boils'].map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n',
    );
    const task = path.join(dir, 'facts.jsonl');
    fs.writeFileSync(task, JSON.stringify({ context: 'The cat', choices: ['sat', 'flew'], gold: 0 }) + '\n');
    const model = { name: 'small', dir: path.join(dir, 'no-model'), family: 'f', tokenizer: 'f' };
    const ctx = {
      plan,
      runDir: dir,
      outDir: path.join(dir, 'out'),
      resume: false,
      device: 'cpu',
      signal: new AbortController().signal,
      inputs: { corpus: { dir: corpus, result: {} } },
      models: { student: model, source: model },
      log: () => undefined,
      progress: () => undefined,
    } as StepContext;
    const r = (await proxiesExecutor.run({ ...step, runtime: { ...step.runtime, task_files: { facts: task } } }, ctx)) as {
      embedder: { dir: string; pooling: string };
    } & Parameters<typeof proxyColumns>[0];
    expect(r.embedder).toMatchObject({ dir: 'enc', pooling: 'mean' });
    expect(proxyColumns(r)['semantic_centroid_cosine:facts']).toBeTypeOf('number');
    expect(proxyColumns(r)['semantic_nn_cosine:facts']).toBeTypeOf('number');
  }, 60_000);
});
