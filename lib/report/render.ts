/** report.md and a self-contained report.html (figures inlined as SVG, no external assets). */
import type { Analysis } from './analysis';
import type { Figure } from './plots';

const num = (v: unknown, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');
const pts = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;

function tables(a: Analysis): Array<{ title: string; header: string[]; rows: string[][] }> {
  const L = Math.round(a.level * 100);
  return [
    {
      title: `Relational utility matrix (gain in accuracy points, ${L}% paired-bootstrap CI)`,
      header: ['student', 'source', 'relation', 'runs', 'items', 'gain', 'CI'],
      rows: a.utility.map((c) => [c.student, c.source, c.relation, String(c.runs), String(c.items), c.gain ? pts(c.gain.estimate) : '—', c.gain ? `[${pts(c.gain.lo)}, ${pts(c.gain.hi)}]` : '—']),
    },
    {
      title: 'Gain by temperature',
      header: ['student', 'source', 'temperature', 'gain', 'CI'],
      rows: a.temperature.map((t) => [t.student, t.source, String(t.temperature), t.gain ? pts(t.gain.estimate) : '—', t.gain ? `[${pts(t.gain.lo)}, ${pts(t.gain.hi)}]` : '—']),
    },
    {
      title: `Intrinsic proxies against gain (Spearman, Kendall tau-b, ${L}% CI)`,
      header: ['proxy', 'n', 'Spearman', 'CI', 'Kendall', 'CI'],
      rows: a.proxies.map((p) => [
        p.proxy,
        String(p.n),
        num(p.spearman?.estimate, 2),
        p.spearman ? `[${num(p.spearman.lo, 2)}, ${num(p.spearman.hi, 2)}]` : '—',
        num(p.kendall?.estimate, 2),
        p.kendall ? `[${num(p.kendall.lo, 2)}, ${num(p.kendall.hi, 2)}]` : '—',
      ]),
    },
    {
      title: `Verbatim extraction before and after (exact-match rate, relative drop with ${L}% CI)`,
      header: ['student', 'source', 'before', 'after', 'relative drop', 'CI'],
      rows: a.extraction.map((x) => [
        x.student,
        x.source,
        `${(x.before * 100).toFixed(1)}%`,
        `${(x.after * 100).toFixed(1)}%`,
        x.drop ? `${(x.drop.estimate * 100).toFixed(1)}%` : '—',
        x.drop ? `[${(x.drop.lo * 100).toFixed(1)}%, ${(x.drop.hi * 100).toFixed(1)}%]` : '—',
      ]),
    },
    {
      title: 'Capability against extraction',
      header: ['model', 'stage', 'accuracy', 'extraction'],
      rows: a.capability.map((c) => [c.label, c.stage, `${(c.accuracy * 100).toFixed(1)}%`, `${(c.extraction * 100).toFixed(1)}%`]),
    },
  ];
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function renderMarkdown(experiment: string, a: Analysis, figures: Figure[]): string {
  const out: string[] = [`# Self-training report: ${experiment}`, '', '## Findings', ''];
  for (const f of a.findings) out.push(`- **${f.claim}** — *${f.verdict}.* ${f.text}`);
  for (const t of tables(a)) {
    out.push('', `## ${t.title}`, '');
    if (t.rows.length === 0) {
      out.push('(no data)');
      continue;
    }
    out.push(`| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`);
    for (const r of t.rows) out.push(`| ${r.map(mdEscape).join(' | ')} |`);
  }
  out.push('', '## Figures', '');
  for (const f of figures) out.push(`![${f.title}](${f.file})`, '');
  out.push('Per-run numbers: `results.csv`.', '');
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHtml(experiment: string, a: Analysis, figures: Figure[]): string {
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>Self-training report: ${esc(experiment)}</title>`,
    '<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}.supported{color:#1a7f37}.not-supported{color:#b42318}.inconclusive{color:#9a6700}figure{margin:1.5em 0}</style>',
    '</head><body>',
    `<h1>Self-training report: ${esc(experiment)}</h1>`,
    '<h2>Findings</h2><ul>',
  ];
  for (const f of a.findings) parts.push(`<li><b>${esc(f.claim)}</b> — <i class="${f.verdict.replace(' ', '-')}">${esc(f.verdict)}.</i> ${esc(f.text)}</li>`);
  parts.push('</ul>');
  for (const t of tables(a)) {
    parts.push(`<h2>${esc(t.title)}</h2>`);
    if (t.rows.length === 0) {
      parts.push('<p>(no data)</p>');
      continue;
    }
    parts.push('<table><thead><tr>', ...t.header.map((h) => `<th>${esc(h)}</th>`), '</tr></thead><tbody>');
    for (const r of t.rows) parts.push(`<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
    parts.push('</tbody></table>');
  }
  parts.push('<h2>Figures</h2>');
  for (const f of figures) parts.push(`<figure>${f.svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${esc(f.title)}</figcaption></figure>`);
  parts.push('</body></html>', '');
  return parts.join('\n');
}
