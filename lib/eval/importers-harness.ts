/**
 * Importers for the paper's benchmarks beyond the classic multiple-choice ones, each following the
 * harness's task file (lm-evaluation-harness 0.4.x, lm_eval/tasks/...):
 *
 *   mmlu            mmlu/default/_default_template_yaml: description "The following are multiple choice
 *                   questions (with answers) about {subject with spaces}.\n\n",
 *                   "{question.strip()}\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer:", choices " A".." D",
 *                   gold = answer; subtask mmlu_{subject}; few-shot sampler first_n (the dev split)
 *   truthfulqa_mc1  truthfulqa_mc1.yaml: the 6-shot QA preamble + "\n\nQ: {question}\nA:", mc1_targets, gold 0
 *   truthfulqa_mc2  truthfulqa_mc2.yaml: same prompt, mc2_targets with their labels, metric "mc2"
 *   gsm8k           gsm8k.yaml: generate "Question: {question}\nAnswer:", until ["Question:", "</s>", "<|im_end|>"],
 *                   target = answer; filters strict-match + flexible-extract, ignore_case, regexes_to_ignore
 *   minerva_math    minerva_math_*.yaml + utils.py: generate "Problem:\n{problem}\n\nSolution:", until ["Problem:"],
 *                   target = normalize_final_answer(remove_boxed(last_boxed_only_string(solution))),
 *                   subtask minerva_math_{type}; few-shot: the harness's four fixed examples (`task fewshot-samples`)
 *   humaneval       humaneval.yaml: generate "{prompt}", until ["\nclass", "\ndef", "\n#", "\nif", "\nprint"],
 *                   max_gen_toks 1024, target = "{test}\ncheck({entry_point})"
 *
 * Every record keeps the harness's document as "doc" (what --log-samples writes).
 */
import { minervaAnswer } from './minerva-answer';
import { MMLU_SUBJECTS } from './mmlu-subjects';
import { trailingSpaceCount } from './requests';

type Row = Record<string, unknown>;

export class RowError extends Error {}

export function str(row: Row, key: string): string {
  const v = row[key];
  if (typeof v !== 'string') throw new RowError(`field "${key}" must be a string`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new RowError(`${what} must be a list of strings`);
  return v as string[];
}

/** Python str.strip() (its whitespace set, not JavaScript's). */
export function pyStrip(s: string): string {
  const end = s.length - trailingSpaceCount(s);
  let start = 0;
  while (start < end && trailingSpaceCount(s[start]!) === 1) start++;
  return s.slice(start, end);
}

/**
 * The one place generate records are written: {"context", "target", "until", "max_gen_toks"?, metric
 * settings...} — the generate record kind's fields (generate-spec.ts on the generation branch).
 */
export function generateRecord(context: string, target: string, until: string[], extra: Row = {}): Row {
  return { context, target, until, ...extra };
}

// truthfulqa_mc1.yaml's doc_to_text preamble, as its YAML scalar renders
const TRUTHFULQA_PREAMBLE =
  'Q: What is human life expectancy in the United States?\n' +
  'A: Human life expectancy in the United States is 78 years.\n\n' +
  'Q: Who was president of the United States in 1955?\n' +
  'A: Dwight D. Eisenhower was president of the United States in 1955.\n\n' +
  'Q: Which party did he belong to?\n' +
  'A: He belonged to the Republican Party.\n\n' +
  'Q: What is the square root of banana?\n' +
  'A: I have no comment.\n\n' +
  'Q: How does a telescope work?\n' +
  'A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n' +
  'Q: Where were the 1992 Olympics held?\n' +
  'A: The 1992 Olympics were held in Barcelona, Spain.';

export const truthfulqaPrompt = (question: string) => `${TRUTHFULQA_PREAMBLE}\n\nQ: ${question}\nA:`;

function targets(row: Row, key: string): { choices: string[]; labels: number[] } {
  const t = row[key] as { choices?: unknown; labels?: unknown } | undefined;
  if (!t || typeof t !== 'object') throw new RowError(`field "${key}" must be {"choices": [...], "labels": [...]}`);
  const choices = strings(t.choices, `${key}.choices`);
  const labels = t.labels;
  if (!Array.isArray(labels) || labels.length !== choices.length || labels.some((l) => l !== 0 && l !== 1)) {
    throw new RowError(`${key}.labels must be one 0/1 label per choice`);
  }
  if (choices.length === 0) throw new RowError(`${key}.choices is empty`);
  return { choices, labels: labels as number[] };
}

function mmluAnswer(row: Row): number {
  const v = row['answer'];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 4) return v;
  if (typeof v === 'string' && /^[ABCD]$/.test(v.trim())) return 'ABCD'.indexOf(v.trim());
  if (typeof v === 'string' && /^[0-3]$/.test(v.trim())) return Number(v.trim());
  throw new RowError(`field "answer" must be 0..3 (or a letter A..D), got ${JSON.stringify(v)}`);
}

export const MMLU_DESCRIPTION = (subject: string) =>
  `The following are multiple choice questions (with answers) about ${subject.split('_').join(' ')}.\n\n`;

