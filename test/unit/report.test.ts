/** Report rendering from a hand-made results table: files, tables, findings, and SVG structure (not pixels). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, parseCsv, writeReportFromData } from '../../lib/report';
import { handMadeResults } from '../helpers/results-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

/** Number of mark items with this ARIA role description ("rect mark", "text mark", "line mark", "rule mark", "point") in a vega SVG. */
function markCount(svg: string, role: string): number {
  return (svg.match(new RegExp(`aria-roledescription="${role}"`, 'g')) ?? []).length;
}

/** Texts of the axis titles. */
function axisTitles(svg: string): string[] {
  const out: string[] = [];
  const re = /<g class="mark-text role-axis-title"[^>]*>([\s\S]*?)<\/g>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) for (const t of m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)) out.push(t[1]);
  return out;
}

describe('report from a hand-made results table', () => {
  const dir = makeTmpDir();
  afterAll(() => removeTmpDir(dir));
  const data = handMadeResults();

  it('analysis: utility cells, CIs and honest verdicts', () => {
    const a = analyze(data);
    expect(a.utility.map((c) => `${c.source}:${c.relation}`)).toEqual(['small:self', 'large:same-lineage', 'other:cross-family']);
    const large = a.utility.find((c) => c.source === 'large')!;
    expect(large.gain!.lo).toBeGreaterThan(0.05);
    const other = a.utility.find((c) => c.source === 'other')!;
    expect(other.gain!.estimate).toBe(0);
    // The fixture: self +2.9 points, same-lineage +15 (so self < same-lineage: the paper's order is
    // contradicted), extraction keeps 60% of what was memorized (a 40% drop, far from 95%: contradicted),
    // 3 source clusters (no proxy interval), no corpus measures (no temperature claim to test).
    const verdicts = Object.fromEntries(a.findings.map((f) => [f.id, f.verdict]));
    expect(verdicts).toEqual({
      utility: 'supported',
      relational: 'contradicted',
      decoupling: 'contradicted',
      proxies: 'not shown',
      temperature: 'not shown',
    });
    const rel = a.findings.find((f) => f.id === 'relational')!;
    expect(rel.contrasts.map((c) => c.name)).toEqual([
      'small: small (self) − large (same-lineage)',
      'small: large (same-lineage) − other (cross-family)',
      'small: small (self) − other (cross-family)',
    ]);
    expect(rel.text).toMatch(
      /^A claim contrast holds significantly in the opposite direction\. small: small \(self\) − large \(same-lineage\) -12\.5/,
    );
    expect(a.findings.find((f) => f.id === 'proxies')!.mde!.text).toMatch(/3 independent source clusters/);
    expect(a.findings.find((f) => f.id === 'temperature')!.mde!.text).toMatch(/no corpus has coverage\/fidelity measures/);
    // 2 base rows + 12 trained rows
    expect(a.rows).toHaveLength(14);
  });

  it('a grid with one source cannot support the relational finding', () => {
    const one = { ...data, runs: data.runs.filter((r) => r.source === 'large') };
    const f = analyze(one).findings.find((x) => x.id === 'relational')!;
    expect(f.verdict).toBe('not shown');
    expect(f.contrasts).toEqual([]);
    expect(f.text).toMatch(/no student has two sources of different roles/);
  });

  it('writes results.csv, report.md, report.html and the SVG figures', async () => {
    const r = await writeReportFromData(data, dir);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(
      [
        'capability-vs-extraction.svg',
        'findings.json',
        'gain-vs-temperature.svg',
        'proxies-vs-gain.svg',
        'report.html',
        'report.md',
        'results.csv',
        'utility-matrix.svg',
      ].sort(),
    );
    expect(r.files).toContain('report.html');

    const csv = parseCsv(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8'));
    expect(csv.rows).toHaveLength(14);
    expect(csv.columns).toEqual(
      expect.arrayContaining([
        'stage',
        'student',
        'source',
        'temperature',
        'seed',
        'gain',
        'acc:facts',
        'extract_drop:canaries',
        'loglik_student',
      ]),
    );

    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    for (const h of [
      '## Findings',
      'Relational utility matrix',
      'Gain, coverage and fidelity by temperature',
      'Intrinsic proxies against the gain',
      'Verbatim extraction before and after',
      'Capability against extraction',
      '## relational: contradicted',
    ])
      expect(md).toContain(h);
    expect(md).toContain('**proxies — not shown.**');
    expect(md).toMatch(
      /\| small: small \(self\) − large \(same-lineage\) \| claim \| > 0\.0 \| -12\.5 \| \[-\d+\.\d, -\d+\.\d\] \| 1\.000 \| <0\.001 \|/,
    );
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'findings.json'), 'utf8'));
    expect(json.findings.map((f: { id: string }) => f.id)).toEqual(['utility', 'relational', 'decoupling', 'proxies', 'temperature']);
    expect(Object.keys(json.findings[1].contrasts[0])).toEqual(expect.arrayContaining(['name', 'student', 'estimate', 'ci', 'p_adjusted']));

    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(4); // every figure inlined
    expect(html).not.toMatch(/<script|<link|src="http/); // self-contained

    const utility = fs.readFileSync(path.join(dir, 'utility-matrix.svg'), 'utf8');
    expect(utility.startsWith('<svg')).toBe(true);
    expect(markCount(utility, 'rect mark')).toBe(3); // one cell per (student, source)
    expect(markCount(utility, 'text mark')).toBe(3); // gain [CI] labels
    expect(axisTitles(utility).sort()).toEqual(['source (generator)', 'student']);
    expect(utility).toMatch(/\+15\.4 \[\+\d+\.\d, \+\d+\.\d\]/);

    const temp = fs.readFileSync(path.join(dir, 'gain-vs-temperature.svg'), 'utf8');
    expect(markCount(temp, 'line mark')).toBe(3); // one line per pair
    expect(markCount(temp, 'rule mark')).toBe(6); // one CI bar per (pair, temperature)
    expect(axisTitles(temp).sort()).toEqual(['benchmark gain (points)', 'sampling temperature']);

    const proxy = fs.readFileSync(path.join(dir, 'proxies-vs-gain.svg'), 'utf8');
    expect(markCount(proxy, 'point')).toBe(12); // one point per corpus (source × temperature), in each of the two panels
    // each panel's header in two lines, the proxy then the student and rho (one line was cut mid-number)
    expect(
      proxy.match(/<tspan>loglik_student<\/tspan><tspan[^>]*>[\w-]+ · ρ = -?\d\.\d\d \[-?\d\.\d\d, -?\d\.\d\d\], n = 6<\/tspan>/g),
    ).toHaveLength(1);
    expect(proxy).toMatch(/<tspan>tfidf_centroid:facts<\/tspan><tspan[^>]*>[\w-]+ · ρ = /);

    const cap = fs.readFileSync(path.join(dir, 'capability-vs-extraction.svg'), 'utf8');
    expect(markCount(cap, 'point')).toBe(4); // before + three sources after
    expect(markCount(cap, 'rule mark')).toBe(3); // before → after arrows
    expect(axisTitles(cap).sort()).toEqual(['benchmark accuracy (%)', 'exact extraction rate (%)']);
  });
});
