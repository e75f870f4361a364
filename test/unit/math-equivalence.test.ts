/**
 * minerva_math's symbolic check (lib/eval/math-equivalence.ts + scripts/math_equiv.py): pairs whose
 * equivalence is a mathematical fact, the harness's identical-string shortcut and its failure statuses,
 * and the wrapper's behaviour when the interpreter is missing, lacks sympy, dies or hangs.
 * The sympy part runs where .cache/math-venv (scripts/math-venv.sh), $RESURFACE_MATH_PYTHON or python3 has
 * sympy with a LaTeX parser; it is skipped with that reason elsewhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMathEquivalence, mathPython } from '../../lib/eval/math-equivalence';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const dir = makeTmpDir();
afterAll(() => removeTmpDir(dir));

const probe = await checkMathEquivalence([]);
const skip = probe.available ? null : `no Python with sympy and a LaTeX parser (${probe.reason}); build one with scripts/math-venv.sh`;

describe.skipIf(skip !== null)(`is_equiv with sympy (${probe.available ? `${probe.backend}, sympy ${probe.sympy}` : skip})`, () => {
  it('equal values in different forms are equivalent; different values are not', async () => {
    const pairs: Array<[string, string, boolean]> = [
      ['\\frac{1}{2}', '0.5', true],
      ['2x+2', '2(x+1)', true],
      ['\\sqrt{8}', '2\\sqrt{2}', true],
      ['\\frac{6}{4}', '\\frac{3}{2}', true],
      ['x^2-1', '(x-1)(x+1)', true],
      ['3', '4', false],
      ['\\frac{1}{3}', '0.33', false],
      ['x+1', 'x-1', false],
    ];
    const r = await checkMathEquivalence(pairs.map(([a, b]) => [a, b] as const));
    if (!r.available) throw new Error(r.reason);
    expect(r.equiv).toEqual(pairs.map((p) => p[2]));
    expect(r.status).toEqual(pairs.map((p) => (p[2] ? 'equal' : 'unequal')));
  });

  it('identical strings are equivalent even where sympy cannot parse them (the harness shortcut); others that fail to parse are not', async () => {
    const r = await checkMathEquivalence([
      ['[2,5)', '[2,5)'],
      ['(1,2)', '(2,1)'],
      ['x^{', '1'],
      ['', ''],
    ]);
    if (!r.available) throw new Error(r.reason);
    expect(r.equiv).toEqual([true, false, false, false]);
    expect(r.status[0]).toBe('identical');
    for (const s of r.status.slice(1)) expect(['parse_error', 'subtract_error', 'simplify_error', 'error']).toContain(s);
  });
});

describe('the checker process', () => {
  const script = (name: string, body: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return f;
  };

  it('a missing interpreter makes the check unavailable, with the reason', async () => {
    const r = await checkMathEquivalence([['1', '1']], { python: path.join(dir, 'no-such-python') });
    expect(r.available).toBe(false);
    if (!r.available) expect(r.reason).toMatch(/no-such-python/);
  });

  it('an interpreter without sympy reports why (not an error)', async () => {
    const fake = script('no-sympy', `echo '{"ready": false, "reason": "sympy is not importable: No module named sympy"}'; exit 3`);
    const r = await checkMathEquivalence([['1', '1']], { python: fake });
    expect(r).toEqual({ available: false, reason: expect.stringMatching(/sympy is not importable/) });
  });

  it('a checker that dies mid-run is an ERR_TASK error, not missing scores', async () => {
    const fake = script(
      'dies',
      `cat >/dev/null; echo '{"ready": true, "backend": "lark", "sympy": "0"}'; echo '{"equiv": true, "status": "identical"}'; exit 1`,
    );
    await expect(
      checkMathEquivalence(
        [
          ['1', '1'],
          ['2', '2'],
        ],
        { python: fake },
      ),
    ).rejects.toMatchObject({ code: 'ERR_TASK', message: expect.stringMatching(/1 of 2 pairs/) });
  });

  it('a hanging checker is killed at the time limit', async () => {
    const fake = script('hangs', `echo '{"ready": true, "backend": "lark", "sympy": "0"}'; exec sleep 60`);
    const t0 = Date.now();
    await expect(checkMathEquivalence([['1', '2']], { python: fake, timeoutMs: 500 })).rejects.toMatchObject({
      code: 'ERR_TASK',
      message: expect.stringMatching(/did not finish/),
    });
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('the interpreter is chosen explicitly, then from $RESURFACE_MATH_PYTHON', () => {
    expect(mathPython('/x/python')).toBe('/x/python');
    const old = process.env.RESURFACE_MATH_PYTHON;
    process.env.RESURFACE_MATH_PYTHON = '/y/python';
    try {
      expect(mathPython()).toBe('/y/python');
    } finally {
      if (old === undefined) delete process.env.RESURFACE_MATH_PYTHON;
      else process.env.RESURFACE_MATH_PYTHON = old;
    }
  });
});
