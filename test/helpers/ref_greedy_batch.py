#!/usr/bin/python3
"""Many reference greedy jobs in one process (importing torch costs ~2 s per process on 2 cores).

    /usr/bin/python3 test/helpers/ref_greedy_batch.py JOBS.json > RESULT.json

JOBS.json: {"threads": N, "jobs": [{"model": DIR, "tokens": [[ids]], "max_new_tokens": L,
            "eos": [ids]}, ...]}
Each job is test/reference/ref_model.py's `greedy` (argmax, a full forward pass per step, no KV
cache; a row stops after emitting an id in `eos`, which is included). Consecutive jobs on one
model directory load it once. Result: {"results": [{"generated": [[ids]]} | {"error": MSG}]}.
"""
import json
import os
import sys

REF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference")
sys.path.insert(0, REF_DIR)

import torch  # noqa: E402

import ref_model  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    if spec.get("threads"):
        torch.set_num_threads(int(spec["threads"]))
    out = []
    loaded = (None, None)
    for job in spec["jobs"]:
        try:
            key = os.path.abspath(job["model"])
            if loaded[0] != key:
                loaded = (None, None)
                loaded = (key, ref_model.load_model(key, "float32", strict=True))
            gen = ref_model.greedy(loaded[1], job["tokens"], int(job["max_new_tokens"]), job.get("eos") or ())
            out.append({"generated": gen})
        except Exception as e:  # noqa: BLE001 - reported per job
            out.append({"error": f"{type(e).__name__}: {e}"})
    sys.stdout.write(json.dumps({"results": out}) + "\n")


if __name__ == "__main__":
    main()
