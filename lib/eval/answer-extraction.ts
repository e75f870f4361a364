/**
 * Answer extraction as lm-evaluation-harness task files define it, ported with Python `re` semantics
 * (`.` never matches "\n" only; `$` also matches before a final "\n"; str.strip() whitespace):
 *
 * - GSM8K filters (gsm8k.yaml filter_list, RegexFilter + take_first):
 *     strict-match      regex  #### (\-?[0-9\.\,]+)              first match, group 1
 *     flexible-extract  regex  (-?[$0-9.,]{2,})|(-?[0-9]+)       last match (group_select -1), its first non-empty group
 *   each stripped; "[invalid]" when nothing matches.
 * - MATH / minerva_math (minerva_math/utils.py): get_unnormalized_answer ("Final Answer: The final answer
 *   is X. I hope it is correct."), normalize_final_answer (Lewkowycz et al. 2022, appendix D), and for the
 *   gold: normalize_final_answer(remove_boxed(last_boxed_only_string(solution))).
 *
 * Golden values: test/reference/generative_golden.py runs the harness's own Python code on tricky strings.
 */
import { ResurfaceError } from '../errors';
import type { AnswerFilter } from './generate-spec';

export const INVALID = '[invalid]';

/** Characters Python's str.isspace() accepts. */
const PY_SPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** Python str.strip(). */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_SPACE.test(s[a]!)) a++;
  while (b > a && PY_SPACE.test(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** Python re.findall for a pattern with `groups` capture groups: whole matches, group 1, or all groups. */
function findall(re: RegExp, text: string): Array<string | string[]> {
  const out: Array<string | string[]> = [];
  for (const m of text.matchAll(re)) {
    const groups = m.length - 1;
    if (groups === 0) out.push(m[0]);
    else if (groups === 1) out.push(m[1] ?? '');
    else out.push(m.slice(1).map((g) => g ?? ''));
  }
  return out;
}

/** RegexFilter.apply for one response, followed by take_first. */
export function regexFilter(text: string, re: RegExp, groupSelect: number): string {
  const all = findall(re, text);
  if (all.length === 0) return INVALID;
  let m = all[groupSelect < 0 ? all.length + groupSelect : groupSelect];
  if (m === undefined) return INVALID; // Python would raise IndexError; cannot happen for 0 / -1
  if (Array.isArray(m)) m = m.find((g) => g.length > 0) ?? INVALID;
  return pyStrip(m);
}

const STRICT = /#### (-?[0-9.,]+)/g;
const FLEXIBLE = /(-?[$0-9.,]{2,})|(-?[0-9]+)/g;

/** The filtered answer of a completion under one of the harness's GSM8K filters ("none": unchanged). */
export function applyFilter(filter: AnswerFilter, text: string): string {
  switch (filter) {
    case 'none':
      return text;
    case 'strict-match':
      return regexFilter(text, STRICT, 0);
    case 'flexible-extract':
      return regexFilter(text, FLEXIBLE, -1);
  }
}

// --- minerva_math ----------------------------------------------------------------------------------

/** `get_unnormalized_answer`: the X of "Final Answer: The final answer is X. I hope it is correct." */
export function getUnnormalizedAnswer(text: string): string {
  const t = text + 'I hope it is correct.';
  // Python: r"Final Answer: The final answer is(.*?). I hope it is correct." ('.' = any but "\n")
  const m = /Final Answer: The final answer is([^\n]*?)[^\n] I hope it is correct[^\n]/.exec(t);
  return m ? pyStrip(m[1]!) : '[invalidanswer]';
}

const SUBSTITUTIONS: Array<[string, string]> = [
  ['an ', ''],
  ['a ', ''],
  ['.$', '$'],
  ['\\$', ''],
  ['\\ ', ''],
  [' ', ''],
  ['mbox', 'text'],
  [',\\text{and}', ','],
  ['\\text{and}', ','],
  ['\\text{m}', '\\text{}'],
];
const REMOVED_EXPRESSIONS = [
  'square',
  'ways',
  'integers',
  'dollars',
  'mph',
  'inches',
  'ft',
  'hours',
  'km',
  'units',
  '\\ldots',
  'sue',
  'points',
  'feet',
  'minutes',
  'digits',
  'cents',
  'degrees',
  'cm',
  'gm',
  'pounds',
  'meters',
  'meals',
  'edges',
  'students',
  'childrentickets',
  'multiples',
  '\\text{s}',
  '\\text{.}',
  '\\text{\ns}',
  '\\text{}^2',
  '\\text{}^3',
  '\\text{\n}',
  '\\text{}',
  '\\mathrm{th}',
  '^\\circ',
  '^{\\circ}',
  '\\;',
  ',\\!',
  '{,}',
  '"',
  '\\dots',
];

/** Python str.isdigit(): non-empty, every character a Unicode digit (Nd, and the superscript/subscript/circled digits). */
function pyIsDigit(s: string): boolean {
  return /^[\p{Nd}\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u1369-\u1371\u19da]+$/u.test(
    s,
  );
}

/** `normalize_final_answer`, character for character (Python re semantics: `.` excludes "\n" only). */
export function normalizeFinalAnswer(answer: string): string {
  let a = answer.split('=').pop()!;
  for (const [before, after] of SUBSTITUTIONS) a = a.split(before).join(after);
  for (const expr of REMOVED_EXPRESSIONS) a = a.split(expr).join('');
  a = a.replace(/([^\n]*?)(\$)([^\n]*?)(\$)([^\n]*)/g, '$$$3$$');
  a = a.replace(/(\\text\{)([^\n]*?)(\})/g, '$2');
  a = a.replace(/(\\textbf\{)([^\n]*?)(\})/g, '$2');
  a = a.replace(/(\\overline\{)([^\n]*?)(\})/g, '$2');
  a = a.replace(/(\\boxed\{)([^\n]*)(\})/g, '$2');
  a = a.replace(/(frac)([^{])([^\n])/g, 'frac{$2}{$3}');
  a = a.replace(/(sqrt)([^{])/g, 'sqrt{$2}');
  a = a.split('$').join('');
  if (pyIsDigit(a.split(',').join(''))) a = a.split(',').join('');
  return a;
}

/** `last_boxed_only_string`: the last \boxed{...} (or "\boxed X" up to "$", or \fbox{...}); null when none closes. */
export function lastBoxedOnlyString(s: string): string | null {
  let idx = s.lastIndexOf('\\boxed');
  if (s.includes('\\boxed ')) return '\\boxed ' + s.split('\\boxed ').pop()!.split('$')[0]!;
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

/** `remove_boxed`: the inside of "\boxed X" or "\boxed{X}"; null where the harness's assertions would fail. */
export function removeBoxed(s: string): string | null {
  if (s.includes('\\boxed ')) return s.startsWith('\\boxed ') ? s.slice('\\boxed '.length) : null;
  if (!s.startsWith('\\boxed{') || !s.endsWith('}')) return null;
  return s.slice('\\boxed{'.length, -1);
}

/** The harness's `doc["answer"]` for a MATH solution (process_docs); importers store it as `target`. */
export function minervaGoldAnswer(solution: string): string {
  const boxed = lastBoxedOnlyString(solution);
  const inner = boxed === null ? null : removeBoxed(boxed);
  if (inner === null) {
    throw new ResurfaceError(
      'ERR_TASK',
      `the solution has no final \\boxed{...} answer (the harness's process_docs fails on it): ${JSON.stringify(solution.slice(-120))}`,
    );
  }
  return normalizeFinalAnswer(inner);
}

/** The filtered answer of a minerva_math completion: normalize_final_answer(get_unnormalized_answer(text)). */
export function minervaAnswer(text: string): string {
  return normalizeFinalAnswer(getUnnormalizedAnswer(text));
}
