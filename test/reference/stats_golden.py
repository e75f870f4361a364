"""Golden values for test/unit/stats.test.ts, computed independently with numpy and the standard
library only (scipy is not assumed). Run: /usr/bin/python3 test/reference/stats_golden.py"""
import itertools, json, math
from statistics import NormalDist
import numpy as np

x = np.array([0.3, 1.2, 1.2, -0.7, 2.5, 0.0, 3.1, 1.2, 0.9, -1.4])
y = np.array([1.0, 2.0, 0.5, -1.0, 2.0, 0.1, 4.0, 2.0, 0.2, -3.0])
acc = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1])

def ranks(v):
    # average ranks, by brute force: rank = 1 + #less + (#equal - 1) / 2
    return np.array([1 + np.sum(v < a) + (np.sum(v == a) - 1) / 2 for a in v])

def tau_b(a, b):
    s = t_a = t_b = 0
    for i, j in itertools.combinations(range(len(a)), 2):
        da, db = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
        s += da * db
        t_a += da == 0
        t_b += db == 0
    n0 = len(a) * (len(a) - 1) / 2
    return s / math.sqrt((n0 - t_a) * (n0 - t_b))

def wilson(k, n, level):
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [c - h, c + h]

out = {
    "mean_x": float(x.mean()),
    "stderr_x": float(x.std(ddof=1) / math.sqrt(len(x))),
    "stderr_acc": float(acc.std(ddof=1) / math.sqrt(len(acc))),
    "quantiles_x": {str(q): float(np.quantile(x, q)) for q in [0.0, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0]},
    "z975": NormalDist().inv_cdf(0.975),
    "z995": NormalDist().inv_cdf(0.995),
    "wilson_7_12_95": wilson(7, 12, 0.95),
    "wilson_0_20_95": wilson(0, 20, 0.95),
    "wilson_20_20_90": wilson(20, 20, 0.90),
    "ranks_x": ranks(x).tolist(),
    "spearman_xy": float(np.corrcoef(ranks(x), ranks(y))[0, 1]),
    "pearson_xy": float(np.corrcoef(x, y)[0, 1]),
    "kendall_xy": float(tau_b(x, y)),
}
print(json.dumps(out, indent=1))

# Reference xoshiro128** seeded by splitmix32 (as lib/stats/prng.ts), first outputs for seed 42.
M = 0xFFFFFFFF
def splitmix32(seed):
    x = seed & M
    while True:
        x = (x + 0x9E3779B9) & M
        z = x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M
        yield (z ^ (z >> 16)) & M
def rotl(v, k): return ((v << k) | (v >> (32 - k))) & M
def xoshiro(seed, count):
    g = splitmix32(seed); s = [next(g) for _ in range(4)]; res = []
    for _ in range(count):
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 9) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)
        res.append(r)
    return res
print(json.dumps({"xoshiro_seed42": xoshiro(42, 5)}))
