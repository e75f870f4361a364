/**
 * lm-evaluation-harness v0.4 semantics on hand-made fixtures: request construction, the
 * `_encode_pair` continuation split (with the real Pythia / Llama 3 tokenizers), acc, acc_norm by
 * character length, is_greedy pass-through and mean_stderr. Expected values are worked out by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { groupRequests } from '../../lib/eval/evaluate';
import { aggregateLoglikelihood, aggregateMultipleChoice, argmax, scoreItem } from '../../lib/eval/metrics';
import { buildRequests, encodeRequest, moveTrailingSpaces, pyLen, trailingSpaceCount, truncateRequest } from '../../lib/eval/requests';
import { parseTaskRecord, type TaskItem } from '../../lib/eval/task-file';
import { meanStderr } from '../../lib/stats/describe';
import { TextTokenizer } from '../../lib/tokenizer/tokenizer';
import { sharedTokenizerDir } from '../helpers/shared';

const item = (v: unknown, i = 0): TaskItem => parseTaskRecord(v, i, i + 1, `t.jsonl:${i + 1}`);

let pythia: TextTokenizer;
let llama: TextTokenizer;
beforeAll(async () => {
  pythia = await TextTokenizer.load(sharedTokenizerDir('pythia'));
  llama = await TextTokenizer.load(sharedTokenizerDir('llama3'));
});

describe('request construction', () => {
  it('multiple choice: (context, delimiter + choice)', () => {
    expect(buildRequests(item({ context: 'Q: 2+2?\nA:', choices: ['4', '5'], gold: 0 }))).toEqual([
      { context: 'Q: 2+2?\nA:', continuation: ' 4' },
      { context: 'Q: 2+2?\nA:', continuation: ' 5' },
    ]);
    expect(buildRequests(item({ context: 'x', choices: ['y'], gold: 0, target_delimiter: '\n' }))[0]!.continuation).toBe('\ny');
  });
  it('partial scoring (WinoGrande): the choice completes the context, the shared suffix is scored', () => {
    expect(
      buildRequests(
        item({ choices: ['Anna gave it to Mary because Anna', 'Anna gave it to Mary because Mary'], continuation: 'was kind.', gold: 0 }),
      ),
    ).toEqual([
      { context: 'Anna gave it to Mary because Anna', continuation: ' was kind.' },
      { context: 'Anna gave it to Mary because Mary', continuation: ' was kind.' },
    ]);
  });
  it('loglikelihood (LAMBADA): no delimiter', () => {
    expect(buildRequests(item({ context: 'the cat sat on the', continuation: ' mat' }))).toEqual([
      { context: 'the cat sat on the', continuation: ' mat' },
    ]);
  });
});

describe('continuation splitting (_encode_pair)', () => {
  it('moves trailing whitespace of the context (Python rstrip) into the continuation', () => {
    expect(moveTrailingSpaces({ context: 'Answer: ', continuation: ' Paris' })).toEqual({ context: 'Answer:', continuation: '  Paris' });
    expect(moveTrailingSpaces({ context: 'a\n\t \u00a0', continuation: 'b' })).toEqual({ context: 'a', continuation: '\n\t \u00a0b' });
    expect(trailingSpaceCount('x\u001f')).toBe(1); // Python isspace, unlike JS trimEnd
    expect(moveTrailingSpaces({ context: 'a', continuation: ' b' })).toEqual({ context: 'a', continuation: ' b' });
  });

  it('Pythia: continuation tokens are whole[len(context_enc):], no BOS', async () => {
    // "Answer:" = [32869, 27]; "Answer:  Paris" = [32869, 27, 50276, 36062]
    const r = await encodeRequest(pythia, { context: 'Answer: ', continuation: ' Paris' }, 2048);
    expect(r).toEqual({ context: [32869, 27], continuation: [50276, 36062] });
    // a merge across the boundary: "hel" = [2955], "hello world" = [25521 "hello", 1533 " world"]:
    // the harness keeps whole[1:] = [" world"] (the merged "lo" is lost), and so do we
    const m = await encodeRequest(pythia, { context: 'hel', continuation: 'lo world' }, 2048);
    expect(m).toEqual({ context: [2955], continuation: [1533] });
  });

  it('empty context starts with the prefix token (Pythia: <|endoftext|> = 0)', async () => {
    const r = await encodeRequest(pythia, { context: '', continuation: 'hello world' }, 2048);
    expect(r).toEqual({ context: [0], continuation: [25521, 1533] });
  });

  it('Llama 3: BOS on the context, never in the continuation', async () => {
    const r = await encodeRequest(llama, { context: 'hello', continuation: ' world' }, 2048);
    expect(r.context).toEqual([128000, 15339]);
    expect(r.continuation).toEqual([1917]);
    const e = await encodeRequest(llama, { context: '', continuation: 'hello world' }, 2048);
    expect(e).toEqual({ context: [128000], continuation: [15339, 1917] });
  });

  it('left-truncates to max_length + 1 tokens', () => {
    expect(truncateRequest({ context: [1, 2, 3, 4, 5], continuation: [6, 7] }, 4)).toEqual({ context: [3, 4, 5], continuation: [6, 7] });
    expect(truncateRequest({ context: [1], continuation: [6, 7] }, 4)).toEqual({ context: [1], continuation: [6, 7] });
    expect(() => truncateRequest({ context: [1], continuation: [2, 3, 4, 5, 6] }, 4)).toThrow(/does not fit/);
  });

  it('groups requests that share a context', () => {
    const g = groupRequests([
      { context: [1, 2], continuation: [3] },
      { context: [1, 2], continuation: [4, 5] },
      { context: [9], continuation: [3] },
    ]);
    expect(g.groups).toEqual([
      { context: [1, 2], continuations: [[3], [4, 5]] },
      { context: [9], continuations: [[3]] },
    ]);
    expect(g.where).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('metrics', () => {
  it('acc = argmax ll; acc_norm = argmax ll / len(choice) in characters', () => {
    // lls [-2, -4]: acc picks 0; per char: -2/1 = -2 vs -4/4 = -1 -> acc_norm picks 1
    const r = scoreItem(item({ context: 'c', choices: ['a', 'bbbb'], gold: 1 }), [-2, -4], [true, false]);
    expect(r).toEqual({ index: 0, gold: 1, pred: 0, pred_norm: 1, loglikelihoods: [-2, -4], is_greedy: [true, false] });
  });
  it('lengths are code points (Python len), not UTF-16 units', () => {
    // py: -2/1 = -2 vs -3/3 = -1 -> 1.  (UTF-16 lengths would tie -1 vs -1 and pick 0.)
    expect(pyLen('😀')).toBe(1);
    expect(scoreItem(item({ context: 'c', choices: ['😀', 'abc'], gold: 1 }), [-2, -3], [false, false]).pred_norm).toBe(1);
  });
  it('partial scoring normalises by the filler length (the harness divides by len(doc_to_choice))', () => {
    // fillers 'ab' (2) and 'abcdef' (6): -4/2 = -2, -6/6 = -1 -> 1; raw argmax -> 0
    const r = scoreItem(item({ choices: ['ab', 'abcdef'], continuation: 'x', gold: 0 }), [-4, -6], [false, false]);
    expect([r.pred, r.pred_norm]).toEqual([0, 1]);
  });
  it('ties go to the first choice (numpy argmax)', () => {
    expect(argmax([-1, -1, -2])).toBe(0);
    expect(argmax([Number.NaN, -1])).toBe(1);
  });
  it('aggregates with mean_stderr', () => {
    // acc over 4 items [1, 0, 1, 1]: mean 0.75; sample var ((3 * 0.25^2) + 0.75^2) / 3 = 0.25; stderr 0.5 / 2 = 0.25
    const items = [
      { index: 0, gold: 0, pred: 0, pred_norm: 1, loglikelihoods: [], is_greedy: [] },
      { index: 1, gold: 1, pred: 0, pred_norm: 1, loglikelihoods: [], is_greedy: [] },
      { index: 2, gold: 0, pred: 0, pred_norm: 0, loglikelihoods: [], is_greedy: [] },
      { index: 3, gold: 2, pred: 2, pred_norm: 2, loglikelihoods: [], is_greedy: [] },
    ];
    const r = aggregateMultipleChoice('t', items);
    expect(r.acc).toBe(0.75);
    expect(r.acc_stderr).toBeCloseTo(0.25, 12);
    expect(r.acc_norm).toBe(0.75);
    expect(Object.keys(r)).toEqual(['task', 'n', 'acc', 'acc_stderr', 'acc_norm', 'acc_norm_stderr', 'items']);
    expect(meanStderr([1])).toBeNaN();
    expect(aggregateMultipleChoice('t', items.slice(0, 1)).acc_stderr).toBeNull();
  });
  it('loglikelihood tasks: acc = is_greedy, perplexity = exp(-mean ll)', () => {
    const r = aggregateLoglikelihood('lambada', [
      { index: 0, loglikelihood: -1, is_greedy: true },
      { index: 1, loglikelihood: -3, is_greedy: false },
    ]);
    expect(r.acc).toBe(0.5);
    expect(r.perplexity).toBeCloseTo(Math.exp(2), 12);
    expect(r.acc_stderr).toBeCloseTo(0.5, 12); // std sqrt(0.5) / sqrt(2)
  });
});
