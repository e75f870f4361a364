/** The miniature lab's synthetic world: determinism, formats, and that the benchmarks test what the corpora state. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorld, writeWorld } from '../../lib/lab/world';
import { readCorpusTexts, readTaskItems } from '../../lib/proxies';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-world-');
afterAll(() => removeTmpDir(tmp));

describe('synthetic world', () => {
  it('is a deterministic function of the seed (byte-identical files)', () => {
    const a = writeWorld(generateWorld({ seed: 3 }), path.join(tmp, 'a'));
    const b = writeWorld(generateWorld({ seed: 3 }), path.join(tmp, 'b'));
    const c = writeWorld(generateWorld({ seed: 4 }), path.join(tmp, 'c'));
    for (const k of Object.keys(a.files)) expect(b.files[k].sha256).toBe(a.files[k].sha256);
    expect(c.files['corpora/family-a.jsonl'].sha256).not.toBe(a.files['corpora/family-a.jsonl'].sha256);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'world.json'), 'utf8'));
    expect(manifest.seed).toBe(3);
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['tasks/facts.jsonl', 'extraction/canaries.jsonl', 'corpora/family-b.jsonl']));
  });

  const w = generateWorld({ seed: 1, entities: 20, canaries: 10, documents: 200 });
  const dir = path.join(tmp, 'w');
  writeWorld(w, dir);

  it('writes valid multiple-choice task files and {"text"} extraction sets', () => {
    for (const t of ['facts', 'arithmetic', 'ordering', 'relations']) {
      const items = readTaskItems(path.join(dir, 'tasks', `${t}.jsonl`));
      expect(items.length).toBeGreaterThan(10);
      for (const it of items) expect(new Set(it.choices).size).toBe(it.choices.length);
    }
    expect(readCorpusTexts(path.join(dir, 'extraction', 'canaries.jsonl'))).toHaveLength(10);
    expect(readCorpusTexts(path.join(dir, 'corpora', 'family-a.jsonl')).length).toBeGreaterThanOrEqual(200);
  });

  it('canaries are unique and repeated as recorded; family B holds a different share', () => {
    expect(new Set(w.canaries.map((c) => c.text)).size).toBe(10);
    const count = (docs: string[], t: string) => docs.filter((d) => d === t).length;
    for (const c of w.canaries) expect(count(w.corpora['family-a'], c.text)).toBe(c.repeats);
    const inB = w.canaries.filter((c) => count(w.corpora['family-b'], c.text) > 0).length;
    expect(inB).toBeGreaterThan(0);
    expect(inB).toBeLessThan(10);
  });

  it('every benchmark answer is stated in family A, and family B has another mixture', () => {
    const a = w.corpora['family-a'].join('\n');
    for (const it of w.tasks.facts) expect(a).toContain(`${it.context} ${it.choices[it.gold]}`);
    for (const it of w.tasks.relations) expect(a).toContain(`${it.context} ${it.choices[it.gold]}`);
    const b = w.corpora['family-b'].join('\n');
    const arith = (s: string) => (s.match(/ plus /g) ?? []).length / s.length;
    expect(arith(b)).toBeGreaterThan(arith(a) * 1.5);
    expect(b).not.toMatch(/ lives in [A-Z]/); // family B never sees the benchmark's own wording for cities
    for (const it of w.tasks.arithmetic) {
      const [x, y] = it.context.match(/\d+/g)!.map(Number);
      expect(Number(it.choices[it.gold])).toBe(x + y);
    }
  });
});
