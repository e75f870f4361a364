/**
 * The decontamination audit's text normalisation, exactly the reference pipeline's
 * (VITA-Group/latent-capability-resurfacing, src/audit.py):
 *
 *   def normalize(text):
 *       text = text.lower()
 *       text = re.sub(r'[^\w\s]', '', text)
 *       text = re.sub(r'\s+', ' ', text).strip()
 *   tokens = text.split()
 *
 * with Python `re` semantics for str patterns. Checked over every code point against CPython 3.11
 * (Unicode 14):
 * - `\w` is `str.isalnum() or '_'`, which equals `[\p{L}\p{N}_]`: combining marks (\p{M}) are NOT word
 *   characters, so "é" written as e + U+0301 loses its accent, and apostrophes/hyphens join words
 *   ("don't" → "dont", "state-of-the-art" → "stateoftheart").
 * - `\s` is `str.isspace()`: JS's `\s` differs (it has U+FEFF; it lacks U+001C–U+001F and U+0085),
 *   so the class is spelled out below.
 * - `lower()` equals JS `toLowerCase()` (both full case mapping with final sigma).
 * The only differences left are characters unassigned in Python's Unicode database and assigned in
 * Node's (Unicode 15+), where Python versions also disagree among themselves.
 */

/** Python's `str.isspace()` set (= `re` `\s` on str). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const NOT_WORD_OR_SPACE = new RegExp(`[^\\p{L}\\p{N}_${PY_SPACE}]`, 'gu');
const SPACE_RUNS = new RegExp(`[${PY_SPACE}]+`, 'gu');
/** After the collapse the only whitespace left is ' ' (JS `trim()` would use JS's set, not Python's). */
const EDGE_SPACE = /^ | $/g;

/** `normalize(text)` of the reference audit. */
export function normalizeForAudit(text: string): string {
  return text.toLowerCase().replace(NOT_WORD_OR_SPACE, '').replace(SPACE_RUNS, ' ').replace(EDGE_SPACE, '');
}

/** `normalize(text).split()`: the words whose n-grams the audit compares. */
export function auditWords(text: string): string[] {
  const s = normalizeForAudit(text);
  return s.length === 0 ? [] : s.split(' ');
}
