#!/usr/bin/env python3
"""The same questions as generative_golden.py, answered by lm-evaluation-harness's own functions
(needs a Python with lm_eval installed: $RESURFACE_HARNESS_PYTHON). Keys it cannot answer are null.

stdin/stdout: as generative_golden.py (filters, exact_match, cut; minerva and solutions when the
minerva_math utils import, which needs sympy, math_verify and antlr4 4.11).
"""
import json
import sys

from lm_eval.api.metrics import exact_match_hf_evaluate
from lm_eval.filters.extraction import RegexFilter
from lm_eval.models.utils import postprocess_generated_text

STRICT = RegexFilter(regex_pattern=r"#### (\-?[0-9\.\,]+)")
FLEXIBLE = RegexFilter(regex_pattern=r"(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select=-1)


def main():
    req = json.load(sys.stdin)
    out = {
        "filters": [{"strict-match": STRICT.apply([[s]], None)[0][0], "flexible-extract": FLEXIBLE.apply([[s]], None)[0][0]} for s in req.get("filters", [])],
        "exact_match": [
            int(exact_match_hf_evaluate([p], [r], o.get("regexes_to_ignore"), o.get("ignore_case", False), o.get("ignore_punctuation", False), o.get("ignore_numbers", False))["exact_match"])
            for p, r, o in req.get("exact_match", [])
        ],
        "cut": [postprocess_generated_text(t, u, None) for t, u in req.get("cut", [])],
        "minerva": None,
        "solutions": None,
    }
    try:
        from lm_eval.tasks.minerva_math import utils as mu

        out["minerva"] = [{"unnormalized": mu.get_unnormalized_answer(s), "answer": mu.normalize_final_answer(mu.get_unnormalized_answer(s)), "normalized": mu.normalize_final_answer(s)} for s in req.get("minerva", [])]
    except Exception as e:  # noqa: BLE001 - its optional dependencies
        sys.stderr.write(f"minerva_math utils unavailable: {type(e).__name__}: {e}\n")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
