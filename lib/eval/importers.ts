/**
 * `resurface task import --format F IN OUT`: convert the benchmark rows users already have
 * (Hugging Face dataset rows as lm-evaluation-harness v0.4 reads them, exported as JSONL) into task
 * files, with the harness's prompts and preprocessing:
 *
 *   arc_easy / arc_challenge  "Question: {question}\nAnswer:"  choices.text   gold = choices.label.index(answerKey)
 *   piqa                      "Question: {goal}\nAnswer:"       [sol1, sol2]   gold = label
 *   sciq                      "{support.lstrip()}\nQuestion: {question}\nAnswer:"  [distractor1..3, correct_answer]  gold = 3
 *   hellaswag                 preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize())  preprocess(endings)  gold = label
 *   winogrande                partial scoring: choices = sentence[:blank] + option{1,2}, continuation = sentence after "_" stripped
 *   lambada                   loglikelihood: context = all words but the last, continuation = " " + last word (split on " ")
 *   mmlu, truthfulqa_mc1, truthfulqa_mc2, gsm8k, minerva_math, humaneval: see importers-harness.ts
 *
 * Rows come as JSONL or Parquet (read with hyparquet).
 */
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { parseJsonl, readText } from '../io/jsonl';
import { readParquetRows } from '../io/parquet';
import { HARNESS_IMPORTERS, minervaFewshotRecords, pyStrip, RowError } from './importers-harness';

export const TASK_FORMATS = [
  'arc_easy',
  'arc_challenge',
  'piqa',
  'sciq',
  'hellaswag',
  'winogrande',
  'lambada',
  'mmlu',
  'truthfulqa_mc1',
  'truthfulqa_mc2',
  'gsm8k',
  'minerva_math',
  'humaneval',
] as const;
export type TaskFormat = (typeof TASK_FORMATS)[number];

export type TaskRecord =
  | { context: string; choices: string[]; gold: number }
  | { context: string; choices: string[]; continuation: string; gold: number }
  | { context: string; continuation: string }
  | Record<string, unknown>;

type Row = Record<string, unknown>;

function str(row: Row, key: string): string {
  const v = row[key];
  if (typeof v !== 'string') throw new RowError(`field "${key}" must be a string`);
  return v;
}

function intLabel(row: Row, key: string): number {
  const v = row[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw new RowError(`field "${key}" must be an integer label, got ${JSON.stringify(v)}`);
  return n;
}

function strList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new RowError(`${what} must be a list of strings`);
  return v as string[];
}

/** Python's str.capitalize(): first character upper case, the rest lower case. */
export function pyCapitalize(s: string): string {
  const cps = [...s];
  if (cps.length === 0) return s;
  return cps[0]!.toUpperCase() + cps.slice(1).join('').toLowerCase();
}

/** The harness's HellaSwag `preprocess`. */
export function hellaswagPreprocess(text: string): string {
  let t = pyStrip(text);
  t = t.split(' [title]').join('. ');
  t = t.replace(/\[.*?\]/g, '');
  t = t.split('  ').join(' ');
  return t;
}

