"""Times GEMM shapes in isolation with this Python's torch (Debian's 1.13 = the libtorch resurface links; or
pip torch 2.x), for bench/gemm.js. Per shape and dtype, every way torch offers to run it:

  linear     F.linear(x [M, K], w [N, K])                    (row-major weight: what nn.Linear does)
  matmul-kn  x [M, K] @ wt [K, N] (wt contiguous)            (ours' float32 layout: column-major weight)
  mkldnn     torch._C._nn.mkldnn_linear on oneDNN tensors    (x converted every call; output back to dense)

Also a memory-bandwidth probe (copy of a 256 MiB tensor), for the roofline of the small-M shapes.

  python gemm_shapes.py --threads 2 --dtypes float32,bfloat16 --shapes 32x512x50304,1x512x2048 [--seconds 0.4]
Prints one JSON line: {"shapes": [{"m","k","n","dtype","variant","bestSeconds","medianSeconds","medianCpuSeconds","calls"}],
"bandwidthGBs", "bandwidthCpuGBs", ...}.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from eager_neox import runtime_facts, setup_threads  # noqa: E402


def time_call(fn, seconds, min_calls=5):
    """(best wall s, median wall s, median process CPU s, calls): on a loaded machine the CPU time of a
    call (all threads; OMP_WAIT_POLICY=PASSIVE so that waiting threads sleep) divided by the threads is
    the time the work took while it ran."""
    for _ in range(3):
        fn()
    times, cpus = [], []
    t_end = time.perf_counter() + seconds
    while len(times) < min_calls or time.perf_counter() < t_end:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(times), statistics.median(times), statistics.median(cpus), len(times)


def variants(m, k, n, dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(m, k, generator=g).to(dtype)
    w = (torch.randn(n, k, generator=g) * 0.02).to(dtype)
    wt = w.t().contiguous()
    out = {"linear": lambda: F.linear(x, w), "matmul-kn": lambda: torch.matmul(x, wt)}
    try:
        wm = w.to_mkldnn()
        torch._C._nn.mkldnn_linear(x.to_mkldnn(), wm, None).to_dense()
        out["mkldnn"] = lambda: torch._C._nn.mkldnn_linear(x.to_mkldnn(), wm, None).to_dense()
    except (RuntimeError, AttributeError, TypeError):
        pass
    return out


def bandwidth(seconds):
    src = torch.ones(64 * 2 ** 20)  # 256 MiB float32
    dst = torch.empty_like(src)
    best, med, cpu, _ = time_call(lambda: dst.copy_(src), seconds, 3)
    moved = 2 * src.numel() * 4  # read + write
    return moved / best / 1e9, moved / med / 1e9, moved / (cpu / torch.get_num_threads()) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--shapes", required=True, help="MxKxN,...")
    ap.add_argument("--seconds", type=float, default=0.4, help="time budget per (shape, dtype, variant)")
    a = ap.parse_args()
    threads = setup_threads(a.threads)
    rows = []
    with torch.inference_mode():
        for shape in a.shapes.split(","):
            m, k, n = (int(v) for v in shape.split("x"))
            for dt in a.dtypes.split(","):
                for name, fn in variants(m, k, n, getattr(torch, dt)).items():
                    best, med, cpu, calls = time_call(fn, a.seconds)
                    rows.append({"m": m, "k": k, "n": n, "dtype": dt, "variant": name, "bestSeconds": best, "medianSeconds": med,
                                 "medianCpuSeconds": cpu, "calls": calls})
        bw_best, bw_med, bw_cpu = bandwidth(a.seconds)
    print(json.dumps({"torch": torch.__version__, "threads": threads, "shapes": rows, "bandwidthGBs": bw_best, "bandwidthMedianGBs": bw_med,
                      "bandwidthCpuGBs": bw_cpu,
                      "mkldnnBf16": bool(getattr(torch.backends.mkldnn, "is_available", lambda: False)()),
                      "cpuCapability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: None)() if hasattr(torch.backends, "cpu") else None,
                      "runtime": runtime_facts()}))


if __name__ == "__main__":
    main()
