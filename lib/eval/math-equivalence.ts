/**
 * The symbolic half of the harness's minerva_math exact_match: is_equiv(prediction, gold) with sympy,
 * run by scripts/math_equiv.py in a Python that has sympy (and a LaTeX parser). resurface reports it
 * beside its string-equality `exact_match,none` as `is_equiv,none`, and only where such a Python exists:
 * the harness's own number is is_equiv (which includes the string-equality shortcut).
 *
 * Interpreter, first found: `options.python`, $RESURFACE_MATH_PYTHON, the venv scripts/math-venv.sh
 * builds (.cache/math-venv), python3 on PATH. The parser backend (antlr, as the harness; or lark where
 * antlr4-python3-runtime 4.11 is missing) is named in the result, since the two differ on some inputs.
 *
 *   const eq = await checkMathEquivalence([['\\frac{1}{2}', '0.5']]);
 *   if (eq.available) eq.equiv[0]  // true
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
export const MATH_EQUIV_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'math_equiv.py');
export const MATH_VENV_PYTHON = path.join(PACKAGE_ROOT, '.cache', 'math-venv', 'bin', 'python');

export type EquivStatus = 'identical' | 'equal' | 'unequal' | 'parse_error' | 'subtract_error' | 'simplify_error' | 'timeout' | 'error';

export interface MathEquivalenceResult {
  available: true;
  python: string;
  backend: 'antlr' | 'lark';
  sympy: string;
  /** One per pair, in order. */
  equiv: boolean[];
  status: EquivStatus[];
}

export interface MathEquivalenceUnavailable {
  available: false;
  /** Why not: no interpreter, no sympy, no LaTeX parser. */
  reason: string;
}

export interface MathEquivalenceOptions {
  python?: string;
  /** Whole-run limit beyond the script's own 5 s per pair (default: 10 s per pair + 60 s). */
  timeoutMs?: number;
}

/** The interpreter to try: explicit, $RESURFACE_MATH_PYTHON, the project's math venv, python3. */
export function mathPython(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.RESURFACE_MATH_PYTHON) return process.env.RESURFACE_MATH_PYTHON;
  if (fs.existsSync(MATH_VENV_PYTHON)) return MATH_VENV_PYTHON;
  return 'python3';
}

interface ReadyLine {
  ready: boolean;
  reason?: string;
  backend?: 'antlr' | 'lark';
  sympy?: string;
}

/**
 * is_equiv for every [prediction, gold] pair. Unavailable (never an error) when no Python with sympy and
 * a LaTeX parser runs; an error (ERR_TASK) only when the checker itself breaks mid-run.
 */
export function checkMathEquivalence(
  pairs: ReadonlyArray<readonly [string, string]>,
  options: MathEquivalenceOptions = {},
): Promise<MathEquivalenceResult | MathEquivalenceUnavailable> {
  const python = mathPython(options.python);
  const timeoutMs = options.timeoutMs ?? 60_000 + 10_000 * pairs.length;
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-I', MATH_EQUIV_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    let out = '';
    let err = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() =>
        reject(
          new ResurfaceError('ERR_TASK', `the sympy equivalence check (${python}) did not finish in ${Math.round(timeoutMs / 1000)} s`),
        ),
      );
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => finish(() => resolve({ available: false, reason: `cannot run ${python}: ${e.message}` })));
    child.stdin.on('error', () => {}); // the script may exit before reading (no sympy): its ready line says why
    child.on('close', (code) =>
      finish(() => {
        const lines = out.split('\n').filter((l) => l.trim() !== '');
        let ready: ReadyLine | undefined;
        try {
          ready = lines.length > 0 ? (JSON.parse(lines[0]!) as ReadyLine) : undefined;
        } catch {
          ready = undefined;
        }
        if (!ready)
          return resolve({
            available: false,
            reason: `${python} did not run the checker (exit ${code}): ${err.trim().slice(-300) || 'no output'}`,
          });
        if (!ready.ready) return resolve({ available: false, reason: `${python}: ${ready.reason ?? 'not usable'}` });
        const rows = lines.slice(1).map((l) => JSON.parse(l) as { equiv: boolean; status: EquivStatus });
        if (code !== 0 || rows.length !== pairs.length) {
          return reject(
            new ResurfaceError(
              'ERR_TASK',
              `the sympy equivalence check (${python}) stopped after ${rows.length} of ${pairs.length} pairs (exit ${code}): ${err.trim().slice(-500)}`,
            ),
          );
        }
        resolve({
          available: true,
          python,
          backend: ready.backend!,
          sympy: ready.sympy!,
          equiv: rows.map((r) => r.equiv),
          status: rows.map((r) => r.status),
        });
      }),
    );
    child.stdin.end(pairs.map((p) => JSON.stringify(p)).join('\n') + (pairs.length ? '\n' : ''));
  });
}