const IMPORTERS: Record<TaskFormat, (row: Row) => TaskRecord> = {
  ...(HARNESS_IMPORTERS as Record<
    'mmlu' | 'truthfulqa_mc1' | 'truthfulqa_mc2' | 'gsm8k' | 'minerva_math' | 'humaneval',
    (row: Row) => TaskRecord
  >),
  arc_easy: arc,
  arc_challenge: arc,
  piqa(row) {
    return {
      context: `Question: ${str(row, 'goal')}\nAnswer:`,
      choices: [str(row, 'sol1'), str(row, 'sol2')],
      gold: intLabel(row, 'label'),
      fewshot_excludes_doc: true,
    };
  },
  sciq(row) {
    const support = str(row, 'support').replace(/^\s+/, '');
    return {
      context: `${support}\nQuestion: ${str(row, 'question')}\nAnswer:`,
      choices: [str(row, 'distractor1'), str(row, 'distractor2'), str(row, 'distractor3'), str(row, 'correct_answer')],
      gold: 3,
    };
  },
  hellaswag(row) {
    const ctx = `${str(row, 'ctx_a')} ${pyCapitalize(str(row, 'ctx_b'))}`;
    const query = hellaswagPreprocess(`${str(row, 'activity_label')}: ${ctx}`);
    const choices = strList(row['endings'], 'endings').map(hellaswagPreprocess);
    const gold = intLabel(row, 'label');
    // doc: the harness's process_docs output (datasets.map keeps the row's columns and adds these)
    // fewshot_excludes_doc: hellaswag.yaml sets neither fewshot_split nor test_split (see task-extras.ts)
    return { context: query, choices, gold, fewshot_excludes_doc: true, doc: { ...row, query, choices, gold } };
  },
  winogrande(row) {
    const sentence = str(row, 'sentence');
    const blank = sentence.indexOf('_');
    if (blank < 0) throw new RowError('sentence has no "_" blank');
    const answer = intLabel(row, 'answer');
    if (answer !== 1 && answer !== 2) throw new RowError(`answer must be "1" or "2", got ${JSON.stringify(row['answer'])}`);
    return {
      context: '',
      choices: [sentence.slice(0, blank) + str(row, 'option1'), sentence.slice(0, blank) + str(row, 'option2')],
      continuation: sentence.slice(blank + 1).trim(),
      gold: answer - 1,
      fewshot_excludes_doc: true,
    };
  },
  lambada(row) {
    const words = str(row, 'text').split(' ');
    if (words.length < 2) throw new RowError('text needs at least two space-separated words');
    return { context: words.slice(0, -1).join(' '), continuation: ` ${words[words.length - 1]}` };
  },
};

function arc(row: Row): TaskRecord {
  const choices = row['choices'] as { text?: unknown; label?: unknown } | undefined;
  if (!choices || typeof choices !== 'object') throw new RowError('field "choices" must be {"text": [...], "label": [...]}');
  const text = strList(choices.text, 'choices.text');
  const labels = strList(choices.label, 'choices.label');
  const key = str(row, 'answerKey');
  const gold = labels.indexOf(key);
  if (gold < 0) throw new RowError(`answerKey ${JSON.stringify(key)} is not among the labels ${JSON.stringify(labels)}`);
  return { context: `Question: ${str(row, 'question')}\nAnswer:`, choices: text, gold, doc: row };
}

export function isTaskFormat(s: string): s is TaskFormat {
  return (TASK_FORMATS as readonly string[]).includes(s);
}

/** Converts the rows of IN (JSONL) to task records; errors name the line. */
export function importRows(format: string, text: string, file: string): TaskRecord[] {
  if (!isTaskFormat(format)) {
    throw new ResurfaceError('ERR_TASK', `unknown task format "${format}"; known formats: ${TASK_FORMATS.join(', ')}`);
  }
  const fn = IMPORTERS[format];
  return parseJsonl(text, file, 'ERR_TASK').map(({ line, value }) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ResurfaceError('ERR_TASK', `${file}:${line}: a ${format} row must be a JSON object`, { line });
    }
    try {
      return fn(value as Row);
    } catch (err) {
      if (err instanceof RowError) throw new ResurfaceError('ERR_TASK', `${file}:${line}: ${format}: ${err.message}`, { line });
      throw err;
    }
  });
}

export async function importTaskFile(format: string, input: string, output: string): Promise<{ n: number }> {
  // Parquet rows are turned into JSONL text so that both inputs share one validated path; a row's
  // "line" in error messages is then its 1-based row number.
  const text = /\.parquet$/i.test(input) ? (await readParquetRows(input)).map((r) => JSON.stringify(r)).join('\n') : readText(input);
  const records = importRows(format, text, input);
  if (records.length === 0) throw new ResurfaceError('ERR_TASK', `${input}: no rows`);
  await writeFileAtomic(output, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { n: records.length };
}

/** Formats whose few-shot examples the harness fixes in code rather than drawing from a split. */
export const FEWSHOT_SAMPLE_SETS = { minerva_math: minervaFewshotRecords } as const;

export async function writeFewshotSamples(format: string, output: string): Promise<{ n: number }> {
  const make = (FEWSHOT_SAMPLE_SETS as Record<string, () => unknown[]>)[format];
  if (!make)
    throw new ResurfaceError(
      'ERR_TASK',
      `no built-in few-shot samples for "${format}"; known: ${Object.keys(FEWSHOT_SAMPLE_SETS).join(', ')}`,
    );
  const records = make();
  await writeFileAtomic(output, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { n: records.length };
}
