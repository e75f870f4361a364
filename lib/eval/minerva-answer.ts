/**
 * The MATH answer of a solution as the harness's minerva_math `process_docs` computes it
 * (lm_eval/tasks/minerva_math/utils.py): normalize_final_answer(remove_boxed(last_boxed_only_string(solution))).
 * `normalizeFinalAnswer` is Lewkowycz et al. (2022), appendix D, as the harness copies it.
 */

/** The last "\boxed{...}" (or "\fbox{...}", or "\boxed x" up to "$") of a string; null when none closes. */
export function lastBoxedOnlyString(s: string): string | null {
  let idx = s.lastIndexOf('\\boxed');
  if (s.includes('\\boxed ')) {
    const tail = s.split('\\boxed ');
    return '\\boxed ' + tail[tail.length - 1]!.split('$')[0]!;
  }
  if (idx < 0) {
    idx = s.lastIndexOf('\\fbox');
    if (idx < 0) return null;
  }
  let open = 0;
  for (let i = idx; i < s.length; i++) {
    if (s[i] === '{') open++;
    if (s[i] === '}') {
      open--;
      if (open === 0) return s.slice(idx, i + 1);
    }
  }
  return null;
}

/** remove_boxed: the content of "\boxed{...}" / "\boxed ..."; null where the harness's asserts fail. */
export function removeBoxed(s: string): string | null {
  if (s.includes('\\boxed ')) return s.startsWith('\\boxed ') ? s.slice('\\boxed '.length) : null;
  const left = '\\boxed{';
  if (!s.startsWith(left) || !s.endsWith('}')) return null;
  return s.slice(left.length, -1);
}

const SUBSTITUTIONS: Array<[string, string]> = [
  ['an ', ''], ['a ', ''], ['.$', '$'], ['\\$', ''], ['\\ ', ''], [' ', ''], ['mbox', 'text'], [',\\text{and}', ','], ['\\text{and}', ','], ['\\text{m}', '\\text{}'],
];
const REMOVED_EXPRESSIONS = [
  'square', 'ways', 'integers', 'dollars', 'mph', 'inches', 'ft', 'hours', 'km', 'units', '\\ldots', 'sue', 'points', 'feet', 'minutes',
  'digits', 'cents', 'degrees', 'cm', 'gm', 'pounds', 'meters', 'meals', 'edges', 'students', 'childrentickets', 'multiples', '\\text{s}',
  '\\text{.}', '\\text{\ns}', '\\text{}^2', '\\text{}^3', '\\text{\n}', '\\text{}', '\\mathrm{th}', '^\\circ', '^{\\circ}', '\\;', ',\\!', '{,}', '"', '\\dots',
];

const replaceAll = (s: string, a: string, b: string) => s.split(a).join(b);

/** Python str.isdigit() (decimal digits and the superscript digits; not empty). */
function pyIsDigit(s: string): boolean {
  return /^[\p{Nd}\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089]+$/u.test(s);
}

export function normalizeFinalAnswer(answer: string): string {
  const parts = answer.split('=');
  let a = parts[parts.length - 1]!;
  for (const [before, after] of SUBSTITUTIONS) a = replaceAll(a, before, after);
  for (const expr of REMOVED_EXPRESSIONS) a = replaceAll(a, expr, '');
  // Python's `.` (no DOTALL) is [^\n]; JavaScript's `.` would also refuse \r and U+2028/9
  a = a.replace(/([^\n]*?)(\$)([^\n]*?)(\$)([^\n]*)/gu, (_m, _1, _2, inner: string) => `$${inner}$`);
  a = a.replace(/(\\text\{)([^\n]*?)(\})/gu, (_m, _1, inner: string) => inner);
  a = a.replace(/(\\textbf\{)([^\n]*?)(\})/gu, (_m, _1, inner: string) => inner);
  a = a.replace(/(\\overline\{)([^\n]*?)(\})/gu, (_m, _1, inner: string) => inner);
  a = a.replace(/(\\boxed\{)([^\n]*)(\})/gu, (_m, _1, inner: string) => inner);
  a = a.replace(/(frac)([^{])([^\n])/gu, (_m, _1, x: string, y: string) => `frac{${x}}{${y}}`);
  a = a.replace(/(sqrt)([^{])/gu, (_m, _1, x: string) => `sqrt{${x}}`);
  a = replaceAll(a, '$', '');
  if (pyIsDigit(replaceAll(a, ',', ''))) a = replaceAll(a, ',', '');
  return a;
}

/** The harness's doc["answer"] of a MATH solution; null when the solution has no usable boxed answer. */
export function minervaAnswer(solution: string): string | null {
  const boxed = lastBoxedOnlyString(solution);
  if (boxed === null) return null;
  const inner = removeBoxed(boxed);
  return inner === null ? null : normalizeFinalAnswer(inner);
}
