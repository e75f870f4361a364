"""Times GEMM shapes in isolation with this Python's torch (Debian's 1.13 = the libtorch resurface links; or
pip torch 2.x), for bench/gemm.js. Per shape and dtype, every way torch offers to run it:

  linear     F.linear(x [M, K], w [N, K])                    (row-major weight: what nn.Linear does)
  matmul-kn  x [M, K] @ wt [K, N] (wt contiguous)            (ours' float32 layout: column-major weight)
  mkldnn     torch._C._nn.mkldnn_linear on oneDNN tensors    (x converted every call; output back to dense)

Also a memory-bandwidth probe (copy of a 256 MiB tensor), for the roofline of the small-M shapes, and with
--step-gemms a whole decode step's GEMMs in order, each layer with its own matrices (as a model reads them:
every weight once per step, so from memory rather than from a cache that a shape timed alone keeps warm).

  python gemm_shapes.py --threads 2 --dtypes float32,bfloat16 --shapes 32x512x50304,1x512x2048 [--seconds 0.4]
      [--step-gemms 512x1536,512x512,512x2048,2048x512 --step-layers 6 --step-head 512x50304 --step-batches 1,32]
Prints one JSON line: {"shapes": [{"m","k","n","dtype","variant","bestSeconds","medianSeconds","medianCpuSeconds","calls"}],
"steps": [{"m","dtype","variant","bestSeconds","medianSeconds","medianCpuSeconds","calls","flops"}], "bandwidthGBs", "bandwidthCpuGBs", ...}.
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


def step_variants(m, layer_shapes, layers, head, dtype):
    """One decode step's GEMMs in order, every layer with its own weights: `linear` (row-major [N, K]) and
    `matmul-kn` (contiguous [K, N]). Returns ({variant: fn}, flops of the step)."""
    g = torch.Generator().manual_seed(1)
    shapes = [kn for _ in range(layers) for kn in layer_shapes] + ([head] if head else [])
    ws = [(torch.randn(n, k, generator=g) * 0.02).to(dtype) for k, n in shapes]
    wts = [w.t().contiguous() for w in ws]
    xs = {k: torch.randn(m, k, generator=g).to(dtype) for k, _ in shapes}
    flops = sum(2 * m * k * n for k, n in shapes)

    def run(weights, f):
        def step():
            for (k, _), w in zip(shapes, weights):
                f(xs[k], w)
        return step
    return {"linear": run(ws, F.linear), "matmul-kn": run(wts, torch.matmul)}, flops


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
    ap.add_argument("--step-gemms", default="", help="KxN,... of one layer's GEMMs, in order")
    ap.add_argument("--step-layers", type=int, default=1)
    ap.add_argument("--step-head", default="", help="KxN of the vocabulary head (after the layers)")
    ap.add_argument("--step-batches", default="1,32")
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
        steps = []
        if a.step_gemms:
            layer_shapes = [tuple(int(v) for v in kn.split("x")) for kn in a.step_gemms.split(",")]
            head = tuple(int(v) for v in a.step_head.split("x")) if a.step_head else None
            for m in (int(v) for v in a.step_batches.split(",")):
                for dt in a.dtypes.split(","):
                    fns, flops = step_variants(m, layer_shapes, a.step_layers, head, getattr(torch, dt))
                    for name, fn in fns.items():
                        best, med, cpu, calls = time_call(fn, 4 * a.seconds)
                        steps.append({"m": m, "dtype": dt, "variant": name, "bestSeconds": best, "medianSeconds": med,
                                      "medianCpuSeconds": cpu, "calls": calls, "flops": flops})
                    del fns
        bw_best, bw_med, bw_cpu = bandwidth(a.seconds)
    print(json.dumps({"torch": torch.__version__, "threads": threads, "shapes": rows, "steps": steps, "bandwidthGBs": bw_best, "bandwidthMedianGBs": bw_med,
                      "bandwidthCpuGBs": bw_cpu,
                      "mkldnnBf16": bool(getattr(torch.backends.mkldnn, "is_available", lambda: False)()),
                      "cpuCapability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: None)() if hasattr(torch.backends, "cpu") else None,
                      "runtime": runtime_facts()}))


if __name__ == "__main__":
    main()
