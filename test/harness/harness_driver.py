"""Runs the real lm-evaluation-harness (0.4.x, from the venv scripts/harness-venv.sh builds) on local rows:
the task's own YAML from the installed lm_eval, its dataset replaced by local JSON files, a tiny HF model.

stdin: {"yaml": "arc/arc_challenge.yaml", "data_files": {"test": path, "train": path}, "overrides": {...},
        "num_fewshot": k, "seed": s, "model": dir}
stdout: {"samples": [{"doc_id", "arguments": [[ctx, cont], ...], "lls": [..], "is_greedy": [..], "metrics": {..}}],
         (generate_until tasks: "arguments": [[ctx, gen_kwargs]], "resps": [[completion]], "filtered_resps": [answer],
          one sample per filter and document)
         "results": {metric,filter: value}}
"""
import json
import os
import sys
import types

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# truthfulqa/utils.py imports rouge_score for its generation metrics at module level; the mc tasks never
# call it, so a stand-in keeps the import working where the wheel folders lack the package.
try:
    import rouge_score  # noqa: F401
except ImportError:
    stub = types.ModuleType("rouge_score")
    stub.rouge_scorer = types.SimpleNamespace(RougeScorer=None)
    stub.scoring = types.SimpleNamespace(BootstrapAggregator=None)
    sys.modules["rouge_score"] = stub
    sys.modules["rouge_score.rouge_scorer"] = stub.rouge_scorer
    sys.modules["rouge_score.scoring"] = stub.scoring

import lm_eval
from lm_eval import evaluator
from lm_eval.tasks._yaml_loader import load_yaml

req = json.load(sys.stdin)
tasks_dir = os.path.join(os.path.dirname(lm_eval.__file__), "tasks")
cfg = load_yaml(os.path.join(tasks_dir, req["yaml"]), resolve_func=True)
cfg.pop("tag", None)
cfg.update({"dataset_path": "json", "dataset_name": None, "dataset_kwargs": {"data_files": req["data_files"]}})
cfg.update(req.get("overrides", {}))
out = evaluator.simple_evaluate(
    model="hf",
    model_args=f"pretrained={req['model']},dtype=float32,device=cpu",
    tasks=[cfg],
    num_fewshot=req["num_fewshot"],
    fewshot_random_seed=req.get("seed", 1234),
    batch_size=1,
    log_samples=True,
    bootstrap_iters=0,
)
name = cfg["task"]
samples = []
generative = cfg.get("output_type") == "generate_until"
for s in out["samples"][name]:
    sample = {
        "doc_id": s["doc_id"],
        "arguments": [list(a) for a in s["arguments"]],
        "metrics": {m: float(s[m]) for m in s["metrics"]},
        "metric_names": s["metrics"],
        "target": str(s["target"]),
        "filter": s["filter"],
        "doc_hash": s["doc_hash"],
        "prompt_hash": s["prompt_hash"],
        "target_hash": s["target_hash"],
    }
    if generative:  # resps: [[completion, ...]] per request; filtered_resps: the filter's answer per request
        sample["resps"] = [[str(x) for x in r] for r in s["resps"]]
        sample["filtered_resps"] = [str(x) for x in s["filtered_resps"]]
    else:  # resps: [[(loglikelihood, is_greedy)]] per request
        sample["lls"] = [float(r[0][0]) for r in s["resps"]]
        sample["is_greedy"] = [bool(r[0][1]) for r in s["resps"]]
        sample["resps"] = [[str(x) for x in r[0]] for r in s["resps"]]
    samples.append(sample)
json.dump({"samples": sorted(samples, key=lambda x: (x["filter"], x["doc_id"])) if generative else sorted(samples, key=lambda x: x["doc_id"]), "results": {k: v for k, v in out["results"][name].items() if isinstance(v, (int, float))}}, sys.stdout)
