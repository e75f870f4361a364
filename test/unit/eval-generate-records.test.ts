import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTaskFile } from '../../lib/eval/task-file';
import { pythonRegex } from '../../lib/eval/generate-spec';
import { makeTmpDir, removeTmpDir, thrownBy, writeJsonLines } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

let n = 0;
const write = (lines: unknown[]): string => writeJsonLines(path.join(dir, `t${n++}.jsonl`), lines);

const gsm = {
  context: 'Question: 1+1?\nAnswer:',
  target: 'so #### 2',
  until: ['Question:'],
  filter: ['strict-match', 'flexible-extract'],
  ignore_case: true,
  regexes_to_ignore: [',', '\\$', '(?s).*#### ', '\\.$'],
};

describe('generate task records', () => {
  it('reads a GSM8K-style record with the harness defaults filled in', () => {
    const t = readTaskFile(write([gsm, { ...gsm, target: undefined, targets: ['3', 'three'], group: 4 }]));
    expect(t.kind).toBe('generate');
    const g = t.items[0]!.generate!;
    expect(g).toMatchObject({
      until: ['Question:'],
      targets: ['so #### 2'],
      maxGenToks: 256,
      doSample: false,
      temperature: 0,
      topP: 1,
      repeats: 1,
      metric: 'exact_match',
      filters: ['strict-match', 'flexible-extract'],
      ignoreCase: true,
      ignorePunctuation: false,
    });
    expect(t.items[1]!.generate!.targets).toEqual(['3', 'three']);
    expect(t.items[1]!.group).toBe('4');
  });

  it('builds a HumanEval test program from test + entry_point, with sampling settings', () => {
    const t = readTaskFile(
      write([
        {
          context: 'def f(x):\n',
          test: 'def check(c):\n    assert c(1) == 2',
          entry_point: 'f',
          until: ['\ndef'],
          metric: 'pass@k',
          do_sample: true,
          temperature: 0.2,
          top_p: 0.95,
          repeats: 10,
          k: [1, 5],
          max_gen_toks: 512,
        },
      ]),
    );
    const g = t.items[0]!.generate!;
    expect(g.targets).toEqual(['def check(c):\n    assert c(1) == 2\ncheck(f)']);
    expect(g).toMatchObject({ doSample: true, temperature: 0.2, topP: 0.95, repeats: 10, k: [1, 5], maxGenToks: 512, metric: 'pass@k' });
    // temperature 0 is greedy whatever do_sample says (as the harness)
    expect(
      readTaskFile(write([{ context: 'a', target: 'b', until: ['\n'], do_sample: true, temperature: 0 }])).items[0]!.generate!.doSample,
    ).toBe(false);
  });

  it('rejects bad generate records with the file and line (ERR_TASK)', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ context: 'Q', target: 'a', until: [] }, /:2: until is empty/],
      [{ context: 'Q', target: 'a', until: 'x' }, /:2: until must be a non-empty array/],
      [{ context: 'Q', target: 'a', until: [''] }, /:2: until 0 is the empty string/],
      [{ context: 'Q', until: ['\n'] }, /:2: a generate record needs target or targets/],
      [{ context: 'Q', targets: [], until: ['\n'] }, /:2: targets is empty/],
      [{ context: 'Q', target: 'a', targets: ['a'], until: ['\n'] }, /:2: give either target or targets, not both/],
      [{ context: 'Q', target: 3, until: ['\n'] }, /:2: target must be a string/],
      [{ target: 'a', until: ['\n'] }, /:2: context/],
      [{ context: 'Q', target: 'a', until: ['\n'], max_gen_toks: 0 }, /:2: max_gen_toks must be an integer >= 1/],
      [{ context: 'Q', target: 'a', until: ['\n'], metric: 'bleu' }, /:2: metric must be one of/],
      [{ context: 'Q', target: 'a', until: ['\n'], filter: 'regex' }, /:2: filter must be one of/],
      [{ context: 'Q', target: 'a', until: ['\n'], metric: 'minerva_math', filter: 'strict-match' }, /:2: filter applies to exact_match/],
      [{ context: 'Q', target: 'a', until: ['\n'], regexes_to_ignore: ['('] }, /:2: regexes_to_ignore 0 .*not a valid regular expression/],
      [{ context: 'Q', target: 't', until: ['\n'], metric: 'pass@k', k: [5], repeats: 2 }, /:2: k 5 exceeds repeats 2/],
      [{ context: 'Q', test: 't', until: ['\n'], metric: 'pass@k' }, /:2: test and entry_point must both be strings/],
      [{ context: 'Q', test: 't', entry_point: 'f', until: ['\n'] }, /:2: test and entry_point belong to pass@k/],
      [{ context: 'Q', target: 'a', until: ['\n'], top_p: 0 }, /:2: top_p must be a number in \(0, 1\]/],
    ];
    for (const [bad, re] of cases) {
      const e = thrownBy(() => readTaskFile(write([gsm, bad])));
      expect(e.code, JSON.stringify(bad)).toBe('ERR_TASK');
      expect(e.message, JSON.stringify(bad)).toMatch(re);
    }
    expect(thrownBy(() => readTaskFile(write([gsm, { ...gsm, filter: 'none' }]))).message).toMatch(
      /:2: metric, filter and k differ from line 1/,
    );
    expect(thrownBy(() => readTaskFile(write([gsm, { context: 'Q', choices: ['a'], gold: 0 }]))).message).toMatch(
      /:2: a multiple_choice record in a generate task file/,
    );
  });

  it('translates the harness regexes (a leading Python inline flag group)', () => {
    expect('ab\ncd #### 12'.replace(pythonRegex('(?s).*#### ', 'g'), '')).toBe('12');
    expect(pythonRegex('(?i)abc').test('ABC')).toBe(true);
  });
});
