/** Small benchmark rows in the Hugging Face layouts the importers read, for the prompt/few-shot tests. */
export function arcRows(n: number, seed = 0): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `arc-${seed}-${i}`,
    question: `Which of these is number ${i} (set ${seed})?`,
    choices: {
      text: [`first ${i}`, `second ${i}`, `third ${i}`, `fourth ${i}`],
      label: i % 3 === 0 ? ['1', '2', '3', '4'] : ['A', 'B', 'C', 'D'],
    },
    answerKey: i % 3 === 0 ? String((i % 4) + 1) : 'ABCD'[i % 4],
  }));
}

export function hellaswagRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    ind: i,
    activity_label: i % 2 ? 'Washing hands' : 'Home and Garden',
    ctx_a: i % 2 ? `A man turns on tap ${i}.` : `[header] How to plant tree ${i} [title] Dig a hole.`,
    ctx_b: i % 2 ? 'he RINSES' : 'then',
    ctx: 'unused',
    endings: [`soaps up [step] ${i}.`, ` leaves  now ${i}.`, `dries off ${i}`, `[substeps] waits ${i}.`],
    source_id: `src-${i}`,
    split: 'val',
    split_type: 'indomain',
    label: String(i % 4),
  }));
}

export function mmluRows(subjects: string[], perSubject: number, tag: string): Record<string, unknown>[] {
  return subjects.flatMap((subject) =>
    Array.from({ length: perSubject }, (_, i) => ({
      question: `  ${tag} question ${i} on ${subject}?\n`,
      subject,
      choices: [`w ${i}`, `x ${i}`, `y ${i}`, `z ${i}`],
      answer: (i * 7 + subject.length) % 4,
    })),
  );
}

export function truthfulqaRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    question: `What happens if you do thing ${i}?`,
    mc1_targets: { choices: [`Nothing ${i}.`, `You die ${i}.`, `It rains.`], labels: [1, 0, 0] },
    mc2_targets: {
      choices: [`Nothing ${i}.`, `Nothing much.`, `You die ${i}.`, `It rains.`].slice(0, 3 + (i % 2)),
      labels: [1, 1, 0, 0].slice(0, 3 + (i % 2)),
    },
  }));
}

export function gsm8kRows(n: number, tag: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    question: `${tag}: Tom has ${i} apples and buys ${i + 2}. How many?`,
    answer: `He has ${i} + ${i + 2} = <<${i}+${i + 2}=${2 * i + 2}>>${2 * i + 2} apples.\n#### ${2 * i + 2}`,
  }));
}

export function mathRows(): Record<string, unknown>[] {
  return [
    { problem: 'What is $1+1$?', level: 'Level 1', type: 'Algebra', solution: 'We have $1+1=\\boxed{2}$.' },
    {
      problem: 'Simplify $\\frac{6}{8}$.',
      level: 'Level 2',
      type: 'Prealgebra',
      solution: 'Dividing, $\\frac{6}{8} = \\boxed{\\frac34}$.',
    },
    { problem: 'How many ways?', level: 'Level 3', type: 'Counting & Probability', solution: 'There are $\\boxed{1,000}$ ways.' },
    { problem: 'Find x.', level: 'Level 4', type: 'Geometry', solution: 'So $x = \\boxed{5\\text{ cm}}$, or \\boxed 7$ no.' },
    { problem: 'Angle?', level: 'Level 5', type: 'Precalculus', solution: 'The angle is $\\boxed{90^\\circ}$.' },
    {
      problem: 'Root?',
      level: 'Level 5',
      type: 'Intermediate Algebra',
      solution: 'It is $\\boxed{\\sqrt2}$ and $\\boxed{\\dfrac{1}{2}}$.',
    },
  ];
}

export function humanevalRows(): Record<string, unknown>[] {
  return [
    {
      task_id: 'HumanEval/0',
      prompt: 'def add(a, b):\n    """Add two numbers."""\n',
      canonical_solution: '    return a + b\n',
      test: 'def check(candidate):\n    assert candidate(1, 2) == 3\n',
      entry_point: 'add',
    },
  ];
}
