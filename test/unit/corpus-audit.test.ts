/**
 * `corpus audit`: normalisation and flagged ids against the independent Python implementation of the
 * reference rule (test/reference/audit_golden.py: stdlib `re`, n-grams as word tuples, no hashing), on
 * a fixture of tricky text; the hash's uniformity (which its collision bound assumes); the hash set;
 * verbatim search; outputs and bad input.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCorpus, type AuditReport } from '../../lib/corpus/audit';
import { hashWords, ngramHash, NgramHashSet } from '../../lib/corpus/ngram-hash';
import { auditWords, normalizeForAudit } from '../../lib/corpus/ngram-normalize';
import { readManifest } from '../../lib/corpus/manifest';
import { corpusRecords, openCorpus } from '../../lib/corpus/read-corpus';
import type { CorpusRecord } from '../../lib/corpus/shard';
import { VerbatimMatcher } from '../../lib/corpus/verbatim';
import { Rng } from '../../lib/stats/prng';
import { runCli } from '../helpers/cli';
import { writeCorpusFixture } from '../helpers/corpus-fixture';
import { makeTmpDir, REPO_ROOT, removeTmpDir, sharedTokenizerDir } from '../helpers/shared';

const PYTHON = '/usr/bin/python3';
const GOLDEN = path.join(REPO_ROOT, 'test', 'reference', 'audit_golden.py');

// Benchmarks: ARC-like multiple choice, WinoGrande-like partial, LAMBADA-like loglikelihood, code.
const ARC = [
  {
    context: 'Question: Which gas do green plants absorb from the air during photosynthesis?\nAnswer:',
    choices: ['carbon dioxide', 'oxygen', 'nitrogen gas only', 'helium'],
    gold: 0,
  },
  {
    context: "Question: A student's bicycle—rusty & old—was left outside; what caused the rust?\nAnswer:",
    choices: ['water and oxygen reacting with iron', 'sunlight'],
    gold: 0,
  },
  { context: "Qu'est-ce que la CAFÉ noire ŒUVRE d'art Ⅻ ½ x² signifie vraiment pour nous?", choices: ['rien', 'tout'], gold: 1 },
];
const WINO = [
  {
    context: 'The trophy would not fit in the brown suitcase because the',
    choices: ['trophy', 'suitcase'],
    continuation: 'was too large for it to hold.',
    gold: 0,
  },
];
const LAMBADA = [
  { context: 'ΟΔΟΣ ΣΟΦΙΑΣ: she walked slowly along the İstanbul harbour at night,\u00a0watching the', continuation: 'ships' },
];
const CODE = [
  {
    context: 'def add_numbers(first_value, second_value):\n    """Return x_1 + y_2 == 42 for 2_000 cases."""\n',
    choices: ['    return first_value + second_value\n'],
    gold: 0,
  },
];

// Corpus texts, each probing one part of the rule (comments give the expectation at n = 8).
const TEXTS = [
  /* 0 flagged: ARC 8-gram, other case and punctuation */ 'I read: WHICH gas... do GREEN plants absorb, from the AIR?! yes',
  /* 1 kept: 7 words only of it */ 'which gas do green plants absorb from something else entirely here',
  /* 2 flagged: spans the question/choice boundary (fields joined by a space) */ 'during photosynthesis answer carbon dioxide oxygen nitrogen gas only, said nobody',
  /* 3 flagged: apostrophe, '&' and em dashes deleted, not spaced ("bicycle—rusty", "old—was" glue) */ 'a students bicyclerusty  oldwas left outside what caused the rust',
  /* 4 kept: the dashes written as spaces: words stay apart */ "a student's bicycle rusty old was left outside what caused the rust",
  /* 5 flagged: line breaks, tabs, \x1c, \x85, U+3000 and NBSP are whitespace in Python */ 'the\ntrophy\twould\x1cnot\x85fit\u3000in\u00a0the brown suitcase',
  /* 6 kept: U+FEFF is not whitespace in Python (removed, gluing words) */ 'the trophy would not fit\ufeffin the brown suitcase',
  /* 7 flagged: spans partial choices and continuation */ 'because the trophy suitcase was too large for it',
  /* 8 flagged: Greek capitals, final sigma, dotted capital I, NBSP */ 'οδος σοφιας she walked slowly along the i̇stanbul harbour',
  /* 9 flagged: İ.lower() is i + U+0307, and the mark is not \w, so it equals ascii "istanbul" */ 'she walked slowly along the istanbul harbour at night',
  /* 10 kept: decomposed e + U+0301 loses its mark ("cafe"), precomposed É keeps it ("café") */ "qu'est-ce que la cafe\u0301 noire œuvre d'art ⅻ ½ x² signifie",
  /* 11 flagged: underscores and digits are word characters; = and + are not */ 'return x_1  y_2  42 for 2_000 cases return first_value second_value',
  /* 12 kept: fewer than 8 words */ 'carbon dioxide oxygen',
  /* 13 kept: empty */ '',
  /* 14 kept: across two ARC items (items are separate texts) */ 'nitrogen gas only helium question a students bicyclerusty old',
  /* 15 flagged twice: ARC and WinoGrande */ 'which gas do green plants absorb from the air and the trophy would not fit in the brown suitcase',
  /* 16 kept: full-width digits and other scripts, no benchmark text */ '１２３ 東京 タワー‿ abc\u200dd e f g h i j k',
  /* 17 flagged: zero-width joiner (Cf) is deleted inside a word */ 'which gas do green pla\u200dnts absorb from the air',
  /* 18 flagged: Œ, Roman numeral Ⅻ (lower ⅻ), ½ and ² are \w */ "CAFÉ NOIRE ŒUVRE D'ART Ⅻ ½ X² SIGNIFIE VRAIMENT",
];

