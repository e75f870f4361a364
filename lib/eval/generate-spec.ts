/**
 * The `generate` task record: lm-evaluation-harness `generate_until` requests as data. A record is a
 * generate record when it has an `until` key. One JSON object a line:
 *
 *   context            str, required. The prompt, exactly as the harness's doc_to_text (plus any few-shot
 *                      prefix) builds it. Encoded with the tokenizer's special-token policy (as the harness's
 *                      tok_batch_encode), left-truncated to max_length - max_gen_toks tokens.
 *   until              [str, ...], required, non-empty, no empty strings. Generation of a completion stops
 *                      once any of them appears in its decoded text (or at EOS, or after max_gen_toks tokens);
 *                      the completion is then cut before the first occurrence of any of them (and of the EOS
 *                      token's text, which the harness adds to every `until`).
 *   target             str: the gold answer. Or
 *   targets            [str, ...], non-empty: several golds; an item is correct when any one matches.
 *                      Exactly one of the two (HumanEval may give `test` + `entry_point` instead).
 *                        exact_match:  the reference string, compared after the same ignore_* handling
 *                                      (GSM8K: the dataset's full `answer`, "... #### 72"; its
 *                                      regexes_to_ignore keep only the number).
 *                        minerva_math: the normalised final answer, as the harness's process_docs computes
 *                                      `doc["answer"]` (use `minervaGoldAnswer(solution)` from
 *                                      lib/eval/answer-extraction.ts in importers).
 *                        pass@k:       the test program appended to each program, the harness's
 *                                      doc_to_target "{test}\ncheck({entry_point})".
 *   test, entry_point  str, str (pass@k only, both or neither): builds target = test + "\ncheck(" + entry_point + ")".
 *   max_gen_toks       int >= 1, default 256 (the harness's default).
 *   do_sample          bool, default false: greedy decoding. With true: sampled at `temperature` (default 1)
 *                      and nucleus `top_p` (default 1), from the counter RNG (seeded: --seed).
 *   temperature        number >= 0; 0 means greedy whatever do_sample says (as the harness).
 *   top_p              number in (0, 1].
 *   repeats            int >= 1, default 1: completions per item (n of pass@k; the harness's `repeats`).
 *   metric             "exact_match" (default) | "minerva_math" | "pass@k".
 *   filter             exact_match only: "none" (default) | "strict-match" | "flexible-extract", or a list of
 *                      them; each is scored and reported as its own `exact_match,<filter>` (GSM8K: both).
 *                        strict-match:     first match of  #### (\-?[0-9\.\,]+)  (group 1), else "[invalid]"
 *                        flexible-extract: last match of   (-?[$0-9.,]{2,})|(-?[0-9]+)  (its non-empty
 *                                          group), else "[invalid]"
 *                        none:             the completion as generated (cut at `until`)
 *   ignore_case, ignore_punctuation   bool, default false (HF evaluate's exact_match options).
 *   regexes_to_ignore  [str, ...]: removed from answer and target before comparison, in order. Python `re`
 *                      syntax as in the harness's YAML; a leading inline flag group such as "(?s)" is
 *                      translated, the rest must also be valid JavaScript RegExp syntax (checked at load).
 *   k                  pass@k only: [int, ...], default [1]; every k <= repeats.
 *   group              str | number: the item's cluster (as for every record kind).
 *
 * Examples (what importers write):
 *   {"context": "Question: ...\nAnswer:", "target": "... #### 72", "until": ["Question:", "</s>", "<|im_end|>"],
 *    "filter": ["strict-match", "flexible-extract"], "ignore_case": true,
 *    "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]}
 *   {"context": "Problem:\n...\n\nSolution:", "target": "\\frac{2}{3}", "until": ["Problem:"], "metric": "minerva_math"}
 *   {"context": "def f(x):\n    \"\"\"...\"\"\"\n", "test": "def check(candidate): ...", "entry_point": "f",
 *    "until": ["\nclass", "\ndef", "\n#", "\nif", "\nprint"], "max_gen_toks": 512, "metric": "pass@k",
 *    "do_sample": true, "temperature": 0.2, "top_p": 0.95, "repeats": 10, "k": [1]}
 *
 * All generate records of a file must share metric, filter and k (they are aggregated together).
 */

