/** The one duration format of every CLI line: 4.2s, 3m07s, 1h05m; '?' when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '?';
  const t = Math.max(0, seconds);
  if (t < 59.95) return `${t.toFixed(1)}s`;
  const s = Math.round(t);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
