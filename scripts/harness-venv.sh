#!/usr/bin/env bash
# Builds the venv the harness-parity tests use (test/harness/*.test.ts): lm-evaluation-harness 0.4.x with
# torch 2.x (CPU) and transformers 5, offline, from the machine's local wheel folders, in a venv of the
# pyenv Python 3.11. A reference only: never a runtime dependency of resurface.
#
#   scripts/harness-venv.sh [VENV_DIR]        (default: .cache/harness-venv; RESURFACE_HARNESS_VENV overrides)
#
# lm-eval is installed with --no-deps and only the runtime imports its log-likelihood path needs
# (datasets, jinja2, sacrebleu, scikit-learn, dill, more-itertools, accelerate, ...): metric packages it
# does not import for these tasks (evaluate, rouge-score, sqlitedict, pytablewriter, word2number) are
# installed when the wheel folders have them and skipped otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-${RESURFACE_HARNESS_VENV:-$ROOT/.cache/harness-venv}}"
PY="${HARNESS_PYTHON:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/3.11.7/bin/python3}"
[ -x "$PY" ] || PY="$(command -v python3.11 || true)"
[ -n "$PY" ] && [ -x "$PY" ] || { echo "harness-venv: no Python 3.11 (set HARNESS_PYTHON)" >&2; exit 1; }

# local wheel folders: pip's configured find-links plus the 'files' folders beside the local indexes
LINKS=()
for d in /opt/wheels /opt/pypi/files /opt/pypi-more/files; do [ -d "$d" ] && LINKS+=(--find-links "$d"); done
INDEXES=()
for d in /opt/pypi/simple /opt/pypi-more/simple; do [ -d "$d" ] && INDEXES+=(--extra-index-url "file://$d"); done
PIP=(--no-index "${LINKS[@]}" "${INDEXES[@]}" --disable-pip-version-check -q)

"$PY" -m venv "$VENV"
V="$VENV/bin/python"
export PIP_CONSTRAINT=   # the machine-wide constraints file pins versions for other tools
"$V" -m pip install "${PIP[@]}" 'torch==2.*' 
"$V" -m pip install "${PIP[@]}" 'transformers>=5' safetensors tokenizers
"$V" -m pip install "${PIP[@]}" --no-deps 'lm_eval==0.4.*'
"$V" -m pip install "${PIP[@]}" datasets jinja2 sacrebleu scikit-learn dill more-itertools typing-extensions tqdm accelerate pyyaml numpy
for opt in evaluate rouge-score sqlitedict pytablewriter word2number zstandard jsonlines; do
  "$V" -m pip install "${PIP[@]}" "$opt" >/dev/null 2>&1 || echo "harness-venv: $opt not in the local wheel folders (not needed for log-likelihood tasks)"
done
"$V" -c 'import lm_eval, torch, transformers; from lm_eval.api.task import ConfigurableTask; from lm_eval.models.huggingface import HFLM; print("harness venv ok:", "lm_eval", lm_eval.__version__ if hasattr(lm_eval, "__version__") else "?", "torch", torch.__version__, "transformers", transformers.__version__)'