let root: string;
let corpusDir: string;
let taskFiles: string[];
let records: CorpusRecord[];

function writeJsonl(file: string, rows: unknown[]): string {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

function golden(n: number): { flagged: number[]; per_benchmark: Record<string, number[]>; normalized: Record<string, string> } {
  return JSON.parse(execFileSync(PYTHON, [GOLDEN, String(n), corpusDir, ...taskFiles], { encoding: 'utf8' }));
}

beforeAll(async () => {
  root = makeTmpDir('resurface-audit-');
  corpusDir = path.join(root, 'corpus');
  fs.mkdirSync(corpusDir);
  records = TEXTS.map((text, id) => ({
    id,
    text,
    tokens: [id + 1, id + 2],
    num_tokens: 2,
    finish_reason: id % 3 ? 'eos' : 'length',
    logprobs: [-1, -id / 10],
    mean_nll: (1 + id / 10) / 2,
  }));
  await writeCorpusFixture(corpusDir, [records.slice(0, 7), records.slice(7, 14), records.slice(14)]);
  taskFiles = [
    writeJsonl(path.join(root, 'arc.jsonl'), ARC),
    writeJsonl(path.join(root, 'wino.jsonl'), WINO),
    writeJsonl(path.join(root, 'lambada.jsonl'), LAMBADA),
    writeJsonl(path.join(root, 'code.jsonl'), CODE),
  ];
});

afterAll(() => removeTmpDir(root));

describe('normalisation equals Python re (reference normalize)', () => {
  it('on every fixture text', () => {
    const g = golden(8);
    for (const [id, text] of TEXTS.entries()) expect(normalizeForAudit(text), `text ${id}`).toBe(g.normalized[id]);
  });

  it("on every code point Python's Unicode database assigns (lower(), \\w, \\s)", () => {
    const py = JSON.parse(execFileSync(PYTHON, [GOLDEN, '--classes'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as {
      unicode: string;
      normalized: Record<string, string>;
    };
    const entries = Object.entries(py.normalized);
    expect(entries.length).toBeGreaterThan(140_000);
    const wrong = entries
      .filter(([c, want]) => normalizeForAudit(`A${String.fromCodePoint(Number(c))}b`) !== want)
      .map(([c]) => `U+${Number(c).toString(16)}`);
    expect(wrong, `Python's Unicode ${py.unicode}`).toEqual([]);
  });

  it('splits into the words Python str.split() gives', () => {
    expect(auditWords('  A-b  c_d\n\n1.5 ')).toEqual(['ab', 'c_d', '15']);
    expect(auditWords('!!! ...')).toEqual([]);
  });
});

describe('flagged ids equal the Python reference', () => {
  for (const n of [8, 3, 1]) {
    it(`n = ${n}`, async () => {
      const out = path.join(root, `clean-n${n}`);
      const r = await auditCorpus({ corpusDir, taskFiles, n, outDir: out });
      const g = golden(n);
      expect(r.flaggedIds).toEqual(g.flagged);
      for (const b of r.benchmarks) expect(b.flaggedIds, b.name).toEqual(g.per_benchmark[b.file]);
      if (n === 8) {
        // the fixture's own expectations (the comments above), so a wrong golden script shows too
        expect(r.flaggedIds).toEqual([0, 2, 3, 5, 7, 8, 9, 11, 15, 17, 18]);
        expect(r.benchmarks.find((b) => b.name === 'wino')!.flaggedIds).toEqual([5, 7, 15]);
      }
    });
  }
});

describe('outputs', () => {
  let r: AuditReport;
  let out: string;
  beforeAll(async () => {
    out = path.join(root, 'clean');
    r = await auditCorpus({
      corpusDir,
      taskFiles,
      outDir: out,
      extraction: { file: 'x.jsonl', texts: ['green plants absorb', 'never occurs anywhere', 'the'] },
    });
  });

  it('the clean corpus holds exactly the unflagged records, renumbered, with their logprobs', () => {
    const clean = [...corpusRecords(openCorpus(out, { requireComplete: true }))];
    const kept = records.filter((x) => !r.flaggedIds.includes(x.id));
    expect(clean.map((x) => x.text)).toEqual(kept.map((x) => x.text));
    expect(clean.map((x) => x.id)).toEqual(kept.map((_, i) => i));
    expect(clean.map((x) => x.mean_nll)).toEqual(kept.map((x) => x.mean_nll));
    const m = readManifest(out);
    expect(m.derivedFrom!.sourceIds).toEqual(kept.map((x) => x.id));
    expect(m.counts.samples).toBe(kept.length);
    expect(m.audit!.n).toBe(8);
    expect(m.audit!.flaggedIds).toEqual(r.flaggedIds);
    expect(m.audit!.benchmarks.map((b) => b.sha256)).toEqual(
      taskFiles.map((f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')),
    );
  });

  it('writes audit.json and the kept-vs-dropped NLL histogram', () => {
    const a = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));
    expect(a.flagged).toBe(11);
    expect(a.shortSamples).toBe(2);
    expect(a.nll.available).toBe(true);
    expect(a.nll.kept.n + a.nll.dropped.n).toBe(TEXTS.length);
    expect(fs.readFileSync(path.join(out, 'nll-histogram.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('reports the extraction spans found verbatim, with kept ids', () => {
    expect(r.extraction!.found).toBe(2);
    expect(r.extraction!.items[0]).toMatchObject({ index: 0, samples: 2, ids: [1, 15], keptIds: [1] });
    expect(r.extraction!.items[1]!.index).toBe(2);
  });

  it('says so when records carry no mean_nll', async () => {
    const dir = path.join(root, 'no-nll');
    fs.mkdirSync(dir);
    await writeCorpusFixture(dir, [records.map(({ logprobs: _l, mean_nll: _m, ...x }) => x)]);
    const rr = await auditCorpus({ corpusDir: dir, taskFiles, outDir: path.join(root, 'no-nll-clean') });
    expect(rr.nll.available).toBe(false);
    expect(fs.existsSync(path.join(root, 'no-nll-clean', 'nll-histogram.svg'))).toBe(false);
  });
});

describe('bad input', () => {
  it('a file that is not a task, n < 1, a missing corpus, a non-empty --out: codes, nothing written', async () => {
    const notTask = writeJsonl(path.join(root, 'not-task.jsonl'), [{ question: 'q', answer: 'a' }]);
    const out = path.join(root, 'never');
    await expect(auditCorpus({ corpusDir, taskFiles: [notTask], outDir: out })).rejects.toMatchObject({ code: 'ERR_TASK' });
    await expect(auditCorpus({ corpusDir, taskFiles, n: 0, outDir: out })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(auditCorpus({ corpusDir: path.join(root, 'nope'), taskFiles, outDir: out })).rejects.toMatchObject({ code: 'ERR_CORPUS' });
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const busy = path.join(root, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    await expect(auditCorpus({ corpusDir, taskFiles, outDir: busy })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(fs.readdirSync(busy)).toEqual(['keep.txt']);
  });

  it('every sample flagged: audit.json is kept, no clean corpus, ERR_CORPUS', async () => {
    const dir = path.join(root, 'all-flagged');
    fs.mkdirSync(dir);
    await writeCorpusFixture(dir, [[records[0]!, { ...records[2]!, id: 1 }]]);
    const out = path.join(root, 'all-flagged-out');
    await expect(auditCorpus({ corpusDir: dir, taskFiles, outDir: out })).rejects.toMatchObject({
      code: 'ERR_CORPUS',
      message: expect.stringMatching(/every one of the 2 samples/),
    });
    expect(fs.readdirSync(out).sort()).toEqual(['audit.json', 'nll-histogram.svg']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8')).flaggedIds).toEqual([0, 1]);
  });

  it('the CLI: --task repeated, --json summary', async () => {
    const res = await runCli([
      'corpus',
      'audit',
      corpusDir,
      ...taskFiles.flatMap((t) => ['--task', t]),
      '--out',
      path.join(root, 'cli-ok'),
      '--json',
    ]);
    expect(res.status, res.stderr).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.flagged).toBe(11);
    expect(j.benchmarks).toHaveLength(4);
  });

  it('the CLI decodes --extraction spans with --tokenizer (offset, prefix + suffix) and looks them up', async () => {
    const ex = writeJsonl(path.join(root, 'extraction.jsonl'), [
      { text: 'X which gas do green plants absorb' },
      { text: 'zebra quantum lattice fjord' },
    ]);
    const args = [
      'corpus',
      'audit',
      corpusDir,
      '--task',
      taskFiles[0]!,
      '--extraction',
      ex,
      '--prefix-len',
      '2',
      '--suffix-len',
      '2',
      '--offset',
      '2',
    ];
    const res = await runCli([...args, '--tokenizer', sharedTokenizerDir('pythia'), '--out', path.join(root, 'cli-ex'), '--json']);
    expect(res.status, res.stderr).toBe(0);
    const e = JSON.parse(res.stdout).extraction;
    expect(e.sequences).toBe(2);
    expect(e.items.map((i: { index: number }) => i.index)).toEqual([0]); // tokens 2..5, " gas do green plants", are in texts 1 and 15 (0 is upper-case, 17 has a joiner)
    expect(e.items[0].ids).toEqual([1, 15]);
    const noTok = await runCli([...args, '--out', path.join(root, 'cli-ex2')]);
    expect(noTok.stderr).toMatch(/^error ERR_TOKENIZER: .*--tokenizer/);
  });

  it('the CLI prints the code', async () => {
    const res = await runCli(['corpus', 'audit', corpusDir, '--task', path.join(root, 'nope.jsonl'), '--out', path.join(root, 'cli-out')]);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/error ERR_IO|error ERR_TASK/);
  });
});

describe('64-bit n-gram hash', () => {
  /** Distinct random n-grams over a vocabulary, as word-hash lanes. */
  function randomNgrams(count: number, n: number, seed: number): Array<[number, number]> {
    const rng = new Rng(seed);
    const seen = new Set<string>();
    const out: Array<[number, number]> = [];
    const h = new Uint32Array(2);
    while (out.length < count) {
      const words = Array.from({ length: n }, () => `w${rng.int(5000)}`);
      const key = words.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      const { a, b } = hashWords(words);
      ngramHash(a, b, 0, n, h);
      out.push([h[0]!, h[1]!]);
    }
    return out;
  }

  it("truncated to 16 and 20 bits, false positives occur at the rate a uniform hash predicts (the bound's assumption)", () => {
    const all = randomNgrams(30000, 8, 1);
    const stored = all.slice(0, 10000),
      queries = all.slice(10000);
    for (const [bits, pick] of [
      [16, (x: [number, number]) => x[0] & 0xffff],
      [16, (x: [number, number]) => x[1] >>> 16],
      [16, (x: [number, number]) => ((x[0] & 0xff) << 8) | (x[1] & 0xff)],
      [20, (x: [number, number]) => x[1] & 0xfffff],
    ] as const) {
      const set = new Set(stored.map(pick));
      const p = set.size / 2 ** bits; // chance that a uniform query value hits the stored ones
      const fp = queries.filter((q) => set.has(pick(q))).length;
      const expected = p * queries.length;
      expect(Math.abs(fp - expected), `${bits} bits: ${fp} vs ${expected.toFixed(1)}`).toBeLessThan(5 * Math.sqrt(expected * (1 - p)));
    }
  });

  it('order and length matter; equal n-grams hash equally', () => {
    const h = (ws: string[]) => {
      const { a, b } = hashWords(ws);
      const o = new Uint32Array(2);
      ngramHash(a, b, 0, ws.length, o);
      return `${o[0]}:${o[1]}`;
    };
    expect(h(['a', 'b', 'c'])).toBe(h(['a', 'b', 'c']));
    expect(h(['a', 'b', 'c'])).not.toBe(h(['c', 'b', 'a']));
    expect(h(['ab', 'c'])).not.toBe(h(['a', 'bc']));
    expect(new Set(randomNgrams(20000, 4, 2).map((x) => `${x[0]}:${x[1]}`)).size).toBe(20000);
  });

  it('NgramHashSet equals a Set through growth, with per-group bits', () => {
    const rng = new Rng(3);
    const s = new NgramHashSet(40, 16);
    const ref = new Map<string, Set<number>>();
    for (let i = 0; i < 5000; i++) {
      const hi = rng.int(200),
        lo = rng.int(2 ** 32),
        g = rng.int(40);
      const k = `${hi}:${lo}`;
      const fresh = !(ref.get(k)?.has(g) ?? false);
      expect(s.add(hi, lo, g)).toBe(fresh);
      if (!ref.has(k)) ref.set(k, new Set());
      ref.get(k)!.add(g);
    }
    expect(s.size).toBe(ref.size);
    for (const [k, gs] of ref) {
      const [hi, lo] = k.split(':').map(Number);
      const slot = s.find(hi!, lo!);
      const acc = new Uint32Array(2);
      s.orGroups(slot, acc);
      expect([...Array(40).keys()].filter((g) => acc[g >>> 5]! & (1 << (g & 31)))).toEqual([...gs].sort((a, b) => a - b));
    }
    expect(s.find(999, 1)).toBe(-1);
    expect(s.add(0, 0, 0)).toBe(true); // the reserved empty key is stored as (0, 1)
    expect(s.find(0, 0)).toBeGreaterThanOrEqual(0);
  });
});

describe('verbatim matcher', () => {
  it('finds every occurrence, including overlapping ones and at the ends, and only real ones', () => {
    const m = new VerbatimMatcher(['abab', 'xyz', 'b', '']);
    m.scan('ababab', 0);
    m.scan('xyz', 1);
    m.scan('zzz', 2);
    const f = m.found();
    expect(f).toEqual([
      { pattern: 0, ids: [0], samples: 1, occurrences: 2 },
      { pattern: 1, ids: [1], samples: 1, occurrences: 1 },
      { pattern: 2, ids: [0], samples: 1, occurrences: 3 },
    ]);
  });

  it('agrees with String.includes on random texts', () => {
    const rng = new Rng(4);
    const rand = (len: number) => Array.from({ length: len }, () => 'ab😀c'[rng.int(4)]).join('');
    const pats = Array.from({ length: 30 }, () => rand(3 + rng.int(6)));
    const texts = Array.from({ length: 50 }, () => rand(60));
    const m = new VerbatimMatcher(pats);
    texts.forEach((t, i) => m.scan(t, i));
    const got = new Map(m.found().map((h) => [h.pattern, h.ids]));
    pats.forEach((p, i) => expect(got.get(i) ?? [], p).toEqual(texts.flatMap((t, j) => (t.includes(p) ? [j] : []))));
  });
});