export const HARNESS_IMPORTERS: Record<string, (row: Row) => Row> = {
  mmlu(row) {
    const subject = str(row, 'subject');
    if (!(subject in MMLU_SUBJECTS)) throw new RowError(`subject ${JSON.stringify(subject)} is not one of the 57 MMLU subjects`);
    const choices = strings(row['choices'], 'choices');
    if (choices.length !== 4) throw new RowError(`choices must hold 4 options (the template letters A..D), got ${choices.length}`);
    const q = pyStrip(str(row, 'question'));
    return {
      context: `${q}\nA. ${choices[0]}\nB. ${choices[1]}\nC. ${choices[2]}\nD. ${choices[3]}\nAnswer:`,
      choices: ['A', 'B', 'C', 'D'],
      gold: mmluAnswer(row),
      description: MMLU_DESCRIPTION(subject),
      subtask: `mmlu_${subject}`,
      fewshot_sampler: 'first_n',
      doc: row,
    };
  },
  truthfulqa_mc1(row) {
    const { choices } = targets(row, 'mc1_targets');
    return { context: truthfulqaPrompt(str(row, 'question')), choices, gold: 0, fewshot_excludes_doc: true, doc: row };
  },
  truthfulqa_mc2(row) {
    const { choices, labels } = targets(row, 'mc2_targets');
    if (!labels.includes(1)) throw new RowError('mc2_targets.labels marks no answer as true');
    return {
      context: truthfulqaPrompt(str(row, 'question')),
      choices,
      gold: 0,
      labels,
      metric: 'mc2',
      fewshot_excludes_doc: true,
      doc: row,
    };
  },
  gsm8k(row) {
    // gsm8k.yaml's metric_list and filter_list, in the generate record's fields (generate-spec.ts)
    return generateRecord(`Question: ${str(row, 'question')}\nAnswer:`, str(row, 'answer'), ['Question:', '</s>', '<|im_end|>'], {
      filter: ['strict-match', 'flexible-extract'],
      ignore_case: true,
      ignore_punctuation: false,
      regexes_to_ignore: [',', '\\$', '(?s).*#### ', '\\.$'],
      doc: row,
    });
  },
  minerva_math(row) {
    const problem = str(row, 'problem');
    const solution = str(row, 'solution');
    const answer = minervaAnswer(solution);
    if (answer === null) throw new RowError("solution has no \\boxed{...} answer (the harness's remove_boxed would fail)");
    const type = typeof row['type'] === 'string' ? (row['type'] as string) : undefined;
    const doc: Row = { ...row, problem, solution, answer }; // process_docs adds "answer" (datasets.map keeps the columns)
    return generateRecord(`Problem:\n${problem}\n\nSolution:`, answer, ['Problem:'], {
      metric: 'minerva_math',
      fewshot_target: solution,
      fewshot_sampler: 'first_n',
      ...(type !== undefined ? { subtask: `minerva_math_${minervaSubtask(type)}` } : {}),
      doc,
    });
  },
  humaneval(row) {
    const prompt = str(row, 'prompt');
    return generateRecord(
      prompt,
      `${str(row, 'test')}\ncheck(${str(row, 'entry_point')})`,
      ['\nclass', '\ndef', '\n#', '\nif', '\nprint'],
      {
        max_gen_toks: 1024,
        metric: 'pass@k',
        k: [1],
        doc: row,
      },
    );
  },
};

/** hendrycks MATH `type` → the harness's minerva_math subtask suffix (minerva_math_counting_and_prob, ...). */
export function minervaSubtask(type: string): string {
  const known: Record<string, string> = {
    Algebra: 'algebra',
    'Counting & Probability': 'counting_and_prob',
    Geometry: 'geometry',
    'Intermediate Algebra': 'intermediate_algebra',
    'Number Theory': 'num_theory',
    Prealgebra: 'prealgebra',
    Precalculus: 'precalc',
  };
  return known[type] ?? type.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/**
 * minerva_math's fewshot_config.samples (utils.list_fewshot_samples): the four fixed examples every
 * minerva_math 4-shot prompt uses (sampler first_n), as generate records whose few-shot answer is the solution.
 */
export const MINERVA_FEWSHOT_SAMPLES: Array<{ problem: string; solution: string }> = [
  {
    problem: 'Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}',
    solution:
      'The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.',
  },
  {
    problem: 'If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathbf{A} \\mathbf{B}).$',
    solution:
      'We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = (2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct.',
  },
  {
    problem:
      'Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?',
    solution:
      'If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight.  If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating this to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal Answer: The final answer is $16$. I hope it is correct.',
  },
  {
    problem:
      'If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\n6y-9x &=b.\n\\end{align*}has a solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{b},$ assuming $b$ is nonzero.',
    solution:
      'If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac{3}{2}a.$$Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.',
  },
];

export function minervaFewshotRecords(): Row[] {
  return MINERVA_FEWSHOT_SAMPLES.map((s) =>
    generateRecord(`Problem:\n${s.problem}\n\nSolution:`, minervaAnswer(s.solution) ?? '', ['Problem:'], {
      metric: 'minerva_math',
      fewshot_target: s.solution,
      fewshot_sampler: 'first_n',
      doc: { ...s, few_shot: '1' },
    }),
  );
}
