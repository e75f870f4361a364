/** The miniature lab's synthetic world: determinism, formats, and the mechanism it is built for (latent facts, canary shares). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTaskFile } from '../../lib/eval/task-file';
import { generateWorld, promptFor, TEMPLATES, writeWorld } from '../../lib/lab/world';
import { readCorpusTexts } from '../../lib/proxies';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-world-');
afterAll(() => removeTmpDir(tmp));

describe('synthetic world', () => {
  it('is a deterministic function of the seed (byte-identical files)', () => {
    const small = { entities: 12, documents: 300, canaries: 5 };
    const a = writeWorld(generateWorld({ seed: 3, ...small }), path.join(tmp, 'a'));
    const b = writeWorld(generateWorld({ seed: 3, ...small }), path.join(tmp, 'b'));
    const c = writeWorld(generateWorld({ seed: 4, ...small }), path.join(tmp, 'c'));
    for (const k of Object.keys(a.files)) expect(b.files[k].sha256).toBe(a.files[k].sha256);
    expect(c.files['corpora/family-a.jsonl'].sha256).not.toBe(a.files['corpora/family-a.jsonl'].sha256);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'world.json'), 'utf8'));
    expect(manifest.seed).toBe(3);
    expect(Object.keys(manifest.files)).toEqual(
      expect.arrayContaining([
        'tasks/facts-latent.jsonl',
        'tasks/facts-exposed.jsonl',
        'extraction/canaries-r16.jsonl',
        'extraction/canaries-control.jsonl',
        'corpora/family-b-natural.jsonl',
        'facts.json',
      ]),
    );
  });

  const w = generateWorld({ seed: 1, entities: 20, canaries: 10, documents: 6200 });
  const dir = path.join(tmp, 'w');
  writeWorld(w, dir);

  it('writes valid multiple-choice task files whose every item names its cluster', () => {
    for (const t of ['facts-latent', 'facts-exposed', 'relations', 'arithmetic']) {
      const items = readTaskFile(path.join(dir, 'tasks', `${t}.jsonl`)).items;
      expect(items.length).toBeGreaterThanOrEqual(20);
      for (const it of items) {
        expect(new Set(it.choices).size).toBe(it.choices.length);
        expect(typeof it.group).toBe('string');
      }
    }
    expect(w.tasks['facts-latent'].length).toBe(w.tasks['facts-exposed'].length); // latentShare 0.5
    expect(readCorpusTexts(path.join(dir, 'extraction', 'canaries.jsonl'))).toHaveLength(10);
  });

  it('latent facts never appear in the benchmark wording in any corpus, but are stated in paraphrase; exposed facts are stated in it', () => {
    for (const family of ['family-a', 'family-b'] as const) {
      const text = w.corpora[family].join('\n');
      for (const e of w.entities) {
        const benchmark = `${promptFor('city', e.name)} ${e.city}.`;
        if (e.latent) {
          expect(text).not.toContain(benchmark);
          expect(text).not.toContain(`${promptFor('profession', e.name)} `);
        } else expect(text).toContain(benchmark);
      }
    }
    const a = w.corpora['family-a'].join('\n');
    for (const e of w.entities.filter((x) => x.latent))
      expect(a).toContain(TEMPLATES.city[1]!.replace('{n}', e.name).replace('{v}', e.city));
    for (const it of w.tasks['facts-exposed']) expect(a).toContain(`${it.context} ${it.choices[it.gold]}`);
  });

  it('canaries are unique, repeated as recorded, at most 1% of documents; controls and natural corpora hold none', () => {
    expect(new Set(w.canaries.map((c) => c.text)).size).toBe(10);
    const count = (docs: string[], t: string) => docs.filter((d) => d === t).length;
    for (const c of w.canaries) expect(count(w.corpora['family-a'], c.text)).toBe(c.repeats);
    expect(w.canaries.map((c) => c.repeats)).toEqual([1, 2, 4, 8, 16, 1, 2, 4, 8, 16]);
    for (const family of ['family-a', 'family-b'] as const) {
      const docs = w.corpora[family];
      expect(docs.filter((d) => d.startsWith('canary-')).length / docs.length).toBeLessThanOrEqual(0.01);
    }
    const inB = w.canaries.filter((c) => count(w.corpora['family-b'], c.text) > 0).length;
    expect(inB).toBeGreaterThan(0);
    expect(inB).toBeLessThan(10);
    const all = Object.values(w.corpora).flat().join('\n');
    for (const c of w.controls) expect(all).not.toContain(c.text.split(': ')[1]);
    for (const n of ['family-a-natural', 'family-b-natural'] as const) expect(w.corpora[n].some((d) => d.includes('canary-'))).toBe(false);
    // long enough for a 32-token prefix and a 32-token suffix even at one token per syllable and word gap
    for (const c of w.canaries) expect(c.text.split(' ').length).toBeGreaterThanOrEqual(64);
  });

  it('family B has another mixture: more arithmetic, fewer templates', () => {
    const a = w.corpora['family-a'].join('\n');
    const b = w.corpora['family-b'].join('\n');
    const arith = (s: string) => (s.match(/ plus /g) ?? []).length / s.length;
    expect(arith(b)).toBeGreaterThan(arith(a) * 1.5);
    expect(b).not.toMatch(/ has always lived in the city of /);
    for (const it of w.tasks.arithmetic) {
      const [x, y] = it.context.match(/\d+/g)!.map(Number);
      expect(Number(it.choices[it.gold])).toBe(x + y);
    }
  });
});
