#!/usr/bin/env bash
# Builds the small venv `eval` uses for minerva_math's symbolic check (is_equiv, scripts/math_equiv.py):
# sympy with a LaTeX parser, offline from the machine's local wheel folders, in a venv of python3.
# antlr4-python3-runtime 4.11 (the harness's parser) is installed when the wheel folders have it, else
# lark (sympy's second LaTeX parser). A reference check only: `eval` runs without it and says so.
#
#   scripts/math-venv.sh [VENV_DIR]        (default: .cache/math-venv)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.cache/math-venv}"
PY="${MATH_PYTHON:-$(command -v python3)}"
LINKS=()
for d in /opt/wheels /opt/pypi/files /opt/pypi-more/files; do [ -d "$d" ] && LINKS+=(--find-links "$d"); done
PIP=(--no-index "${LINKS[@]}" --disable-pip-version-check -q)
export PIP_CONSTRAINT=
"$PY" -m venv "$VENV"
V="$VENV/bin/python"
"$V" -m pip install "${PIP[@]}" 'sympy>=1.13'
"$V" -m pip install "${PIP[@]}" 'antlr4-python3-runtime==4.11.*' >/dev/null 2>&1 || "$V" -m pip install "${PIP[@]}" lark
echo '["\\frac{1}{2}", "0.5"]' | "$V" -I "$ROOT/scripts/math_equiv.py" | tail -1 | grep -q '"equiv": true' || { echo "math-venv: the checker failed its self-test" >&2; exit 1; }
echo "math venv ok: $VENV ($("$VENV/bin/python" -I "$ROOT/scripts/math_equiv.py" </dev/null | head -1))"
