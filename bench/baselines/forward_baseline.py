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
from eager_neox import current_rss_mib, load_model, peak_rss_mib, setup_threads  # noqa: E402


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
    out = {"side": "pytorch-eager", "threads": threads, "torch": torch.__version__, "shapes": {}}
    with torch.inference_mode():
        if a.dump_logits:
            ids = torch.tensor([[int(t) for t in a.dump_tokens.split(",")]])
            model(ids)[0].float().numpy().astype(np.float32).tofile(a.dump_logits)
        for shape in a.shapes.split(","):
            B, T = (int(x) for x in shape.split("x"))
            g = torch.Generator().manual_seed(a.seed)
            ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=g)
            secs = []
            for i in range(a.warmup + a.iters):
                t0 = time.perf_counter()
                logits, _ = model(ids)
                dt = time.perf_counter() - t0
                assert logits.shape == (B, T, cfg["vocab_size"])
                del logits
                if i >= a.warmup:
                    secs.append(dt)
            out["shapes"][shape] = {"seconds": secs}
    out["rssAfterLoadMiB"] = rss_loaded
    out["peakRssMiB"] = peak_rss_mib()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
