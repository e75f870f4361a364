/**
 * The miniature lab end to end (`resurface lab --preset quick`), through the CLI as users run it:
 *   - the report holds every table and plot (report.md sections with rows, results.csv columns,
 *     each SVG with marks, the HTML with the figures inlined) and the terminal shows the findings;
 *   - rerunning into the same folder reuses every step (no cached step starts twice);
 *   - a run SIGKILLed in the middle of a training step and then rerun finishes with the same
 *     results as the uninterrupted run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../lib/report';
import { collect, runCli, spawnCli, waitFor, type CliResult } from '../helpers/cli';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-lab-e2e-');
afterAll(() => removeTmpDir(tmp));

const RUN = path.join(tmp, 'run');
const KILLED = path.join(tmp, 'killed');
const LAB_TIMEOUT = 300_000; // the quick preset takes ≤ 90 s on 2 idle cores; leave room for a busy machine

interface Ev {
  event: string;
  id: string;
  kind: string;
  pid: number;
}
const events = (runDir: string): Ev[] =>
  fs
    .readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);

let first: CliResult;
let firstSeconds = 0;

beforeAll(async () => {
  const t0 = Date.now();
  first = await runCli(['lab', '--preset', 'quick', '--out', RUN], LAB_TIMEOUT);
  firstSeconds = (Date.now() - t0) / 1000;
  console.log(`lab --preset quick: ${firstSeconds.toFixed(1)}s`);
}, LAB_TIMEOUT);

describe('resurface lab --preset quick', () => {
  it('runs every step and prints the findings table and where the report is', () => {
    expect(first.stderr).not.toMatch(/error ERR_/);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/lab quick: \d+ steps ran, 0 reused, 0 failed, 0 skipped/);
    for (const id of ['utility', 'relational', 'decoupling', 'proxies', 'temperature'])
      expect(first.stdout).toMatch(new RegExp(`^${id}\\s+(supported|contradicted|not shown)\\s`, 'm'));
    expect(first.stdout).toContain(`report: ${path.relative(process.cwd(), path.join(RUN, 'report', 'report.html'))}`);
    const timing = JSON.parse(fs.readFileSync(path.join(RUN, 'lab-timing.json'), 'utf8'));
    expect(Object.keys(timing.perKind).sort()).toEqual([
      'eval',
      'extract',
      'natural',
      'proxies',
      'report',
      'retokenize',
      'sample',
      'train',
    ]);
  });

  it('writes a report with every table and plot', () => {
    const dir = path.join(RUN, 'report');
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    const sections = md.split(/^## /m).slice(1);
    const titles = sections.map((s) => s.split('\n')[0]);
    for (const t of [
      'Findings',
      'Relational utility matrix',
      'Gain, coverage and fidelity by temperature',
      'Intrinsic proxies against the gain',
      'Verbatim extraction before and after',
      'Capability against extraction',
    ])
      expect(titles.some((x) => x.startsWith(t))).toBe(true);
    // One section per finding, headed by its verdict.
    for (const id of ['utility', 'relational', 'decoupling', 'proxies', 'temperature'])
      expect(titles.some((x) => new RegExp(`^${id}: (supported|contradicted|not shown)$`).test(x))).toBe(true);
    for (const s of sections.filter((x) => !/^(Findings|utility|relational|decoupling|proxies|temperature)\b/.test(x))) {
      expect(s).not.toContain('(no data)');
      expect(s.split('\n').filter((l) => l.startsWith('| ')).length).toBeGreaterThanOrEqual(3); // header, rule, ≥ 1 row
    }
    // the relational matrix: one row per student and source, with its role
    const roles = [
      ['a-small', 'a-small', 'self'],
      ['a-small', 'a-large', 'same-lineage'],
      ['a-small', 'a-alt', 'different-recipe'],
      ['a-small', 'b-small', 'cross-family'],
      ['a-small', 'b-large', 'cross-family'],
      ['b-small', 'b-small', 'self'],
      ['b-small', 'b-large', 'same-lineage'],
      ['b-small', 'a-small', 'cross-family'],
      ['b-small', 'a-large', 'cross-family'],
      ['b-small', 'a-alt', 'cross-family'],
      ['a-small', 'a-small:natural', 'forgetting-control'],
      ['b-small', 'b-small:natural', 'forgetting-control'],
    ];
    for (const [student, source, relation] of roles) expect(md).toMatch(new RegExp(`\\| ${student} \\| ${source} \\| ${relation} \\|`));

    const csv = parseCsv(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8'));
    for (const c of ['stage', 'student', 'source', 'relation', 'temperature', 'seed', 'accuracy', 'gain', 'extraction', 'train_loss'])
      expect(csv.columns).toContain(c);
    for (const t of ['facts-latent', 'facts-exposed', 'relations', 'arithmetic'])
      expect(csv.columns).toEqual(expect.arrayContaining([`acc:${t}`, `gain:${t}`]));
    for (const x of ['canaries-r4', 'canaries-r8', 'canaries-r16', 'canaries-control'])
      expect(csv.columns).toEqual(expect.arrayContaining([`extract:${x}`, `extract_drop:${x}`]));
    expect(csv.columns.some((c) => c.startsWith('tfidf_centroid:'))).toBe(true);
    expect(csv.columns.some((c) => c.startsWith('embed_centroid:'))).toBe(true);
    // corpus measures against the world's facts, per corpus
    for (const m of ['coverage', 'fidelity', 'latent_benchmark_wording', 'canary_regenerated', 'canary_control_regenerated'])
      expect(csv.columns).toContain(`corpus:${m}`);
    expect(csv.rows.filter((r) => r.stage === 'base')).toHaveLength(5);
    const trained = csv.rows.filter((r) => r.stage === 'trained');
    for (const student of ['a-small', 'b-small'])
      expect(
        trained
          .filter((r) => r.student === student)
          .map((r) => r.source)
          .sort(),
      ).toEqual(['a-alt', 'a-large', 'a-small', 'b-large', 'b-small', `${student}:natural`].sort());
    for (const r of trained) expect(r.gain).toMatch(/^-?\d/); // a number, not an empty cell
    for (const r of trained.filter((x) => !String(x.source).endsWith(':natural'))) {
      expect(Number(r['corpus:coverage'])).toBeGreaterThan(0);
      expect(Number(r['corpus:coverage'])).toBeLessThanOrEqual(1);
    }
    // control canaries (in no corpus) are extracted by no base model: the sanity line
    for (const r of csv.rows.filter((x) => x.stage === 'base')) expect(Number(r['extract:canaries-control'])).toBe(0);

    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    for (const f of [
      'utility-matrix.svg',
      'gain-vs-temperature.svg',
      'corpus-measures-vs-temperature.svg',
      'capability-vs-extraction.svg',
      'proxies-vs-gain.svg',
    ]) {
      const svg = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(svg).toMatch(/<svg[^>]*>/);
      expect(svg).toMatch(/class="mark-/); // vega drew marks, not an empty frame
      expect(md).toContain(`](${f})`);
    }
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5);
    const findings = JSON.parse(fs.readFileSync(path.join(dir, 'findings.json'), 'utf8'));
    expect(findings.missing).toEqual([]);
  });

  it(
    'reuses every step when rerun (no step runs twice)',
    async () => {
      const before = events(RUN).length;
      const r = await runCli(['lab', '--preset', 'quick', '--out', RUN, '--json'], LAB_TIMEOUT);
      expect(r.status).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(summary.counts.failed).toBe(0);
      expect(summary.counts.done).toBe(1); // the report, which is never cached
      const second = events(RUN).slice(before);
      expect(second.filter((e) => e.event === 'start').map((e) => e.id)).toEqual(['report']);
      const starts = new Map<string, number>();
      for (const e of events(RUN)) if (e.event === 'start') starts.set(e.id, (starts.get(e.id) ?? 0) + 1);
      for (const [id, n] of starts) expect([id, n]).toEqual([id, id === 'report' ? 2 : 1]);
      expect(fs.readFileSync(path.join(RUN, 'report', 'results.csv'), 'utf8')).toBeTruthy();
    },
    LAB_TIMEOUT,
  );

  it(
    'a run killed mid-step and resumed gives the same results as an uninterrupted one',
    async () => {
      const child = spawnCli(['lab', '--preset', 'quick', '--out', KILLED]);
      const done = collect(child, LAB_TIMEOUT);
      // Kill during the first training step (after sampling, before any evaluation of trained models).
      await waitFor(
        () => fs.existsSync(path.join(KILLED, 'events.jsonl')) && events(KILLED).some((e) => e.event === 'start' && e.kind === 'train'),
        LAB_TIMEOUT,
        50,
      );
      await new Promise((r) => setTimeout(r, 400));
      child.kill('SIGKILL');
      const killed = await done;
      expect(killed.signal).toBe('SIGKILL');
      const partial = events(KILLED);
      const trainStart = partial.find((e) => e.event === 'start' && e.kind === 'train')!;
      expect(partial.some((e) => e.event === 'done' && e.id === trainStart.id)).toBe(false); // it really died mid-step

      const resumed = await runCli(['lab', '--preset', 'quick', '--out', KILLED], LAB_TIMEOUT);
      expect(resumed.stderr).not.toMatch(/error ERR_/);
      expect(resumed.status).toBe(0);
      // finished steps of the killed run were reused, not redone
      const finishedBefore = new Set(partial.filter((e) => e.event === 'done').map((e) => e.id));
      expect(finishedBefore.size).toBeGreaterThan(0);
      const all = events(KILLED);
      for (const id of finishedBefore) expect(all.filter((e) => e.event === 'start' && e.id === id)).toHaveLength(1);

      const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, 'report', f), 'utf8');
      expect(read(KILLED, 'results.csv')).toBe(read(RUN, 'results.csv'));
      expect(JSON.parse(read(KILLED, 'findings.json')).findings).toEqual(JSON.parse(read(RUN, 'findings.json')).findings);
    },
    2 * LAB_TIMEOUT,
  );
});
