"""Independent reference for lib/study and lib/stats/{special,clopper-pearson,holm}.ts, standard
library only. Reads a JSON problem on stdin, prints the answers as JSON on stdout.

Written from the definitions, not from the TypeScript:
  * Student t: CDF by Simpson integration of the density (math.lgamma), quantile by bisection on it.
  * Clopper–Pearson: bisection on the exact binomial tail sum (math.comb), not on the beta function.
  * Holm: the step-down rule as stated by Holm (1979).
  * The contrast: the same two-stage variance (seed variance in closed form, cluster bootstrap with
    the xoshiro128** / splitmix32 stream of lib/stats/prng.ts, so the resamples are the same ones).
"""
import json, math, sys

M32 = 0xFFFFFFFF

class Rng:
    def __init__(self, seed):
        x = (int(math.floor(seed)) & M32) ^ int(math.floor(seed / 2**32))
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            s.append((z ^ (z >> 16)) & M32)
        if not any(s):
            s[0] = 1
        self.s = s

    def u32(self):
        s0, s1, s2, s3 = self.s
        rot = lambda v, k: ((v << k) | (v >> (32 - k))) & M32
        result = (rot((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = rot(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def int(self, n):
        limit = (2**32 // n) * n
        while True:
            u = self.u32()
            if u < limit:
                return u % n

def t_pdf(x, df):
    return math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi) - (df + 1) / 2 * math.log1p(x * x / df))

def t_cdf(x, df):
    if df == float('inf'):
        return 0.5 * math.erfc(-x / math.sqrt(2))
    # integrate the density from 0 to |x| (Simpson, 4000 panels, on a tan-warped axis for heavy tails)
    a = abs(x)
    if a == 0:
        return 0.5
    hi = math.atan(a)
    n = 4000
    h = hi / n
    s = 0.0
    for i in range(n + 1):
        u = i * h
        w = 1 if i in (0, n) else (4 if i % 2 else 2)
        s += w * t_pdf(math.tan(u), df) / math.cos(u) ** 2
    half = s * h / 3
    return 0.5 + half if x > 0 else 0.5 - half

def t_quantile(p, df):
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

def binom_tail_ge(k, n, p):
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))

def cp_lower(k, n, alpha):
    if k == 0:
        return 0.0
    lo, hi = 0.0, 1.0  # P(X >= k | p) increases with p; the bound solves it = alpha
    for _ in range(200):
        mid = (lo + hi) / 2
        if binom_tail_ge(k, n, mid) < alpha:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

def cp_upper(k, n, alpha):
    if k == n:
        return 1.0
    lo, hi = 0.0, 1.0  # P(X <= k | p) decreases with p
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1 - binom_tail_ge(k + 1, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

def holm(ps):
    idx = [i for i, p in enumerate(ps) if p is not None]
    order = sorted(idx, key=lambda i: (ps[i], i))
    m = len(order)
    out = [None] * len(ps)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        out[i] = running
    return out

def var(xs):
    n = len(xs)
    m = sum(xs) / n
    return sum((x - m) ** 2 for x in xs) / (n - 1)

def contrast(study, c, level):
    tasks, strata = study['tasks'], study['strata']
    T = list(range(len(tasks)))
    K = len(strata)
    B = study['resamples']
    rng = Rng(study['seed'])
    # replicate accuracies: reps[t][b][k], base at k = K
    means = [[[sum(run[t][ci] for run in s['runs']) / len(s['runs']) for ci in range(len(tasks[t]['sizes']))] for s in strata] for t in T]
    reps = [[None] * B for _ in T]
    for b in range(B):
        w = []
        for t in T:
            C = len(tasks[t]['sizes'])
            wt = [0] * C
            for _ in range(C):
                wt[rng.int(C)] += 1
            w.append(wt)
        for t in T:
            sizes = tasks[t]['sizes']
            den = sum(wi * si for wi, si in zip(w[t], sizes))
            row = [sum(wi * mi for wi, mi in zip(w[t], means[t][k])) / den for k in range(K)]
            row.append(sum(wi * bi for wi, bi in zip(w[t], tasks[t]['base'])) / den)
            reps[t][b] = row
    items = [sum(tk['sizes']) for tk in tasks]
    run_acc = [[sum(sum(run[t]) / items[t] for t in T) / len(T) for run in s['runs']] for s in strata]
    est = sum(tm['coef'] * sum(run_acc[tm['stratum']]) / len(run_acc[tm['stratum']]) for tm in c['terms'])
    est += c['baseCoef'] * sum(sum(tasks[t]['base']) / items[t] for t in T) / len(T)
    ss = sum(var(x) * (len(x) - 1) for x in run_acc if len(x) >= 2)
    dfp = sum(len(x) - 1 for x in run_acc if len(x) >= 2)
    pooled = ss / dfp
    v_seed, sat, pooled_part = 0.0, 0.0, 0.0
    for tm in c['terms']:
        x = run_acc[tm['stratum']]
        if len(x) >= 2:
            v = tm['coef'] ** 2 * var(x) / len(x)
            v_seed += v
            sat += v * v / (len(x) - 1)
        else:
            pooled_part += tm['coef'] ** 2 * pooled / len(x)
    if pooled_part > 0:
        v_seed += pooled_part
        sat += pooled_part ** 2 / dfp
    v_items = 0.0
    for t in T:
        vals = [(c['baseCoef'] * reps[t][b][K] + sum(tm['coef'] * reps[t][b][tm['stratum']] for tm in c['terms'])) / len(T) for b in range(B)]
        C = len(tasks[t]['sizes'])
        v = var(vals) * C / (C - 1)
        v_items += v
        sat += v * v / (C - 1)
    total = v_seed + v_items
    se = math.sqrt(total)
    df = total * total / sat
    tq = t_quantile(1 - (1 - level) / 2, df)
    tstat = c['direction'] * (est - c['margin']) / se
    return {'estimate': est, 'varSeeds': v_seed, 'varItems': v_items, 'df': df, 'ci': [est - tq * se, est + tq * se], 'p': 1 - t_cdf(tstat, df)}

def drop_bounds(kb, ka, n, alpha):
    lo = cp_lower(kb, n, alpha / 2)
    return 1 - cp_upper(ka, n, alpha / 2) / lo

problem = json.load(sys.stdin)
out = {
    't_cdf': [t_cdf(x, df) for x, df in problem['t_cdf']],
    't_quantile': [t_quantile(p, df) for p, df in problem['t_quantile']],
    'cp': [[cp_lower(k, n, a), cp_upper(k, n, a)] for k, n, a in problem['cp']],
    'holm': [holm(ps) for ps in problem['holm']],
    'drop_lower': [drop_bounds(kb, ka, n, a) for kb, ka, n, a in problem['drop_lower']],
    'contrasts': [contrast(problem['study'], c, problem['level']) for c in problem['contrasts']],
}
json.dump(out, sys.stdout)
