"""Forward-pass baseline: tokens/s of GPTNeoX eager at the given [B, T] shapes (full [B, T, V] logits).

  python3 forward_baseline.py --model DIR --threads N --shapes 1x128,8x128 --iters 5 --warmup 2 \
      [--dump-logits FILE --dump-tokens 0,17,42]
Prints one JSON line: {"threads", "shapes": {"1x128": {"seconds": [...]}}, "peakRssMiB", ...}.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from eager_neox import cpu_seconds, current_rss_mib, load_model, peak_rss_mib, reset_peak_rss, runtime_facts, setup_threads  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--shapes", default="1x128,8x128")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dump-logits")
    ap.add_argument("--dump-tokens")
    a = ap.parse_args()
    threads = setup_threads(a.threads)
    model, cfg = load_model(a.model)
    rss_loaded = current_rss_mib()
    peak_load = peak_rss_mib()
    reset_peak_rss()  # from here on, the peak is that of the forward passes (weights included)
    out = {"side": "pytorch-eager", "threads": threads, "torch": torch.__version__, "shapes": {}}
    with torch.inference_mode():
        if a.dump_logits:
            ids = torch.tensor([[int(t) for t in a.dump_tokens.split(",")]])
            model(ids)[0].float().numpy().astype(np.float32).tofile(a.dump_logits)
        for shape in a.shapes.split(","):
            B, T = (int(x) for x in shape.split("x"))
            g = torch.Generator().manual_seed(a.seed)
            ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=g)
            secs, cpu = [], []
            for i in range(a.warmup + a.iters):
                t0, c0 = time.perf_counter(), cpu_seconds()
                logits, _ = model(ids)
                dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
                assert logits.shape == (B, T, cfg["vocab_size"])
                del logits
                if i >= a.warmup:
                    secs.append(dt)
                    cpu.append(dc)
            out["shapes"][shape] = {"seconds": secs, "cpuSeconds": cpu}
    out["rssAfterLoadMiB"] = rss_loaded
    out["peakRssLoadMiB"] = peak_load
    out["peakRssMiB"] = peak_rss_mib()
    out["runtime"] = runtime_facts()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
