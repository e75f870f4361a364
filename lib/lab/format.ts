/** Plain-text rendering of the lab's results for the terminal: the findings table and timings. */
import type { Finding } from '../report';
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
 *   utility       supported       Best pair a-small ← a-large (same-family): …
 */
export function findingsTable(findings: Finding[], width = 100): string {
  const idW = Math.max(7, ...findings.map((f) => f.id.length));
  const vW = 13;
  const textW = Math.max(30, width - idW - vW - 6);
  const lines = [`${'finding'.padEnd(idW)}   ${'verdict'.padEnd(vW)}   evidence`, `${'─'.repeat(idW)}   ${'─'.repeat(vW)}   ${'─'.repeat(textW)}`];
  for (const f of findings) {
    const body = wrap(`${f.claim} ${f.text}`, textW);
    lines.push(`${f.id.padEnd(idW)}   ${f.verdict.padEnd(vW)}   ${body[0]}`);
    for (const l of body.slice(1)) lines.push(`${''.padEnd(idW)}   ${''.padEnd(vW)}   ${l}`);
  }
  return lines.join('\n');
}

export function fmtDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export function timingTable(t: LabTiming): string {
  const kinds = Object.entries(t.perKind).sort((a, b) => b[1].wallMs - a[1].wallMs);
  const lines = kinds.map(([k, v]) => `  ${k.padEnd(11)} ${String(v.steps).padStart(4)} steps  ${fmtDuration(v.wallMs).padStart(8)}`);
  lines.push(
    `  ${'total'.padEnd(11)} ${String(kinds.reduce((n, [, v]) => n + v.steps, 0)).padStart(4)} steps  ${fmtDuration(t.wallMs).padStart(8)} wall; ` +
      `${(100 * (t.orchestrationMs / Math.max(1, t.wallMs))).toFixed(1)}% outside executors, main thread busy ${(100 * t.eventLoop.utilization).toFixed(1)}%`,
  );
  return lines.join('\n');
}
