/** `stats correlate` and `extract compare` command handlers, in-process. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as extractCompare from '../../lib/cli/commands/extract-compare';
import { correlateHandler, powerHandler } from '../../lib/cli/commands/stats';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir();
afterAll(() => removeTmpDir(tmp));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}

describe('stats correlate', () => {
  const csv = path.join(tmp, 'r.csv');
  fs.writeFileSync(csv, 'proxy,gain,note\n1,0.1,a\n2,0.3,"b, c"\n3,0.2,d\n4,0.5,e\n,0.9,missing\n5,0.6,f\n');
  it('prints Spearman and Kendall with CIs, skipping rows with missing values', async () => {
    const c = capture();
    await correlateHandler({ file: csv, x: 'proxy', y: 'gain', resamples: 200, level: 0.9, seed: 1, json: true });
    const r = JSON.parse(c.out());
    expect(r.n).toBe(5);
    expect(r.skipped_rows).toBe(1);
    expect(r.spearman.estimate).toBeCloseTo(0.9, 12);
    expect(r.kendall.estimate).toBeCloseTo(0.8, 12);
  });
  it('an unknown column is a one-line coded error', async () => {
    const c = capture();
    await correlateHandler({ file: csv, x: 'nope', y: 'gain', resamples: 10, level: 0.95, seed: 0, json: false });
    expect(c.err()).toMatch(/^error ERR_INVALID_ARGUMENT: column 'nope' is not in/);
    expect(process.exitCode).toBe(1);
  });
});

describe('stats power', () => {
  const args = {
    experiment: path.resolve(__dirname, '../../lab/quick.yaml'),
    effect: 5,
    sims: 40,
    seedSd: 1.5,
    baseExtraction: 0.5,
    corpusMeasures: false,
    seed: 0,
    json: true,
  };
  it("reads the design from the experiment file and reports each finding's error rates and power", async () => {
    const c = capture();
    await powerHandler(args);
    const r = JSON.parse(c.out());
    // lab/quick.yaml: 2 students, 5 sources, 1 temperature, 1 seed; 4 task files; canary sets of 4, 4, 4 (and 10 controls, not held out).
    expect(r.design).toMatchObject({ students: 2, sources: 5, temperatures: [1.25], seeds: 1, heldoutSequences: 12 });
    expect(r.design.tasks.map((t: { name: string }) => t.name)).toEqual(['facts-latent', 'facts-exposed', 'relations', 'arithmetic']);
    expect(r.rows.map((x: { finding: string }) => x.finding)).toEqual(['utility', 'relational', 'decoupling', 'proxies', 'temperature']);
    // One seed per cell: seed variance cannot be estimated, so no gain contrast is ever decided; one
    // temperature gives no slope. Decoupling's extraction bound is exact, but 22 sequences can never show
    // a 95% drop, so it is never "supported" either. The proxies need 8 source clusters, the lab has 5
    // (with 5, a Holm family of noise proxies was falsely contradicted 15% of the time: see rank-correlation.ts).
    const by = Object.fromEntries(r.rows.map((x: { finding: string }) => [x.finding, x]));
    for (const id of ['utility', 'relational', 'proxies', 'temperature']) expect(by[id].untestable).toBe(true);
    expect(by.decoupling.power).toBe(0);
    for (const row of r.rows) expect(row.falseContradicted).toBe(0);
  });
  it('rejects nonsense settings with a coded error', async () => {
    const c = capture();
    await powerHandler({ ...args, sims: 3 });
    expect(c.err()).toMatch(/^error ERR_INVALID_ARGUMENT: --sims must be an integer >= 20/);
    expect(process.exitCode).toBe(1);
  });
});

describe('extract compare', () => {
  const write = (name: string, exact: boolean[]) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(
      f,
      JSON.stringify({
        n: exact.length,
        exact_match_rate: exact.filter(Boolean).length / exact.length,
        exact_match_ci: [0, 1],
        mean_score: 0.5,
        items: exact.map((e, index) => ({ index, score: e ? 1 : 0, exact: e })),
      }),
    );
    return f;
  };
  it('reports the relative drop with a paired bootstrap CI', async () => {
    const a = write('a.json', [true, true, true, true, false, false, false, false, true, true]);
    const b = write('b.json', [true, false, false, true, false, false, false, false, false, true]);
    const c = capture();
    await extractCompare.handler({ a, b, resamples: 300, level: 0.95, seed: 0, json: false });
    expect(c.out()).toMatch(/relative drop \(A − B\) \/ A: 50\.0% \[\d+\.\d%, \d+\.\d%\]/);
  });
  it('a file that is not an extraction result is rejected clearly', async () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"n": 3}');
    const c = capture();
    await extractCompare.handler({ a: bad, b: bad, resamples: 10, level: 0.95, seed: 0, json: false });
    expect(c.err()).toMatch(/^error ERR_DATA: .*bad\.json: not an `extract --json` result: exact_match_rate/);
  });
});
