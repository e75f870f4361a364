/** Task importers on small hand-written rows, with the harness's prompts and preprocessing. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hellaswagPreprocess, importRows, importTaskFile, pyCapitalize } from '../../lib/eval/importers';
import { readTaskFile } from '../../lib/eval/task-file';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));
const rows = (...r: unknown[]) => r.map((x) => JSON.stringify(x)).join('\n');

describe('task importers', () => {
  it('ARC: "Question: ...\\nAnswer:", gold = label index of answerKey (letters or digits)', () => {
    const out = importRows(
      'arc_challenge',
      rows(
        { id: 'x', question: 'Which is a gas?', choices: { text: ['rock', 'steam', 'ice'], label: ['A', 'B', 'C'] }, answerKey: 'B' },
        { id: 'y', question: 'Q2', choices: { text: ['a', 'b', 'c', 'd'], label: ['1', '2', '3', '4'] }, answerKey: '4' },
      ),
      'arc.jsonl',
    );
    expect((out as Array<Record<string, unknown>>).map(({ doc: _doc, ...r }) => r)).toEqual([
      { context: 'Question: Which is a gas?\nAnswer:', choices: ['rock', 'steam', 'ice'], gold: 1 },
      { context: 'Question: Q2\nAnswer:', choices: ['a', 'b', 'c', 'd'], gold: 3 },
    ]);
    expect((out[0] as { doc: unknown }).doc).toMatchObject({ id: 'x', answerKey: 'B' }); // the harness's doc, for --log-samples
  });
  it('PIQA and SciQ', () => {
    expect(importRows('piqa', rows({ goal: 'Open a jar', sol1: 'twist', sol2: 'pull', label: 0 }), 'p')).toEqual([
      { context: 'Question: Open a jar\nAnswer:', choices: ['twist', 'pull'], gold: 0, fewshot_excludes_doc: true },
    ]);
    expect(
      importRows(
        'sciq',
        rows({ question: 'What?', distractor1: 'a', distractor2: 'b', distractor3: 'c', correct_answer: 'd', support: '\n  Facts.' }),
        's',
      ),
    ).toEqual([{ context: 'Facts.\nQuestion: What?\nAnswer:', choices: ['a', 'b', 'c', 'd'], gold: 3 }]);
  });
  it('HellaSwag: capitalize ctx_b, strip [title] / [brackets], collapse double spaces', () => {
    expect(pyCapitalize('then THE man')).toBe('Then the man');
    // strip; " [title]" -> ". " gives "x.  Do"; dropping "[step]" leaves three spaces; one
    // non-overlapping pass of "  " -> " " (Python str.replace) leaves two of them
    expect(hellaswagPreprocess(' How to x [title] Do this [step]  now ')).toBe('How to x. Do this  now');
    const out = importRows(
      'hellaswag',
      rows({
        activity_label: 'Washing hands',
        ctx_a: 'A man turns on the tap.',
        ctx_b: 'he',
        endings: ['soaps up.', 'leaves [header] now.'],
        label: '1',
      }),
      'h',
    );
    const [{ doc, ...rec }] = out as Array<{ doc: Record<string, unknown> }>;
    expect(rec).toEqual({
      context: 'Washing hands: A man turns on the tap. He',
      choices: ['soaps up.', 'leaves now.'],
      gold: 1,
      fewshot_excludes_doc: true,
    });
    // process_docs keeps the row's columns and adds query / choices / gold, in that order
    expect(Object.keys(doc!)).toEqual(['activity_label', 'ctx_a', 'ctx_b', 'endings', 'label', 'query', 'choices', 'gold']);
  });
  it('WinoGrande: partial scoring records', () => {
    const out = importRows(
      'winogrande',
      rows({ sentence: 'Sarah was a better cook than Maria because _ practiced more.', option1: 'Sarah', option2: 'Maria', answer: '1' }),
      'w',
    );
    expect(out).toEqual([
      {
        context: '',
        choices: ['Sarah was a better cook than Maria because Sarah', 'Sarah was a better cook than Maria because Maria'],
        continuation: 'practiced more.',
        gold: 0,
        fewshot_excludes_doc: true, // piqa / winogrande set neither fewshot_split nor test_split (task-extras.ts)
      },
    ]);
  });
  it('LAMBADA: last word (split on " ") is the continuation', () => {
    expect(importRows('lambada', rows({ text: 'he said hello to  his friend' }), 'l')).toEqual([
      { context: 'he said hello to  his', continuation: ' friend' },
    ]);
  });
  it('errors name the format and line; unknown formats list the known ones', () => {
    expect(() =>
      importRows(
        'arc_easy',
        rows(
          { question: 'q', choices: { text: ['a'], label: ['A'] }, answerKey: 'A' },
          { question: 'q', choices: { text: ['a'], label: ['A'] }, answerKey: 'E' },
        ),
        'f.jsonl',
      ),
    ).toThrow(/f\.jsonl:2: arc_easy: answerKey "E" is not among the labels/);
    expect(() =>
      importRows('hellaswag', rows({ activity_label: 'a', ctx_a: 'b', ctx_b: 'c', endings: ['x'], label: '' }), 'h.jsonl'),
    ).toThrow(/h\.jsonl:1: hellaswag: field "label"/);
    expect(() => importRows('winogrande', rows({ sentence: 'no blank', option1: 'a', option2: 'b', answer: '1' }), 'w.jsonl')).toThrow(
      /w\.jsonl:1: .*no "_" blank/,
    );
    expect(() => importRows('mmlu_pro', '', 'x')).toThrow(/unknown task format "mmlu_pro"; known formats: arc_easy, arc_challenge, piqa/);
  });
  it('writes a task file that the eval reader accepts', async () => {
    const inp = path.join(dir, 'wino.jsonl');
    fs.writeFileSync(inp, rows({ sentence: 'A _ b.', option1: 'x', option2: 'y', answer: 2 }));
    const out = path.join(dir, 'wino-task.jsonl');
    expect(await importTaskFile('winogrande', inp, out)).toEqual({ n: 1 });
    const t = readTaskFile(out);
    expect(t.kind).toBe('partial');
    expect(t.items[0]!.gold).toBe(1);
    // a missing input (Parquet or not) is an I/O error naming the file
    await expect(importTaskFile('piqa', path.join(dir, 'x.parquet'), out)).rejects.toMatchObject({
      code: 'ERR_IO',
      message: expect.stringContaining('x.parquet'),
    });
  });
});
