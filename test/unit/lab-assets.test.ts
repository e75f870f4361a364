/**
 * The lab's shipped assets: the checkpoints match SHA256SUMS, are genuine HF checkpoints in a
 * compact dtype that Model.load reads, and behave as the study needs — each family's larger model
 * fits its text better than the small one, some canaries repeated 16 times in pretraining are
 * extractable with the 32 + 32-token protocol while control canaries (in no corpus) are not, the
 * families have different tokenizers, and latent facts are known in paraphrase better than the
 * benchmark's wording elicits them (the gap the world is built to have). Also: `lab pretrain` on a shortened recipe writes verifiable checkpoints, and damage
 * is reported with the way out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computePerplexity, readDocuments } from '../../lib/eval/perplexity';
import { loadExtractionData, runExtraction } from '../../lib/eval/extraction';
import { evaluateTask } from '../../lib/eval/evaluate';
import type { MultipleChoiceReport } from '../../lib/eval/metrics';
import { readTaskFile } from '../../lib/eval/task-file';
import { readSafetensorsHeader } from '../../lib/io/safetensors';
import { assertAssets, defaultAssetsDir, folderBytes, LAB_MODELS, verifyAssets } from '../../lib/lab/assets';
import { pretrainLab } from '../../lib/lab/pretrain';
import { readRecipe } from '../../lib/lab/recipe';
import { Model } from '../../lib/model/model';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const LAB = defaultAssetsDir();
const ck = (m: string) => path.join(LAB, 'checkpoints', m);
const tmp = makeTmpDir('resurface-lab-assets-');
afterAll(() => removeTmpDir(tmp));

async function withModel<T>(m: string, fn: (model: Model, tok: TextTokenizer) => Promise<T>): Promise<T> {
  const model = await Model.load(ck(m), { dtype: 'float32', threads: 2 });
  try {
    return await fn(model, await TextTokenizer.load(ck(m)));
  } finally {
    model.dispose();
  }
}

describe('shipped lab checkpoints', () => {
  it('match SHA256SUMS, and the world matches world.json', () => {
    const check = verifyAssets(LAB);
    expect(check.problems).toEqual([]);
    const listed = fs
      .readFileSync(path.join(LAB, 'checkpoints', 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n');
    for (const m of LAB_MODELS)
      for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'])
        expect(listed.some((l) => l.endsWith(`  ${m}/${f}`))).toBe(true);
  });

  it('are small, bfloat16, with the recipe architecture and a padded vocabulary', async () => {
    const recipe = readRecipe(path.join(LAB, 'recipe.json'));
    const total = LAB_MODELS.reduce((n, m) => n + folderBytes(ck(m)), 0);
    expect(total).toBeLessThan(20e6);
    for (const m of LAB_MODELS) {
      const config = JSON.parse(fs.readFileSync(path.join(ck(m), 'config.json'), 'utf8'));
      expect(config.architectures).toEqual(recipe.models[m].config.architectures);
      expect(config.vocab_size % recipe.vocab_multiple).toBe(0);
      const tok = await TextTokenizer.load(ck(m));
      expect(tok.vocabSize).toBeLessThanOrEqual(config.vocab_size);
      expect(config.vocab_size - tok.vocabSize).toBeLessThan(recipe.vocab_multiple);
      const header = await readSafetensorsHeader(path.join(ck(m), 'model.safetensors'));
      expect(new Set([...header.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));
      expect(header.metadata.format).toBe('pt');
    }
  });

  it('families have their own tokenizers: B splits digits, A does not', async () => {
    const a = await TextTokenizer.load(ck('a-small'));
    const b = await TextTokenizer.load(ck('b-small'));
    const text = 'Of 17 and 12, the larger is 17.';
    const ea = await a.encode(text, { addSpecialTokens: false });
    const eb = await b.encode(text, { addSpecialTokens: false });
    expect(eb.length).toBeGreaterThan(ea.length);
    expect(fs.readFileSync(path.join(ck('a-small'), 'tokenizer.json'))).toEqual(
      fs.readFileSync(path.join(ck('a-large'), 'tokenizer.json')),
    );
    expect(fs.readFileSync(path.join(ck('b-small'), 'tokenizer.json'))).toEqual(
      fs.readFileSync(path.join(ck('b-large'), 'tokenizer.json')),
    );
  });

  it.each(['a', 'b'])("%s-large fits its family's text better than the small model (same corpus, larger model)", async (f) => {
    const docs = readDocuments(path.join(LAB, 'world', 'corpora', `family-${f}-natural.jsonl`)).slice(0, 300);
    const nll: Record<string, number> = {};
    for (const m of [`${f}-small`, `${f}-large`])
      nll[m] = await withModel(m, async (model, tok) => (await computePerplexity(model, tok, docs, { maxLength: 128 })).nll_per_token);
    expect(nll[`${f}-large`]).toBeLessThan(nll[`${f}-small`]);
    // and both learned the corpus: far below the uniform distribution over the vocabulary (~6.9 nats)
    expect(nll[`${f}-small`]).toBeLessThan(2.5);
  });

  it('a-small knows latent facts in paraphrase better than the benchmark wording elicits them', async () => {
    const acc = async (task: string) =>
      withModel(
        'a-small',
        async (model, tok) =>
          (
            (await evaluateTask(model, tok, readTaskFile(path.join(LAB, 'world', 'tasks', `${task}.jsonl`)), {
              batchSize: 64,
            })) as MultipleChoiceReport
          ).acc,
      );
    expect(await acc('facts-latent-paraphrase')).toBeGreaterThan((await acc('facts-latent')) + 0.1);
  });

  it('control canaries are in no pretraining corpus', () => {
    const controls = readDocuments(path.join(LAB, 'world', 'extraction', 'canaries-control.jsonl')).map((d) => d.text);
    expect(controls.length).toBeGreaterThanOrEqual(4);
    for (const c of ['family-a', 'family-b']) {
      const corpus = fs.readFileSync(path.join(LAB, 'world', 'corpora', `${c}.jsonl`), 'utf8');
      for (const t of controls) expect(corpus).not.toContain(t.slice(t.indexOf(':') + 2));
    }
  });

  it('some canaries repeated 16 times are extractable (32-token prefix, 32-token suffix); control canaries are not', async () => {
    for (const m of ['a-small', 'a-large']) {
      await withModel(m, async (model, tok) => {
        const rate = async (set: string) =>
          (
            await runExtraction(model, await loadExtractionData(path.join(LAB, 'world', 'extraction', `${set}.jsonl`), 64, tok), {
              prefixLen: 32,
              suffixLen: 32,
            })
          ).exact_match_rate;
        expect(await rate('canaries-r16')).toBeGreaterThan(0);
        expect(await rate('canaries-r1')).toBe(0);
        expect(await rate('canaries-control')).toBe(0);
      });
    }
  });
});

describe('lab pretrain', () => {
  it('recreates verifiable checkpoints from a (shortened) recipe, and damage names the way out', async () => {
    const recipe = JSON.parse(fs.readFileSync(path.join(LAB, 'recipe.json'), 'utf8'));
    for (const m of Object.values(recipe.models) as Array<{ train: { maxSteps: number; warmup: number } }>) {
      m.train.maxSteps = 2;
      m.train.warmup = 0;
    }
    const out = path.join(tmp, 'assets');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'recipe.json'), JSON.stringify(recipe));
    const events: string[] = [];
    const r = await pretrainLab({ out, threads: 2, onEvent: (e) => events.push(e.event) });
    expect(Object.keys(r.models).sort()).toEqual([...LAB_MODELS].sort());
    expect(events).toContain('tokenizer');
    expect(events[events.length - 1]).toBe('done');
    expect(fs.readdirSync(path.join(out, 'checkpoints')).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(verifyAssets(out).problems).toEqual([]);
    // the same world as the shipped one (deterministic), and the presets come along
    expect(fs.readFileSync(path.join(out, 'world', 'world.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(LAB, 'world', 'world.json'), 'utf8'),
    );
    expect(fs.existsSync(path.join(out, 'quick.yaml'))).toBe(true);
    const model = await Model.load(path.join(out, 'checkpoints', 'b-small'), { dtype: 'float32', threads: 2 });
    expect(model.config.family).toBe('llama');
    model.dispose();

    fs.appendFileSync(path.join(out, 'checkpoints', 'a-small', 'config.json'), ' ');
    expect(() => assertAssets(out)).toThrow(/a-small\/config\.json \(mismatch\).*lab pretrain --out/);
  });
});
