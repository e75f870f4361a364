#!/usr/bin/env python3
"""Golden answers for generate tasks, written from lm-evaluation-harness's own code (stdlib re only):

- lm_eval/filters/extraction.py RegexFilter.apply + take_first, with the patterns of
  lm_eval/tasks/gsm8k/gsm8k.yaml (strict-match, flexible-extract);
- lm_eval/api/metrics.py exact_match_hf_evaluate (HF evaluate's exact_match);
- lm_eval/tasks/minerva_math/utils.py get_unnormalized_answer, normalize_final_answer,
  last_boxed_only_string, remove_boxed, process_docs' answer;
- HF evaluate code_eval estimate_pass_at_k (Chen et al. 2021), plus the exact binomial form;
- lm_eval/models/utils.py postprocess_generated_text (the cut at `until`).

stdin: {"filters": [str], "exact_match": [[pred, ref, {options}]], "minerva": [str], "solutions": [str],
        "pass_at_k": [[n, c, k]], "cut": [[text, [until...]]]}
stdout: the same keys with the answers.
"""
import json
import math
import re
import string
import sys


# --- RegexFilter (group_select, fallback "[invalid]") + take_first --------------------------------
def regex_filter(resp, pattern, group_select):
    regex = re.compile(pattern)
    match = regex.findall(resp)
    if match:
        match = match[group_select]
        if isinstance(match, tuple):
            match = [m for m in match if m]
            if match:
                match = match[0]
            else:
                match = "[invalid]"
        match = match.strip()
    else:
        match = "[invalid]"
    return match


STRICT = r"#### (\-?[0-9\.\,]+)"
FLEXIBLE = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"


# --- exact_match_hf_evaluate (one prediction, one reference) --------------------------------------
def exact_match(pred, ref, regexes_to_ignore=None, ignore_case=False, ignore_punctuation=False, ignore_numbers=False):
    predictions, references = [pred], [ref]
    if regexes_to_ignore is not None:
        for s in regexes_to_ignore:
            predictions = [re.sub(s, "", x) for x in predictions]
            references = [re.sub(s, "", x) for x in references]
    if ignore_case:
        predictions = [x.lower() for x in predictions]
        references = [x.lower() for x in references]
    if ignore_punctuation:
        table = string.punctuation.maketrans("", "", string.punctuation)
        predictions = [x.translate(table) for x in predictions]
        references = [x.translate(table) for x in references]
    if ignore_numbers:
        table = string.digits.maketrans("", "", string.digits)
        predictions = [x.translate(table) for x in predictions]
        references = [x.translate(table) for x in references]
    return 1 if predictions[0] == references[0] else 0


# --- minerva_math/utils.py -------------------------------------------------------------------------
def last_boxed_only_string(string):
    idx = string.rfind("\\boxed")
    if "\\boxed " in string:
        return "\\boxed " + string.split("\\boxed ")[-1].split("$")[0]
    if idx < 0:
        idx = string.rfind("\\fbox")
        if idx < 0:
            return None
    i = idx
    right_brace_idx = None
    num_left_braces_open = 0
    while i < len(string):
        if string[i] == "{":
            num_left_braces_open += 1
        if string[i] == "}":
            num_left_braces_open -= 1
            if num_left_braces_open == 0:
                right_brace_idx = i
                break
        i += 1
    if right_brace_idx is None:
        return None
    return string[idx : right_brace_idx + 1]


def remove_boxed(s):
    if "\\boxed " in s:
        left = "\\boxed "
        assert s[: len(left)] == left
        return s[len(left) :]
    left = "\\boxed{"
    assert s[: len(left)] == left
    assert s[-1] == "}"
    return s[len(left) : -1]


def get_unnormalized_answer(text):
    INVALID_ANSWER = "[invalidanswer]"
    end_seq = "I hope it is correct."
    text += end_seq
    match = re.search(r"Final Answer: The final answer is(.*?). I hope it is correct.", text)
    if match:
        return match.group(1).strip()
    return INVALID_ANSWER


SUBSTITUTIONS = [
    ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), (r"\ ", ""), (" ", ""), ("mbox", "text"),
    (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"),
]
REMOVED_EXPRESSIONS = [
    "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
    "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
    "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
    "\\text{}^3", "\\text{\n}", "\\text{}", r"\mathrm{th}", r"^\circ", r"^{\circ}", r"\;", r",\!", "{,}", '"',
    "\\dots",
]


def normalize_final_answer(final_answer):
    final_answer = final_answer.split("=")[-1]
    for before, after in SUBSTITUTIONS:
        final_answer = final_answer.replace(before, after)
    for expr in REMOVED_EXPRESSIONS:
        final_answer = final_answer.replace(expr, "")
    final_answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", final_answer)
    final_answer = re.sub(r"(\\text\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", final_answer)
    final_answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", final_answer)
    final_answer = final_answer.replace("$", "")
    if final_answer.replace(",", "").isdigit():
        final_answer = final_answer.replace(",", "")
    return final_answer


def gold_answer(solution):
    try:
        return normalize_final_answer(remove_boxed(last_boxed_only_string(solution)))
    except (AssertionError, TypeError):
        return None


# --- code_eval estimate_pass_at_k ------------------------------------------------------------------
def pass_at_k(n, c, k):
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def pass_at_k_exact(n, c, k):
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


# --- postprocess_generated_text --------------------------------------------------------------------
def cut(generation, stop):
    for term in stop:
        if len(term) > 0:
            generation = generation.split(term)[0]
    return generation


def main():
    req = json.load(sys.stdin)
    out = {
        "filters": [{"strict-match": regex_filter(s, STRICT, 0), "flexible-extract": regex_filter(s, FLEXIBLE, -1)} for s in req.get("filters", [])],
        "exact_match": [
            exact_match(p, r, o.get("regexes_to_ignore"), o.get("ignore_case", False), o.get("ignore_punctuation", False), o.get("ignore_numbers", False))
            for p, r, o in req.get("exact_match", [])
        ],
        "minerva": [{"unnormalized": get_unnormalized_answer(s), "answer": normalize_final_answer(get_unnormalized_answer(s)), "normalized": normalize_final_answer(s)} for s in req.get("minerva", [])],
        "solutions": [gold_answer(s) for s in req.get("solutions", [])],
        "pass_at_k": [[pass_at_k(n, c, k), pass_at_k_exact(n, c, k)] for n, c, k in req.get("pass_at_k", [])],
        "cut": [cut(t, u) for t, u in req.get("cut", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
