"""PyTorch eager training loop: the baseline of bench/train.js.

The model is test/reference/ref_model.py's (transformers semantics, plain nn.Modules, eager),
optimizer torch.optim.AdamW with the Hugging Face Trainer's two groups (no decay on biases and
norm weights), global-norm clipping, the same batch and thread count as the native run.
Prints one JSON line: step times, median tokens/s, peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "reference"))
import ref_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--activation-checkpointing", action="store_true")  # accepted, not used by the baseline
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.tokens) as f:
        rows = torch.tensor(json.load(f), dtype=torch.long)
    ids, targets = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()
    B, T = ids.shape
    model = ref_model.load_model(a.model, "float32", warn=False)
    model.train()
    nd = ref_model.no_decay_names(model)
    named = list(model.named_parameters())
    opt = torch.optim.AdamW(
        [{"params": [p for n, p in named if n not in nd], "weight_decay": 0.1},
         {"params": [p for n, p in named if n in nd], "weight_decay": 0.0}],
        lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    params = [p for _, p in named]
    times, loss = [], None
    for i in range(a.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids).float()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if i > 0:
            times.append(dt)
    med = statistics.median(times)
    print(json.dumps({"stepSec": times, "medianStepSec": med, "tokensPerSec": B * T / med,
                      "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "lastLoss": float(loss.item())}))


if __name__ == "__main__":
    main()
