/** Experiment files: defaults, and wrong files whose errors name the field and the line. */
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_DEFAULTS, parseExperimentText } from '../../lib/experiment';

const GOOD = `name: demo
models:
  small: { path: models/small, family: A }
  large: { path: models/large, family: A }
  other: { path: models/other, family: B }
sampling:
  temperatures: [0.7, 1.0]
  num_samples: 100
training:
  lr: 1.0e-4
evaluation:
  tasks: [tasks/facts.jsonl]
  extraction:
    - { name: canaries, data: canaries.jsonl }
grid:
  students: [small]
  sources: [small, large, other]
  seeds: [0, 1]
`;

/** Replace line `n` (1-based) of GOOD. */
function withLine(n: number, text: string | null): string {
  const lines = GOOD.split('\n');
  if (text === null) lines.splice(n - 1, 1);
  else lines[n - 1] = text;
  return lines.join('\n');
}

function errorOf(text: string): { message: string; line: number; field: string } {
  try {
    parseExperimentText(text, 'exp.yaml');
  } catch (err) {
    const e = err as { code: string; message: string; details: { line: number; field: string } };
    expect(e.code).toBe('ERR_EXPERIMENT');
    return { message: e.message, line: e.details.line, field: e.details.field };
  }
  throw new Error('expected a validation error');
}

describe('experiment file', () => {
  it('applies the documented defaults', () => {
    const e = parseExperimentText(GOOD, 'exp.yaml');
    expect(e.sampling.max_new_tokens).toBe(EXPERIMENT_DEFAULTS.sampling.max_new_tokens);
    expect(e.sampling.temperatures).toEqual([0.7, 1.0]);
    expect(e.training).toMatchObject({ lr: 1e-4, epochs: 1, seq_len: EXPERIMENT_DEFAULTS.training.seq_len, schedule: 'constant' });
    expect(e.evaluation.extraction[0]).toMatchObject({ prefix_len: 32, suffix_len: 32, offset: 0 });
    expect(e.evaluation.proxies.enabled).toBe(true);
    expect(e.statistics.resamples).toBe(2000);
  });

  const cases: Array<[string, string, number, string, RegExp]> = [
    ['temperature out of range', withLine(7, '  temperatures: [0.7, 20]'), 7, 'sampling.temperatures[1]', /<=10/],
    ['misspelt field', withLine(8, '  num_sampels: 100'), 8, 'sampling.num_sampels', /unknown field "num_sampels"/],
    ['wrong type', withLine(8, '  num_samples: many'), 8, 'sampling.num_samples', /expected number/],
    [
      'undeclared model in the grid',
      withLine(16, '  students: [tiny]'),
      16,
      'grid.students[0]',
      /"tiny" is not a model declared under "models"/,
    ],
    ['model without path or hub', withLine(4, '  large: { family: A }'), 4, 'models.large', /give "path" or "hub"/],
    [
      'epochs and max_steps together',
      withLine(10, '  epochs: 2\n  max_steps: 10'),
      11,
      'training.max_steps',
      /either "epochs" or "max_steps"/,
    ],
    [
      'missing required field inside a list item',
      withLine(14, '    - { name: canaries }'),
      14,
      'evaluation.extraction[0].data',
      /expected string/,
    ],
    ['missing grid', GOOD.split('\n').slice(0, 14).join('\n'), 1, 'grid', /expected object/],
    ['top_p of zero', withLine(8, '  top_p: 0'), 8, 'sampling.top_p', /expected number to be >0/],
    ['bad model name', withLine(5, '  other/x: { path: o, family: B }'), 5, 'models.other/x', /letters, digits/],
    ['a source listed twice', withLine(17, '  sources: [small, small]'), 17, 'grid.sources', /listed twice/],
    ['hub id without org', withLine(3, '  small: { hub: pythia, family: A }'), 3, 'models.small.hub', /org\/name/],
    [
      'start text and start token together',
      withLine(8, '  num_samples: 100\n  start_token: 0\n  start_text: "x"'),
      10,
      'sampling.start_text',
      /"start_text" or "start_token"/,
    ],
    [
      'min_new_tokens above max_new_tokens',
      withLine(8, '  num_samples: 100\n  max_new_tokens: 10\n  min_new_tokens: 50'),
      10,
      'sampling.min_new_tokens',
      /exceeds max_new_tokens/,
    ],
    [
      'warmup and warmup_ratio together',
      withLine(10, '  lr: 1.0e-4\n  warmup: 5\n  warmup_ratio: 0.1'),
      12,
      'training.warmup_ratio',
      /"warmup" \(steps\) or "warmup_ratio"/,
    ],
  ];
  for (const [what, text, line, field, message] of cases) {
    it(`${what}: line ${line}, field ${field}`, () => {
      const e = errorOf(text);
      expect(e.field).toBe(field);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`exp.yaml:${line}: ${field}: `)).toBe(true);
    });
  }

  it('YAML syntax errors and duplicate keys name the line', () => {
    const bad = errorOf(withLine(9, 'training: [unclosed'));
    expect(bad.message).toMatch(/^exp\.yaml:\d+: not valid YAML/);
    const dup = errorOf(withLine(9, 'sampling: {}\ntraining:'));
    expect(dup.line).toBe(9);
    expect(dup.message).toMatch(/not valid YAML: .*unique/i);
  });
});
