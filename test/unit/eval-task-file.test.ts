import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTaskFile } from '../../lib/eval/task-file';
import { makeTmpDir, removeTmpDir, thrownBy, writeJsonLines } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

const write = (name: string, lines: unknown[]): string => writeJsonLines(path.join(dir, name), lines);

describe('task files', () => {
  it('reads the three record kinds with defaults', () => {
    const mc = readTaskFile(
      write('arc.jsonl', [
        { context: 'Q?', choices: ['a', 'b'], gold: 1 },
        '',
        { context: 'R', choices: ['x', 'y', 'z'], gold: 0, target_delimiter: '' },
      ]),
    );
    expect(mc.name).toBe('arc');
    expect(mc.kind).toBe('multiple_choice');
    expect(mc.items.map((i) => [i.index, i.line, i.targetDelimiter, i.gold])).toEqual([
      [0, 1, ' ', 1],
      [1, 3, '', 0],
    ]);
    const part = readTaskFile(write('wino.jsonl', [{ choices: ['The cat', 'The dog'], continuation: 'barked.', gold: 1 }]));
    expect(part.kind).toBe('partial');
    expect(part.items[0]!.context).toBe('');
    const ll = readTaskFile(write('lambada.jsonl', [{ context: 'a b', continuation: ' c' }]));
    expect(ll.kind).toBe('loglikelihood');
    expect(
      readTaskFile(
        write('lim.jsonl', [
          { context: 'a', choices: ['b'], gold: 0 },
          { context: 'a', choices: ['b'], gold: 0 },
        ]),
        { limit: 1 },
      ).items,
    ).toHaveLength(1);
  });

  it('keeps the cluster an item names (group) for clustered statistics, as a string', () => {
    const t = readTaskFile(
      write('grouped.jsonl', [
        { context: 'Q', choices: ['a', 'b'], gold: 0, group: 'entity-7' },
        { context: 'R', choices: ['a', 'b'], gold: 1, group: 7 },
        { context: 'S', choices: ['a'], gold: 0 },
      ]),
    );
    expect(t.items.map((i) => i.group)).toEqual(['entity-7', '7', undefined]);
    expect(thrownBy(() => readTaskFile(write('badgroup.jsonl', [{ context: 'Q', choices: ['a'], gold: 0, group: [1] }]))).message).toMatch(
      /group must be a string or a number/,
    );
  });

  it('rejects bad records with the file and line', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ context: 'Q', choices: [], gold: 0 }, /:2: .*choices is empty/],
      [{ context: 'Q', choices: ['a', 3], gold: 0 }, /:2: .*choices\.1/],
      [{ context: 'Q', choices: ['a', ['b']], gold: 0 }, /:2: .*choices\.1/],
      [{ context: 'Q', choices: 'ab', gold: 0 }, /:2: .*choices/],
      [{ context: 'Q', choices: ['a', ''], gold: 0 }, /:2: .*choice 1 is the empty string/],
      [{ context: 'Q', choices: ['a', 'b'], gold: 2 }, /:2: gold 2 is out of range for 2 choices/],
      [{ context: 'Q', choices: ['a', 'b'], gold: 0.5 }, /:2: .*gold must be an integer/],
      [{ context: 'Q', choices: ['a', 'b'], gold: -1 }, /:2: .*gold must be >= 0/],
      [{ context: 'Q', choices: ['a', 'b'], gold: '1' }, /:2: .*gold/],
      [{ question: 'Q', answerKey: 'A' }, /:2: not a task record.*task import/],
      [[1, 2], /:2: a task record must be a JSON object/],
      ['{"context": "Q", ', /:2: not valid JSON/],
    ];
    for (const [bad, re] of cases) {
      const e = thrownBy(() => readTaskFile(write('bad.jsonl', [{ context: 'ok', choices: ['a'], gold: 0 }, bad])));
      expect(e.code).toBe('ERR_TASK');
      expect(e.message).toMatch(re);
    }
  });

  it('rejects empty files and mixed kinds', () => {
    expect(thrownBy(() => readTaskFile(write('empty.jsonl', ['']))).message).toMatch(/no task records/);
    const e = thrownBy(() =>
      readTaskFile(
        write('mixed.jsonl', [
          { context: 'a', choices: ['b'], gold: 0 },
          { context: 'a', continuation: 'b' },
        ]),
      ),
    );
    expect(e.message).toMatch(/:2: a loglikelihood record in a multiple_choice task file/);
  });
});
