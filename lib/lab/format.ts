/** Plain-text rendering of the lab's results for the terminal: the findings, the main table, timings. */
import type { Analysis, Finding } from '../report';
import { formatDrop } from '../study/relative-drop';
import { formatDuration } from '../util/duration';
import type { LabTiming } from './run-lab';

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.length ? out : [''];
}

/**
 *   finding       verdict         evidence
 *   ───────────   ─────────────   ──────────────────────────────────────────────
 *   relational    not shown       1 of 3 claim contrasts hold. a-small: a-small (self) − …
 *
 * Evidence longer than `maxLines` is cut (the report has it in full).
 */
export function findingsTable(findings: Finding[], width = 100, maxLines = 6): string {
  const idW = Math.max(7, ...findings.map((f) => f.id.length));
  const vW = 12;
  const textW = Math.max(30, width - idW - vW - 6);
  const lines = [`${'finding'.padEnd(idW)}   ${'verdict'.padEnd(vW)}   evidence`, `${'─'.repeat(idW)}   ${'─'.repeat(vW)}   ${'─'.repeat(textW)}`];
  for (const f of findings) {
    let body = wrap(f.text, textW);
    if (body.length > maxLines) body = [...body.slice(0, maxLines - 1), `${body[maxLines - 1]!.slice(0, textW - 22)} … (see report.md)`];
    lines.push(`${f.id.padEnd(idW)}   ${f.verdict.padEnd(vW)}   ${body[0]}`);
    for (const l of body.slice(1)) lines.push(`${''.padEnd(idW)}   ${''.padEnd(vW)}   ${l}`);
  }
  return lines.join('\n');
}

const pts = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Per source: relation, benchmark gain with CI, extraction before → after with the relative drop's CI. */
export function utilityTable(a: Analysis): string {
  const L = Math.round(a.level * 100);
  const head = ['student', 'source', 'relation', 'runs', `gain (points, ${L}% CI)`, 'extraction before → after', `relative drop (${L}% CI)`];
  const rows = a.utility.map((u) => {
    const x = a.extraction.find((e) => e.student === u.student && e.source === u.source);
    return [
      u.student,
      u.source,
      u.relation,
      String(u.runs),
      u.gain ? `${pts(u.gain.estimate)} [${pts(u.gain.lo)}, ${pts(u.gain.hi)}]` : '—',
      x ? `${pct(x.before)} → ${pct(x.after)}` : '—',
      x?.drop ? `${formatDrop(x.drop.estimate)} [${formatDrop(x.drop.lo)}, ${formatDrop(x.drop.hi)}]` : '—',
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('   ').trimEnd();
  return [fmt(head), fmt(w.map((n) => '─'.repeat(n))), ...rows.map(fmt)].join('\n');
}

export function timingTable(t: LabTiming): string {
  const kinds = Object.entries(t.perKind).sort((a, b) => b[1].wallMs - a[1].wallMs);
  const lines = kinds.map(([k, v]) => `  ${k.padEnd(11)} ${String(v.steps).padStart(4)} steps  ${formatDuration(v.wallMs / 1000).padStart(8)}`);
  lines.push(
    `  ${'total'.padEnd(11)} ${String(kinds.reduce((n, [, v]) => n + v.steps, 0)).padStart(4)} steps  ${formatDuration(t.wallMs / 1000).padStart(8)} wall; ` +
      `${(100 * (t.orchestrationMs / Math.max(1, t.wallMs))).toFixed(1)}% outside executors, main thread busy ${(100 * t.eventLoop.utilization).toFixed(1)}%`,
  );
  return lines.join('\n');
}
