"""The symbolic half of lm-evaluation-harness's minerva_math exact_match: is_equiv(x1, x2) of
lm_eval/tasks/minerva_math/utils.py (0.4.x), run for resurface's `eval` on the pairs it sends.

stdin:  one JSON array [x1, x2] a line (normalised LaTeX answers: prediction, gold)
stdout: first {"ready": true, "backend": "antlr" | "lark", "sympy": version, "python": version}
        (or {"ready": false, "reason": ...} and exit 3), then one line per pair:
        {"equiv": bool, "status": "identical" | "equal" | "unequal" | "parse_error" | "subtract_error" |
         "simplify_error" | "timeout" | "error", "detail"?: str}

Semantics, as the harness: identical non-empty strings are equivalent; otherwise both are parsed with
sympy's parse_latex, and equivalent when sympy.simplify(x1 - x2) == 0; parse, subtraction and
simplification failures and a 5 s alarm (parse + simplify) count as not equivalent. The harness's
parser is the ANTLR one (antlr4-python3-runtime 4.11); where it cannot be loaded, sympy's Lark parser
(sympy >= 1.13 with lark) is used and named in the ready line, since the two parsers differ on some
inputs. Exceptions the harness would let through ("error") are reported instead of ending the run.
"""
import json
import platform
import signal
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import sympy
    from sympy.parsing.latex import parse_latex
except Exception as e:  # noqa: BLE001 - any import failure means "unavailable"
    emit({"ready": False, "reason": f"sympy is not importable: {e}"})
    sys.exit(3)


def usable(backend):
    try:
        if backend == "antlr":
            from importlib.metadata import version

            if not version("antlr4-python3-runtime").startswith("4.11"):
                return False
            parse_latex("\\frac{1}{2}")
        else:
            parse_latex("\\frac{1}{2}", backend="lark")
        return True
    except Exception:  # noqa: BLE001
        return False


BACKEND = next((b for b in ("antlr", "lark") if usable(b)), None)
if BACKEND is None:
    emit({"ready": False, "reason": f"sympy {sympy.__version__} has no working LaTeX parser (needs antlr4-python3-runtime 4.11, or lark with sympy >= 1.13)"})
    sys.exit(3)


def parse(x):
    return parse_latex(x) if BACKEND == "antlr" else parse_latex(x, backend="lark")


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, on_alarm)
PARSE_ERRORS = (sympy.parsing.latex.errors.LaTeXParsingError, sympy.SympifyError, TypeError)


def is_equiv(x1, x2):
    if isinstance(x1, str) and x1 and x1 == x2:
        return True, "identical", None
    signal.alarm(5)
    try:
        try:
            a = parse(x1)
            b = parse(x2)
        except PARSE_ERRORS as e:
            return False, "parse_error", type(e).__name__
        except Exception as e:  # noqa: BLE001 - the Lark parser raises its own exception types
            if BACKEND == "lark" and type(e).__module__.startswith("lark"):
                return False, "parse_error", type(e).__name__
            raise
        try:
            diff = a - b
        except TypeError as e:
            return False, "subtract_error", type(e).__name__
        try:
            same = sympy.simplify(diff) == 0
        except ValueError as e:
            return False, "simplify_error", type(e).__name__
        return bool(same), "equal" if same else "unequal", None
    except Timeout:
        return False, "timeout", None
    except Exception as e:  # noqa: BLE001
        return False, "error", f"{type(e).__name__}: {e}"[:200]
    finally:
        signal.alarm(0)


emit({"ready": True, "backend": BACKEND, "sympy": sympy.__version__, "python": platform.python_version()})
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    x1, x2 = json.loads(line)
    equiv, status, detail = is_equiv(x1, x2)
    out = {"equiv": equiv, "status": status}
    if detail:
        out["detail"] = detail
    emit(out)