export type GenerateMetric = 'exact_match' | 'minerva_math' | 'pass@k';
export type AnswerFilter = 'none' | 'strict-match' | 'flexible-extract';

export const GENERATE_METRICS: readonly GenerateMetric[] = ['exact_match', 'minerva_math', 'pass@k'];
export const ANSWER_FILTERS: readonly AnswerFilter[] = ['none', 'strict-match', 'flexible-extract'];

export const GENERATE_RECORD_FIELDS = [
  'context',
  'until',
  'target',
  'targets',
  'test',
  'entry_point',
  'max_gen_toks',
  'do_sample',
  'temperature',
  'top_p',
  'repeats',
  'metric',
  'filter',
  'ignore_case',
  'ignore_punctuation',
  'regexes_to_ignore',
  'k',
  'group',
] as const;

export const DEFAULT_MAX_GEN_TOKS = 256;

export interface GenerateSpec {
  until: string[];
  /** Non-empty. pass@k: the test program. */
  targets: string[];
  maxGenToks: number;
  /** Effective sampling: false when do_sample is false or the temperature is 0. */
  doSample: boolean;
  temperature: number;
  topP: number;
  repeats: number;
  metric: GenerateMetric;
  filters: AnswerFilter[];
  ignoreCase: boolean;
  ignorePunctuation: boolean;
  regexesToIgnore: string[];
  k: number[];
}

/**
 * Python `re` pattern -> JavaScript RegExp: a leading inline flag group (?s), (?i), (?m), (?si) … becomes
 * flags, and `$` gets Python's meaning. Other syntax must mean the same in both (checked at load).
 */
export function pythonRegex(pattern: string, extraFlags = ''): RegExp {
  const m = /^\(\?([aimsux]+)\)/.exec(pattern);
  let flags = extraFlags;
  let body = pattern;
  if (m) {
    body = pattern.slice(m[0].length);
    for (const f of m[1]!) {
      if ((f === 's' || f === 'i' || f === 'm') && !flags.includes(f)) flags += f;
      // a (ASCII), u (unicode, the Python 3 default), x (verbose) have no effect on the harness's patterns
    }
  }
  return new RegExp(flags.includes('m') ? body : translateAnchors(body), flags);
}

/** Python's `$` (no MULTILINE) also matches before a final "\n"; `\Z` and `\A` are JavaScript's `$` and `^`. */
function translateAnchors(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (!inClass && n === 'Z') out += '$';
      else if (!inClass && n === 'A') out += '^';
      else out += c + n;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') {
        out += '\\]'; // a leading ']' is a literal in Python, an empty class in JavaScript
        i++;
      }
    } else if (c === '$') {
      out += '(?=\\n?$)';
    } else {
      out += c;
    }
  }
  return out;
}

type Fail = (msg: string) => never;

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

function bool(v: Record<string, unknown>, key: string, dflt: boolean, fail: Fail): boolean {
  const x = v[key];
  if (x === undefined) return dflt;
  if (typeof x !== 'boolean') fail(`${key} must be true or false`);
  return x as boolean;
}

function stringList(x: unknown, key: string, fail: Fail): string[] {
  if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) fail(`${key} must be an array of strings`);
  return x as string[];
}

