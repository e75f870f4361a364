"""Reference group aggregation, written from lm-evaluation-harness 0.4.13 (python stdlib; /usr/bin/python3):
lm_eval/api/metrics.py (mean, mean_stderr = sample_stddev / sqrt(n), aggregate_subtask_metrics,
pooled_sample_stderr) and the MMLU group tree (mmlu/default/_mmlu.yaml, _mmlu_<category>.yaml, the
subjects' `tag: mmlu_<category>_tasks`), as evaluator_utils.consolidate_group_results applies them.

stdin: {"items": [{"subject": str, "acc": float}], "categories": {subject: category}}
stdout: {name: {"acc": float, "acc_stderr": float, "n": int}} for every subject, category group and mmlu
"""
import json
import math
import sys


def mean(arr):
    return sum(arr) / len(arr)


def sample_stddev(arr):
    mu = mean(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


def mean_stderr(arr):
    return sample_stddev(arr) / math.sqrt(len(arr))


def pooled_sample_stderr(stderrs, sizes):
    pooled_sample_var = (sum([(size - 1) * stderr**2 * size for size, stderr in zip(sizes, stderrs)])) / (sum(sizes) - len(sizes))
    return math.sqrt(pooled_sample_var / sum(sizes))


def aggregate_subtask_metrics(metrics, sizes, weight_by_size=True):
    if not weight_by_size:
        sizes = [1] * len(sizes)
    return sum([metric * size for metric, size in zip(metrics, sizes)]) / sum(sizes)


def group(children):
    metrics = [c["acc"] for c in children]
    stderrs = [c["acc_stderr"] for c in children]
    sizes = [c["n"] for c in children]
    return {"acc": aggregate_subtask_metrics(metrics, sizes), "acc_stderr": pooled_sample_stderr(stderrs, sizes), "n": sum(sizes)}


req = json.load(sys.stdin)
out = {}
for subject in sorted({it["subject"] for it in req["items"]}):
    xs = [it["acc"] for it in req["items"] if it["subject"] == subject]
    out["mmlu_" + subject] = {"acc": mean(xs), "acc_stderr": mean_stderr(xs), "n": len(xs)}
cats = []
for cat in ["stem", "other", "social_sciences", "humanities"]:
    kids = [out["mmlu_" + s] for s, c in req["categories"].items() if c == cat and "mmlu_" + s in out]
    if kids:
        out["mmlu_" + cat] = group(kids)
        cats.append(out["mmlu_" + cat])
out["mmlu"] = group(cats)
json.dump(out, sys.stdout)
