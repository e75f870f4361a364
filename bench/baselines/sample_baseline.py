"""Sampling baseline, written the way people write it: a KV-cached `past_key_values` loop (keys and
values concatenated every step) with torch.multinomial over softmax(logits / T), batch B from the
start token, N new tokens, no EOS handling (every row generates N tokens).

  python3 sample_baseline.py --model DIR --threads N --batch 32 --new-tokens 128 --runs 2 --warmup 1
Prints one JSON line: {"seconds": [...], "tokens": B*N, "peakRssMiB", ...}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from eager_neox import cpu_seconds, current_rss_mib, load_model, peak_rss_mib, reset_peak_rss, runtime_facts, setup_threads  # noqa: E402


@torch.inference_mode()
def generate(model, batch, new_tokens, start_token, temperature=1.0):
    ids = torch.full((batch, 1), start_token, dtype=torch.long)
    past = None
    out = []
    for _ in range(new_tokens):
        logits, past = model(ids, past_key_values=past)
        probs = torch.softmax(logits[:, -1, :] / temperature, dim=-1)
        ids = torch.multinomial(probs, num_samples=1)  # [B, 1]
        out.append(ids)
    return torch.cat(out, dim=1)  # [B, new_tokens]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--warmup-tokens", type=int, default=16)
    ap.add_argument("--start-token", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    threads = setup_threads(a.threads)
    model, _ = load_model(a.model)
    rss_loaded = current_rss_mib()
    peak_load = peak_rss_mib()
    reset_peak_rss()  # from here on, the peak is that of generation (model weights included)
    torch.manual_seed(a.seed)
    for _ in range(a.warmup):
        generate(model, a.batch, a.warmup_tokens, a.start_token)
    secs, cpu = [], []
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), cpu_seconds()
        toks = generate(model, a.batch, a.new_tokens, a.start_token)
        secs.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
        assert toks.shape == (a.batch, a.new_tokens)
    print(json.dumps({
        "side": "pytorch-eager", "threads": threads, "batch": a.batch, "newTokens": a.new_tokens,
        "tokens": a.batch * a.new_tokens, "seconds": secs, "cpuSeconds": cpu,
        "rssAfterLoadMiB": rss_loaded, "peakRssLoadMiB": peak_load, "peakRssMiB": peak_rss_mib(), "runtime": runtime_facts(),
    }))


if __name__ == "__main__":
    main()
