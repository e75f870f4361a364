/**
 * report.md and a self-contained report.html (figures inlined as SVG, no external assets).
 * Per finding: the claim in the paper's words, the verdict, every contrast (estimate, interval,
 * Holm-adjusted p) and, when not shown, the smallest effect the design could detect; then the
 * tables, each followed by the figure that illustrates it; methods as footnotes.
 */
import type { Analysis } from './analysis';
import type { Figure } from './plots';
import type { StudyContrast } from '../study';

const pts = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: unknown, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');
const pval = (p: number | null) => (p === null ? 'not testable' : p < 0.001 ? '<0.001' : p.toFixed(3));

function fmtValue(c: StudyContrast, v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (c.unit === 'points') return `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  if (c.unit === 'share') return `${(v * 100).toFixed(1)}%`;
  if (c.unit === 'rho') return v.toFixed(2);
  return v.toPrecision(3);
}

function claimOf(c: StudyContrast): string {
  const m = c.unit === 'share' ? `${(c.margin * 100).toFixed(0)}%` : c.unit === 'points' ? `${c.margin.toFixed(1)}` : String(c.margin);
  if (c.unit === 'rho') return `|ρ| < ${c.margin}`;
  return `${c.direction > 0 ? '>' : '<'} ${m}`;
}

interface Table {
  title: string;
  header: string[];
  rows: string[][];
  figure?: string;
  /** Further figures after the first (e.g. the corpus measures next to the gain). */
  moreFigures?: string[];
  note?: string;
  /** Printed instead of the table when it has no rows. */
  empty?: string;
}

function findingTables(a: Analysis): Table[] {
  return a.findings.map((f) => ({
    title: `${f.id}: ${f.verdict}`,
    header: ['contrast', 'role', 'claim', 'estimate', `${Math.round(a.level * 100)}% CI`, 'p (Holm)', 'p opposite (Holm)', 'note'],
    rows: f.contrasts.map((c) => [c.name, c.role, claimOf(c), fmtValue(c, c.estimate), `[${fmtValue(c, c.ci[0])}, ${fmtValue(c, c.ci[1])}]`, pval(c.p_adjusted), pval(c.p_opposite_adjusted), c.note ?? '']),
    note: `${f.claim}${f.mde ? ` Not shown — ${f.mde.text}.` : ''} Method: ${f.method}`,
    empty: `No contrast of this claim can be formed from this design: ${f.mde?.text ?? 'nothing to test'}.`,
  }));
}

function tables(a: Analysis): Table[] {
  const L = Math.round(a.level * 100);
  return [
    {
      title: `Relational utility matrix (gain in accuracy points over the untrained student, ${L}% CI)`,
      header: ['student', 'source', 'role', 'runs', 'items', 'gain', 'CI'],
      rows: a.utility.map((c) => [c.student, c.source, c.relation, String(c.runs), String(c.items), c.gain ? pts(c.gain.estimate) : '—', c.gain ? `[${pts(c.gain.lo)}, ${pts(c.gain.hi)}]` : '—']),
      figure: 'utility-matrix.svg',
      note: 'Macro average over tasks; CI from seed variance within cells plus a paired cluster bootstrap over items, t with Satterthwaite df.',
    },
    ...(a.epochCurve.length
      ? [
          {
            title: 'Accuracy by training epoch (macro average over tasks, mean over runs; epoch 0 = untrained)',
            header: ['student', 'source', 'epoch', 'accuracy', 'runs'],
            rows: a.epochCurve.map((p) => [p.student, p.source, String(p.epoch), pct(p.accuracy), String(p.runs)]),
          },
        ]
      : []),
    {
      title: 'Gain, coverage and fidelity by temperature',
      header: ['student', 'source', 'temperature', 'gain', 'CI', ...corpusMeasureNames(a)],
      rows: a.temperature.map((t) => {
        const m = a.corpusMeasures.find((c) => c.source === t.source && c.temperature === t.temperature);
        return [t.student, t.source, Number.isFinite(t.temperature) ? String(t.temperature) : '—', t.gain ? pts(t.gain.estimate) : '—', t.gain ? `[${pts(t.gain.lo)}, ${pts(t.gain.hi)}]` : '—', ...corpusMeasureNames(a).map((n) => (m && n in m.measures ? (isCountMeasure(n) ? num(m.measures[n]!) : pct(m.measures[n]!)) : '—'))];
      }),
      figure: 'gain-vs-temperature.svg',
      moreFigures: ['corpus-measures-vs-temperature.svg'],
    },
    {
      title: `Verbatim extraction before and after (pooled exact-match rate; relative drop with ${L}% Clopper–Pearson-based interval)`,
      header: ['student', 'source', 'role', 'sequences', 'before', 'after', 'relative drop', 'CI'],
      rows: a.extraction.map((x) => [x.student, x.source, x.relation, String(x.n), pct(x.before), pct(x.after), x.drop ? pct(x.drop.estimate) : '—', x.drop ? `[${pct(Math.max(-9.99, x.drop.lo))}, ${pct(x.drop.hi)}]` : '—']),
      figure: 'capability-vs-extraction.svg',
    },
    {
      title: 'Capability against extraction',
      header: ['model', 'stage', 'accuracy', 'extraction'],
      rows: a.capability.map((c) => [c.label, c.stage, pct(c.accuracy), pct(c.extraction)]),
    },
    {
      title: `Intrinsic proxies against the gain on their own task (Spearman ρ across corpora, ${L}% cluster-aware CI)`,
      header: ['student', 'proxy', 'gain on', 'corpora', 'source clusters', 'Spearman', 'CI'],
      rows: a.proxies.map((p) => [p.student, p.proxy, p.task ?? 'all tasks', String(p.n), String(p.clusters), num(p.spearman?.estimate), p.spearman ? `[${num(p.spearman.lo)}, ${num(p.spearman.hi)}]` : '—']),
      figure: 'proxies-vs-gain.svg',
    },
  ];
}

/** Corpus measures that count things (canaries regenerated) rather than give a share: printed as numbers (seed means). */
export function isCountMeasure(name: string): boolean {
  return /(^|_)(regenerated|samples|statements|count)$/.test(name);
}

function corpusMeasureNames(a: Analysis): string[] {
  return [...new Set(a.corpusMeasures.flatMap((c) => Object.keys(c.measures)))].sort();
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

/** The rendered figures a table names, in order (a figure that was not drawn is left out). */
function tableFigures(t: Table, figures: Figure[]): Figure[] {
  return [t.figure, ...(t.moreFigures ?? [])].flatMap((file) => figures.filter((f) => file !== undefined && f.file === file));
}

function mdTable(t: Table, figures: Figure[]): string[] {
  const out = ['', `## ${t.title}`, ''];
  if (t.rows.length === 0) out.push(t.empty ?? '(no data)');
  else {
    out.push(`| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`);
    for (const r of t.rows) out.push(`| ${r.map(mdEscape).join(' | ')} |`);
  }
  if (t.note) out.push('', t.note);
  for (const fig of tableFigures(t, figures)) out.push('', `![${fig.title}](${fig.file})`);
  return out;
}

