/**
 * Metrics of generate tasks, as lm-evaluation-harness computes them:
 *
 * - exact_match: the harness's exact_match_hf_evaluate (HF evaluate's exact_match): every regex of
 *   regexes_to_ignore removed (re.sub, in order) from prediction and reference, then lower-casing
 *   (ignore_case), removal of string.punctuation (ignore_punctuation) and of digits (ignore_numbers),
 *   then string equality. Several targets: correct when any matches. Scored on the first completion
 *   (the filters end in take_first), once per filter: `exact_match,<filter>`.
 * - minerva_math: normalize_final_answer(get_unnormalized_answer(completion)) == target (the
 *   normalised gold), reported as `exact_match,none`. The harness's exact_match there is a sympy
 *   equivalence check (is_equiv) of the same two strings; string equality is its exact-string part.
 * - pass@k: the unbiased estimator of Chen et al. (2021), 1 - C(n-c, k) / C(n, k) per problem with n
 *   completions of which c pass, as HF evaluate's code_eval computes it (a running product), averaged
 *   over problems: `pass@k,create_test`.
 *
 * Every aggregate is a mean with mean_stderr (sample std / sqrt(n)), as the harness's `mean` aggregation.
 */
import { meanStderr } from '../stats/describe';
import { applyFilter, minervaAnswer } from './answer-extraction';
import { pythonRegex, type GenerateSpec } from './generate-spec';

/** Python's string.punctuation. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const DIGITS = /[0-9]/g;

export interface ExactMatchOptions {
  regexesToIgnore?: readonly string[];
  ignoreCase?: boolean;
  ignorePunctuation?: boolean;
  ignoreNumbers?: boolean;
}

function prepare(s: string, o: ExactMatchOptions, regexes: RegExp[]): string {
  let x = s;
  for (const re of regexes) x = x.replace(re, '');
  if (o.ignoreCase) x = x.toLowerCase();
  if (o.ignorePunctuation) x = [...x].filter((c) => !PUNCTUATION.has(c)).join('');
  if (o.ignoreNumbers) x = x.replace(DIGITS, '');
  return x;
}

/** exact_match_hf_evaluate for one prediction against one reference (1 or 0). */
export function exactMatch(prediction: string, reference: string, o: ExactMatchOptions = {}): number {
  const regexes = (o.regexesToIgnore ?? []).map((r) => pythonRegex(r, 'g'));
  return prepare(prediction, o, regexes) === prepare(reference, o, regexes) ? 1 : 0;
}

/** Unbiased pass@k of one problem: n completions, c of them correct (code_eval's estimate_pass_at_k). */
export function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

export interface GenerateItemResult {
  index: number;
  group?: string;
  /** The context as fed to the model (the harness's `arguments[0]`). */
  context: string;
  targets: string[];
  /** The stop strings of its request. */
  until: string[];
  /** The generation settings that ran (record settings with the command's overrides). */
  generation: { doSample: boolean; temperature: number; topP: number; maxGenToks: number };
  /** Completions as generated and cut at the stop strings (the harness's `resps`), one per repeat. */
  completions: string[];
  finishReasons: string[];
  /** Filter name -> the filtered answer (`filtered_resps`; pass@k: the programs run). */
  filtered: Record<string, string>;
  /** Metric key (`exact_match,strict-match`, `pass@1,create_test`, …) -> this item's score. */
  scores: Record<string, number>;
  /** pass@k: whether each completion's program passed its tests, and why not. */
  passed?: boolean[];
  failures?: Array<string | null>;
}

export interface GenerateReport {
  task: string;
  n: number;
  metric: GenerateSpec['metric'];
  /** Metric key -> mean over items. */
  results: Record<string, number>;
  /** Metric key -> mean_stderr (null for n < 2). */
  stderr: Record<string, number | null>;
  items: GenerateItemResult[];
}

/** Scores one exact_match or minerva_math item from its completions (the first one counts). */
export function scoreTextItem(
  spec: GenerateSpec,
  completions: string[],
): { filtered: Record<string, string>; scores: Record<string, number> } {
  const first = completions[0] ?? '';
  const filtered: Record<string, string> = {};
  const scores: Record<string, number> = {};
  if (spec.metric === 'minerva_math') {
    const answer = minervaAnswer(first);
    filtered.none = answer;
    scores['exact_match,none'] = spec.targets.some((t) => t === answer) ? 1 : 0;
    return { filtered, scores };
  }
  const o: ExactMatchOptions = {
    regexesToIgnore: spec.regexesToIgnore,
    ignoreCase: spec.ignoreCase,
    ignorePunctuation: spec.ignorePunctuation,
  };
  for (const f of spec.filters) {
    const answer = applyFilter(f, first);
    filtered[f] = answer;
    scores[`exact_match,${f}`] = spec.targets.some((t) => exactMatch(answer, t, o) === 1) ? 1 : 0;
  }
  return { filtered, scores };
}

/** pass@k scores of one item from whether each of its n completions passed. */
export function scorePassItem(spec: GenerateSpec, passed: boolean[]): Record<string, number> {
  const n = passed.length;
  const c = passed.filter(Boolean).length;
  const scores: Record<string, number> = {};
  for (const k of spec.k) if (n >= k) scores[`pass@${k},create_test`] = passAtK(n, c, k);
  return scores;
}

export function aggregateGenerate(task: string, metric: GenerateSpec['metric'], items: GenerateItemResult[]): GenerateReport {
  const keys = [...new Set(items.flatMap((it) => Object.keys(it.scores)))];
  const results: Record<string, number> = {};
  const stderr: Record<string, number | null> = {};
  for (const key of keys) {
    const xs = items.map((it) => it.scores[key] ?? 0);
    results[key] = xs.reduce((a, b) => a + b, 0) / xs.length;
    const se = meanStderr(xs);
    stderr[key] = Number.isFinite(se) ? se : null;
  }
  return { task, n: items.length, metric, results, stderr, items };
}