/** Validates the generate fields of a record (`fail` throws ERR_TASK with file:line). */
export function parseGenerateSpec(v: Record<string, unknown>, fail: Fail): GenerateSpec {
  if (!Array.isArray(v.until)) fail('until must be a non-empty array of strings (the stop sequences)');
  const until = stringList(v.until, 'until', fail);
  if (until.length === 0) fail('until is empty: a generate record needs at least one stop string');
  until.forEach((s, i) => {
    if (s.length === 0) fail(`until ${i} is the empty string`);
  });

  const metric = (v.metric ?? 'exact_match') as GenerateMetric;
  if (!GENERATE_METRICS.includes(metric)) fail(`metric must be one of ${GENERATE_METRICS.join(', ')} (got ${JSON.stringify(v.metric)})`);

  const hasTest = v.test !== undefined || v.entry_point !== undefined;
  if (hasTest && metric !== 'pass@k') fail('test and entry_point belong to pass@k records (metric "pass@k")');
  if (v.target !== undefined && v.targets !== undefined) fail('give either target or targets, not both');
  let targets: string[];
  if (v.target !== undefined) {
    if (typeof v.target !== 'string') fail('target must be a string (use targets for a list)');
    if (hasTest) fail('give either target or test + entry_point, not both');
    targets = [v.target as string];
  } else if (v.targets !== undefined) {
    targets = stringList(v.targets, 'targets', fail);
    if (targets.length === 0) fail('targets is empty: a generate record needs at least one target');
    if (hasTest) fail('give either targets or test + entry_point, not both');
  } else if (hasTest) {
    if (typeof v.test !== 'string' || typeof v.entry_point !== 'string') fail('test and entry_point must both be strings');
    targets = [`${v.test as string}\ncheck(${v.entry_point as string})`];
  } else {
    return fail(
      metric === 'pass@k'
        ? 'a pass@k record needs target (the test program) or test + entry_point'
        : 'a generate record needs target or targets',
    );
  }
  if (metric === 'pass@k' && targets.length !== 1) fail('a pass@k record has exactly one test program');

  const maxGenToks = v.max_gen_toks ?? DEFAULT_MAX_GEN_TOKS;
  if (!isInt(maxGenToks) || maxGenToks < 1) fail('max_gen_toks must be an integer >= 1');
  const repeats = v.repeats ?? 1;
  if (!isInt(repeats) || repeats < 1) fail('repeats must be an integer >= 1');

  const doSampleAsked = bool(v, 'do_sample', false, fail);
  const temperature = v.temperature ?? (doSampleAsked ? 1 : 0);
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) fail('temperature must be a number >= 0');
  const topP = v.top_p ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) fail('top_p must be a number in (0, 1]');

  let filters: AnswerFilter[] = ['none'];
  if (v.filter !== undefined) {
    const raw =
      typeof v.filter === 'string'
        ? [v.filter]
        : Array.isArray(v.filter)
          ? v.filter
          : fail('filter must be a string or an array of strings');
    if ((raw as unknown[]).length === 0) fail('filter is empty');
    for (const f of raw as unknown[]) {
      if (!ANSWER_FILTERS.includes(f as AnswerFilter))
        fail(`filter must be one of ${ANSWER_FILTERS.join(', ')} (got ${JSON.stringify(f)})`);
    }
    if (new Set(raw as string[]).size !== (raw as string[]).length) fail('filter names a filter twice');
    if (metric !== 'exact_match') fail(`filter applies to exact_match records only (this one is ${metric})`);
    filters = raw as AnswerFilter[];
  }

  const regexesToIgnore = v.regexes_to_ignore === undefined ? [] : stringList(v.regexes_to_ignore, 'regexes_to_ignore', fail);
  regexesToIgnore.forEach((r, i) => {
    try {
      pythonRegex(r, 'g');
    } catch (e) {
      fail(`regexes_to_ignore ${i} (${JSON.stringify(r)}) is not a valid regular expression: ${(e as Error).message}`);
    }
  });

  let k = [1];
  if (v.k !== undefined) {
    if (metric !== 'pass@k') fail('k applies to pass@k records only');
    const raw = typeof v.k === 'number' ? [v.k] : v.k;
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((x) => !isInt(x) || x < 1))
      fail('k must be a positive integer or a non-empty array of them');
    k = raw as number[];
  }
  for (const kk of k)
    if (metric === 'pass@k' && kk > (repeats as number))
      fail(`k ${kk} exceeds repeats ${repeats as number} (pass@k needs n >= k completions)`);

  return {
    until,
    targets,
    maxGenToks: maxGenToks as number,
    doSample: doSampleAsked && (temperature as number) > 0,
    temperature: temperature as number,
    topP: topP as number,
    repeats: repeats as number,
    metric,
    filters,
    ignoreCase: bool(v, 'ignore_case', false, fail),
    ignorePunctuation: bool(v, 'ignore_punctuation', false, fail),
    regexesToIgnore,
    k,
  };
}

/** The settings every generate record of a file must share, as a comparable key. */
export function aggregationKey(g: GenerateSpec): string {
  return JSON.stringify({ metric: g.metric, filters: g.filters, k: g.k });
}