export function renderMarkdown(experiment: string, a: Analysis, figures: Figure[]): string {
  const out: string[] = [`# Self-training report: ${experiment}`, '', '## Findings', ''];
  for (const f of a.findings) out.push(`- **${f.id} — ${f.verdict}.** ${f.claim} ${f.text}`);
  out.push('', `Verdicts: *supported* = every claim contrast holds at the Holm-adjusted ${Math.round((1 - a.level) * 100)}% level; *contradicted* = one holds significantly in the opposite direction; *not shown* = neither.`);
  for (const t of findingTables(a)) out.push(...mdTable(t, figures));
  for (const t of tables(a)) out.push(...mdTable(t, figures));
  out.push('', 'Per-run numbers: `results.csv`; verdicts and contrasts as data: `findings.json`.', '');
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function htmlTable(t: Table, figures: Figure[]): string[] {
  const parts = [`<h2>${esc(t.title)}</h2>`];
  if (t.rows.length === 0) parts.push(`<p>${esc(t.empty ?? '(no data)')}</p>`);
  else {
    parts.push('<div class="scroll"><table><thead><tr>', ...t.header.map((h) => `<th>${esc(h)}</th>`), '</tr></thead><tbody>');
    for (const r of t.rows) parts.push(`<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
    parts.push('</tbody></table></div>');
  }
  if (t.note) parts.push(`<p class="note">${esc(t.note)}</p>`);
  for (const fig of tableFigures(t, figures)) parts.push(`<figure>${fig.svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${esc(fig.title)}</figcaption></figure>`);
  return parts;
}

export function renderHtml(experiment: string, a: Analysis, figures: Figure[]): string {
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>Self-training report: ${esc(experiment)}</title>`,
    '<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}.supported{color:#1a7f37}.contradicted{color:#b42318}.not-shown{color:#9a6700}.note{color:#555;font-size:90%}.scroll{overflow-x:auto}figure{margin:1.5em 0;overflow-x:auto}svg{max-width:100%;height:auto}</style>',
    '</head><body>',
    `<h1>Self-training report: ${esc(experiment)}</h1>`,
    '<h2>Findings</h2><ul>',
  ];
  for (const f of a.findings) parts.push(`<li><b>${esc(f.id)}</b> — <i class="${f.verdict.replace(' ', '-')}">${esc(f.verdict)}.</i> ${esc(f.claim)} ${esc(f.text)}</li>`);
  parts.push('</ul>');
  for (const t of findingTables(a)) parts.push(...htmlTable(t, figures));
  for (const t of tables(a)) parts.push(...htmlTable(t, figures));
  parts.push('</body></html>', '');
  return parts.join('\n');
}
