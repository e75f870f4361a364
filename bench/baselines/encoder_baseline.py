"""Sentence-encoder baseline: sentences/s of a BERT encoder + mean pooling + normalisation in plain
PyTorch eager (test/reference/ref_bert.py's Bert: transformers' BertModel math, written the usual way),
on the same length-sorted, right-padded batches as ours.

  python3 encoder_baseline.py --model DIR --rows ROWS.json --threads N --batch 32 --iters 2 --warmup 1 [--dump FILE]
Prints one JSON line: {"seconds": [...], "cpuSeconds": [...], "runtime": {...}}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "reference"))
from eager_neox import cpu_seconds, runtime_facts, setup_threads  # noqa: E402
from ref_bert import Bert, pool  # noqa: E402


def embed_all(bert, rows, batch):
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    out = torch.empty(len(rows), bert.H)
    for s in range(0, len(rows), batch):
        idx = order[s:s + batch]
        T = len(rows[idx[0]])
        ids = torch.zeros(len(idx), T, dtype=torch.long)
        mask = torch.zeros(len(idx), T, dtype=torch.long)
        for b, i in enumerate(idx):
            ids[b, :len(rows[i])] = torch.tensor(rows[i])
            mask[b, :len(rows[i])] = 1
        out[idx] = F.normalize(pool(bert.forward(ids, mask), mask, "mean_tokens"), p=2, dim=1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--dump")
    a = ap.parse_args()
    threads = setup_threads(a.threads)
    bert = Bert(a.model)
    with open(a.rows) as f:
        rows = json.load(f)
    seconds, cpu = [], []
    with torch.inference_mode():
        for i in range(a.warmup + a.iters):
            c0, t0 = cpu_seconds(), time.perf_counter()
            e = embed_all(bert, rows, a.batch)
            dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
            if i >= a.warmup:
                seconds.append(dt)
                cpu.append(dc)
        if a.dump:
            e.numpy().astype(np.float32).tofile(a.dump)
    print(json.dumps({"side": "pytorch-eager", "threads": threads, "torch": torch.__version__, "seconds": seconds, "cpuSeconds": cpu, "runtime": runtime_facts()}))


if __name__ == "__main__":
    main()
