"""PyTorch training loop: the peer of bench/train.js (runs under Debian's torch 1.13 and pip torch 2.x).

The model is test/reference/ref_model.py's (transformers semantics, plain nn.Modules, eager),
optimizer torch.optim.AdamW with the Hugging Face Trainer's two groups (no decay on biases and
norm weights), global-norm clipping, the same batch and thread count as the native run.
--dtype bfloat16: float32 master weights and optimizer state, forward and backward under
torch.autocast("cpu", dtype=torch.bfloat16) (PyTorch's mixed-precision recipe; GEMMs in bf16),
loss in float32. --forward-only: timed forward passes (no grad) of the same batch instead.
Prints one JSON line: step times, median tokens/s, peak RSS (VmHWM of the whole process, and since load).
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
import ref_model  # noqa: E402
from eager_neox import cpu_seconds, peak_rss_mib, reset_peak_rss, runtime_facts  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--forward-only", action="store_true")
    ap.add_argument("--activation-checkpointing", action="store_true")  # accepted, not used by the peer
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.tokens) as f:
        rows = torch.tensor(json.load(f), dtype=torch.long)
    ids, targets = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()
    B, T = ids.shape
    model = ref_model.load_model(a.model, "float32", warn=False)
    peak_load = peak_rss_mib()
    reset_peak_rss()
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.dtype == "bfloat16" else contextlib.nullcontext
    times, cpu, loss = [], [], None
    if a.forward_only:
        with torch.inference_mode():
            for i in range(a.steps + 1):
                t0, c0 = time.perf_counter(), cpu_seconds()
                with autocast():
                    logits = model(ids)
                logits = logits.float()
                dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
                del logits
                if i > 0:
                    times.append(dt)
                    cpu.append(dc)
    else:
        model.train()
        nd = ref_model.no_decay_names(model)
        named = list(model.named_parameters())
        opt = torch.optim.AdamW(
            [{"params": [p for n, p in named if n not in nd], "weight_decay": 0.1},
             {"params": [p for n, p in named if n in nd], "weight_decay": 0.0}],
            lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
        params = [p for _, p in named]
        for i in range(a.steps + 1):
            t0, c0 = time.perf_counter(), cpu_seconds()
            opt.zero_grad(set_to_none=True)
            with autocast():
                logits = model(ids)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
            if i > 0:  # step 0 is warmup (allocates the optimizer state)
                times.append(dt)
                cpu.append(dc)
    med = statistics.median(times)
    with open("/proc/self/status") as f:
        status = f.read()
    print(json.dumps({"stepSec": times, "cpuSec": cpu, "medianStepSec": med, "tokensPerSec": B * T / med,
                      "peakRssMiB": max(peak_load, peak_rss_mib()), "peakRssLoadMiB": peak_load, "peakRssSinceLoadMiB": peak_rss_mib(),
                      "lastLoss": None if loss is None else float(loss.item()), "torch": torch.__version__, "dtype": a.dtype,
                      "runtime": runtime_facts(), "vmhwmAvailable": "VmHWM" in status}))


if __name__ == "__main__":
    main()
