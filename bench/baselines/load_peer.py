"""Load peer for bench/load.js: loads a Pythia-shaped checkpoint the way the other baselines do
(bench/baselines/eager_neox.py: numpy memmap of model.safetensors, float32 tensors, then the
compute dtype) and produces one token's logits. Prints one JSON line: load + first token seconds,
the resident set before loading and the peak while loading (VmHWM, reset first where the kernel
allows), so that both sides report the same quantities.

  python3 load_peer.py MODEL_DIR DTYPE THREADS
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eager_neox as E  # noqa: E402
import torch  # noqa: E402


def main(model_dir, dtype, threads):
    E.setup_threads(threads)
    rss_before = E.current_rss_mib()
    E.reset_peak_rss()
    t0 = time.perf_counter()
    model, _ = E.load_model(model_dir, dtype)
    with torch.no_grad():
        logits = model(torch.tensor([[0]]))[0]
        token = int(logits[0, -1].float().argmax())
    seconds = time.perf_counter() - t0
    print(json.dumps({"side": "pytorch", "seconds": seconds, "rssBeforeMiB": rss_before,
                      "peakRssMiB": E.peak_rss_mib(), "token": token}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
