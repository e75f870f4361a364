/**
 * Corpus measures against a world's ground truth, on a tiny hand-made world whose expected values are
 * counted by hand in the comments: coverage, fidelity, latent facts in the benchmark's wording, and
 * the verbatim canary scan. Plus the sample step attaching them to its result.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureCorpus, readWorldFacts } from '../../lib/lab/world-measures';
import type { WorldFacts } from '../../lib/lab/world';
import { generateWorld, worldFacts } from '../../lib/lab/world';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-world-measures-');
afterAll(() => removeTmpDir(tmp));

const BODY = 'ka te mi ro su va le di bo na zu pe';
const CONTROL = 'lo lo ma ma ni ni so so tu tu ve ve';
const tiny: WorldFacts = {
  format: 'resurface-world-facts',
  version: 1,
  templates: { city: ['{n} lives in {v}.', 'In {v} you will find {n}.'], color: ['The colour of {n} is {v}.'] },
  benchmark_template: 0,
  facts: [
    { entity: 'Tomar', attribute: 'city', value: 'Vessa', latent: true },
    { entity: 'Tomar', attribute: 'color', value: 'red', latent: true },
    { entity: 'Ilsa', attribute: 'city', value: 'Orlun', latent: false },
    { entity: 'Ilsa', attribute: 'color', value: 'blue', latent: false },
  ],
  canaries: [
    { id: 'canary-000', text: `canary-000: ${BODY}`, repeats: 4 },
    { id: 'canary-001', text: `canary-001: ${CONTROL}`, repeats: 0 },
  ],
};

describe('corpus measures against a world', () => {
  it('coverage, fidelity and latent facts in the benchmark wording match the hand count', () => {
    const texts = [
      'Tomar lives in Vessa.\nIn Orlun you will find Ilsa.', // 2 statements, both true: (Tomar,city) in benchmark wording, (Ilsa,city)
      'Tomar lives in Orlun. The colour of Ilsa is blue.', // 2 statements: 1 false, 1 true (Ilsa,color)
      'The colour of Zed is red.', // 1 statement about no entity: false
      'In Vessa you will find Tomar.', // 1 true, (Tomar,city) again, not in benchmark wording
      'nothing here',
    ];
    const { measures, regenerated, statements } = measureCorpus(tiny, texts);
    // facts stated truly: (Tomar,city) (Ilsa,city) (Ilsa,color) = 3 of 4
    expect(measures.coverage).toBe(3 / 4);
    // statements 6, true 4
    expect(statements).toBe(6);
    expect(measures.fidelity).toBe(4 / 6);
    // latent facts: (Tomar,city) (Tomar,color); stated truly in template 0: (Tomar,city) only
    expect(measures.latent_benchmark_wording).toBe(1 / 2);
    expect(measures.canary_regenerated).toBe(0);
    expect(regenerated).toEqual([]);
  });

  it('counts a canary as regenerated only from 8 consecutive body words, controls apart', () => {
    const words = BODY.split(' ');
    const texts = [
      `junk ${words.slice(2, 10).join(' ')} junk`, // 8 consecutive words of canary-000: regenerated
      `canary-000: ${words.slice(0, 7).join(' ')}`, // the id and 7 words: not enough
      `${CONTROL.split(' ').slice(0, 8).join(' ')}`, // the control: counted apart
      `${words.slice(0, 4).join(' ')} x ${words.slice(4, 12).join(' ')}`, // 8 consecutive again
    ];
    const { measures, regenerated, canarySamples } = measureCorpus(tiny, texts);
    expect(measures.canary_regenerated).toBe(1);
    expect(measures.canary_control_regenerated).toBe(1);
    expect(canarySamples).toBe(3);
    expect(regenerated).toEqual(['canary-000', 'canary-001']);
    expect(measureCorpus(tiny, [texts[1]!]).canarySamples).toBe(0);
  });

  it('no statements: fidelity is absent, not 0 or NaN', () => {
    const { measures } = measureCorpus(tiny, ['hello', '']);
    expect(measures.coverage).toBe(0);
    expect('fidelity' in measures).toBe(false);
  });

  it('the lab world scores its own pretraining corpus as full coverage and fidelity, with every canary found', () => {
    const w = generateWorld({ seed: 2, entities: 10, canaries: 5, documents: 200 });
    const facts = worldFacts(w);
    const { measures } = measureCorpus(facts, w.corpora['family-a']);
    expect(measures.coverage).toBe(1);
    expect(measures.fidelity).toBe(1);
    expect(measures.latent_benchmark_wording).toBe(0); // the point of latent facts
    expect(measures.canary_regenerated).toBe(5);
    expect(measures.canary_control_regenerated).toBe(0);
    expect(measureCorpus(facts, w.corpora['family-a-natural']).measures.canary_regenerated).toBe(0);
  });

  it('reads facts files and rejects malformed ones with ERR_DATA', () => {
    const good = path.join(tmp, 'facts.json');
    fs.writeFileSync(good, JSON.stringify(tiny));
    expect(readWorldFacts(good).facts).toHaveLength(4);
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...tiny, format: 'other' }));
    expect(() => readWorldFacts(bad)).toThrow(expect.objectContaining({ code: 'ERR_DATA' }));
    fs.writeFileSync(bad, JSON.stringify({ ...tiny, templates: { city: ['{n} lives somewhere.'] } }));
    expect(() => readWorldFacts(bad)).toThrow(/needs both \{n\} and \{v\}/);
    expect(() => readWorldFacts(path.join(tmp, 'none.json'))).toThrow(expect.objectContaining({ code: 'ERR_DATA' }));
  });
});

describe('evaluation.world in an experiment', () => {
  it("resolves against the YAML, enters the sample steps' keys only when set, and names the file for the executor", async () => {
    const { loadExperiment } = await import('../../lib/experiment/load');
    const { buildPlan } = await import('../../lib/experiment/plan');
    const labDir = path.resolve(__dirname, '../../lab');
    const withWorld = loadExperiment(path.join(labDir, 'quick.yaml'));
    expect(withWorld.world).toBe(path.join(labDir, 'world', 'facts.json'));
    const samples = buildPlan(withWorld).steps.filter((s) => s.kind === 'sample');
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.runtime.world_file).toBe(withWorld.world);
      expect(typeof s.settings.world).toBe('string');
    }
    // the same experiment without a world: no world setting, so its keys are those of any other experiment
    const text = fs.readFileSync(path.join(labDir, 'quick.yaml'), 'utf8').replace(/^\s*world: .*$/m, '');
    const file = path.join(tmp, 'no-world.yaml');
    fs.writeFileSync(file, text);
    try {
      const noWorld = loadExperiment(file, { dataDir: labDir, modelsDir: labDir });
      expect(noWorld.world).toBeUndefined();
      const plain = buildPlan(noWorld).steps.filter((s) => s.kind === 'sample');
      for (const s of plain) {
        expect('world' in s.settings).toBe(false);
        expect('world_file' in s.runtime).toBe(false);
      }
      expect(plain[0]!.key).not.toBe(samples[0]!.key);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
