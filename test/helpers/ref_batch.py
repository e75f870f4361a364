#!/usr/bin/python3
"""Many reference jobs in one process (importing torch costs ~2 s per process on 2 cores).

    /usr/bin/python3 test/helpers/ref_batch.py JOBS.json > RESULT.json

JOBS.json:
  {"threads": N,                                  # optional, torch threads
   "make":   [{"config": PATH, "out": DIR, "seed": 0, "set": {"key": value}, "init": "perturbed",
               "std": 0.15, "dtype": "float32", "with_buffers": false, "shards": 1}, ...],
   "logits": [{"model": DIR, "tokens": [[ids]], "dtype": "float32", "strict": false,
               "out_bin": FILE}, ...]}

`make` jobs run first (test/reference/make_tiny_model.py's write_model), then `logits` jobs
(test/reference/ref_model.py's load_model + logits; consecutive jobs on one model dir/dtype
load it once).
`out_bin` receives little-endian float32 [B, T, V] with NaN at padded positions, as
`ref_model.py logits --out-bin` writes it. A job that fails reports its error in the result
instead of stopping the batch:
  {"make": [{"ok": true} | {"error": MSG}], "logits": [{"shape": [B,T,V], "lengths": [...]} | {"error": MSG}]}
"""
import json
import os
import sys
import traceback

REF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference")
sys.path.insert(0, REF_DIR)

import torch  # noqa: E402

import make_tiny_model  # noqa: E402
import ref_model  # noqa: E402


def run_make(job):
    path = job["config"]
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    sets = [f"{k}={json.dumps(v)}" for k, v in (job.get("set") or {}).items()]
    cfg = make_tiny_model.apply_overrides(cfg, sets)
    make_tiny_model.write_model(cfg, job["out"], int(job.get("seed", 0)), job.get("init", "perturbed"),
                                job.get("std"), job.get("dtype", "float32"), bool(job.get("with_buffers", False)),
                                int(job.get("shards", 1)))


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    if jobs.get("threads"):
        torch.set_num_threads(int(jobs["threads"]))
    out = {"make": [], "logits": []}
    for job in jobs.get("make", []):
        try:
            run_make(job)
            out["make"].append({"ok": True})
        except Exception as e:  # noqa: BLE001 - reported per job
            out["make"].append({"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    loaded = (None, None)  # (key, model): consecutive jobs on one model load it once
    for job in jobs.get("logits", []):
        try:
            key = (os.path.abspath(job["model"]), job.get("dtype", "float32"), bool(job.get("strict", False)))
            if loaded[0] != key:
                loaded = (None, None)
                loaded = (key, ref_model.load_model(key[0], key[1], strict=key[2]))
            res = ref_model.logits(loaded[1], job["tokens"])
            res.numpy().astype("<f4", copy=False).tofile(job["out_bin"])
            out["logits"].append({"shape": list(res.shape), "lengths": [len(r) for r in job["tokens"]]})
        except Exception as e:  # noqa: BLE001
            out["logits"].append({"error": f"{type(e).__name__}: {e}"})
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
