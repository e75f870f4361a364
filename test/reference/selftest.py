#!/usr/bin/python3
"""Quick self-check of the reference (< 1 minute on 2 cores):  /usr/bin/python3 selftest.py

For every family (the vendored configs in /work/shared/configs, scaled down but keeping GQA ratios,
partial rotary, qk-norm, head_dim != hidden/heads, tied-or-not, llama3 scaling, both NeoX residual
forms) it builds a tiny random model with make_tiny_model and checks:
  - logits are finite (float32 and bfloat16),
  - right-padding a row does not change its real-position logits,
  - causality: logits at position t do not depend on tokens after t,
  - agreement with a second, deliberately different float64 numpy implementation written below
    (explicit per-head loops, pairwise rotation, Meta's original llama3 frequency scaling),
  - transformers-5 style `rope_parameters` configs give the same logits as transformers-4 style.
Plus: safetensors round trips, bf16/f16/sharded/with-buffers checkpoints, loader errors, loglik /
greedy consistency, AdamW step against its closed form, and a smoke run of every CLI command.
Exit status 0 when everything passes.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tiny_model as mtm  # noqa: E402
import ref_model as rm  # noqa: E402

# like test/helpers/shared.ts: $RESURFACE_SHARED, else ../shared next to the repository root
_SHARED = os.environ.get("RESURFACE_SHARED") or os.path.join(HERE, "..", "..", "..", "shared")
CONFIGS = os.path.abspath(os.path.join(_SHARED, "configs"))
if not os.path.isdir(CONFIGS):
    CONFIGS = "/work/shared/configs"
PY = sys.executable or "/usr/bin/python3"
SMALL = {"hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 512,
         "max_position_embeddings": 128}

# name, vendored config, overrides (on top of SMALL)
VARIANTS = [
    ("pythia70m-parallel", "EleutherAI--pythia-70m", {"num_attention_heads": 8}),  # hd 8, rotary 2
    ("pythia160m-sequential", "EleutherAI--pythia-160m", {"num_attention_heads": 4, "use_parallel_residual": False}),
    ("pythia-tied-gelu_new", "EleutherAI--pythia-410m",
     {"num_attention_heads": 4, "tie_word_embeddings": True, "hidden_act": "gelu_new", "rotary_pct": 0.5}),
    ("llama3.2-1b", "meta-llama--Llama-3.2-1B", {"num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16}),
    ("llama-untied-bias-hd32", "meta-llama--Llama-3.2-1B",
     {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "tie_word_embeddings": False,
      "attention_bias": True, "mlp_bias": True}),
    ("qwen2.5-0.5b", "Qwen--Qwen2.5-0.5B", {"hidden_size": 112, "num_attention_heads": 14, "num_key_value_heads": 2}),
    ("qwen2.5-1.5b-untied", "Qwen--Qwen2.5-1.5B",
     {"hidden_size": 96, "num_attention_heads": 12, "num_key_value_heads": 2, "tie_word_embeddings": False}),
    ("qwen3-0.6b", "Qwen--Qwen3-0.6B", {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32}),
    ("qwen3-untied-bias", "Qwen--Qwen3-0.6B",
     {"num_attention_heads": 4, "num_key_value_heads": 4, "head_dim": 16, "tie_word_embeddings": False,
      "attention_bias": True}),
]
STD = 0.1  # larger than initializer_range so attention is far from uniform

FAILS = []


def check(ok, what):
    if not ok:
        FAILS.append(what)
        print("  FAIL", what)


def load_cfg(dirname, over):
    with open(os.path.join(CONFIGS, dirname, "config.json")) as f:
        cfg = json.load(f)
    cfg.update(SMALL)
    cfg.update(over)
    return cfg


# ---------------------------------------------------------------- second implementation (numpy, float64)

def meta_llama3_scale(freqs, rs):
    """Meta's reference `apply_scaling` (llama-models), written per frequency."""
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs.get("original_max_position_embeddings", 8192)
    low_wl, high_wl = old / low, old / high
    out = []
    for f in freqs:
        wl = 2 * math.pi / f
        if wl < high_wl:
            out.append(f)
        elif wl > low_wl:
            out.append(f / factor)
        else:
            s = (old / wl - low) / (high - low)
            out.append((1 - s) * f / factor + s * f)
    return np.array(out)


def naive_logits(cfg, W, tokens):
    W = {k: v.astype(np.float64) for k, v in W.items()}
    fam = mtm._family(cfg)
    H, nh, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    T = len(tokens)
    if fam == "gpt_neox":
        hd, nkv = H // nh, nh
        rp = cfg.get("rope_parameters") or {}
        rd = int(hd * rp.get("partial_rotary_factor", cfg.get("rotary_pct", 0.25)))
        theta = rp.get("rope_theta", cfg.get("rotary_emb_base", 10000))
        eps = cfg.get("layer_norm_eps", 1e-5)
    else:
        hd = cfg.get("head_dim") or H // nh
        nkv = cfg["num_key_value_heads"]
        rd = hd
        rp = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
        theta = rp.get("rope_theta", cfg.get("rope_theta", 10000))
        eps = cfg.get("rms_norm_eps", 1e-6)
    freqs = np.array([theta ** (-(2 * i) / rd) for i in range(rd // 2)])
    if rp.get("rope_type") == "llama3":
        freqs = meta_llama3_scale(freqs, rp)

    def rot(vec, pos):  # pairs (i, i + rd/2) of the first rd dims
        v = vec.copy()
        for i in range(rd // 2):
            a, b = vec[i], vec[i + rd // 2]
            c, s = math.cos(pos * freqs[i]), math.sin(pos * freqs[i])
            v[i], v[i + rd // 2] = a * c - b * s, b * c + a * s
        return v

    def ln(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w + b

    def rms(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    def act(x, name):
        if name == "gelu":
            return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
        if name in ("gelu_new", "gelu_pytorch_tanh"):
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        if name == "silu":
            return x / (1 + np.exp(-x))
        raise ValueError(name)

    def lin(x, p, bias=True):
        y = x @ W[p + ".weight"].T
        return y + W[p + ".bias"] if bias and (p + ".bias") in W else y

    def attend(qs, ks, vs):  # lists per head of [T, hd]; kv head for query head j is j // (nh/nkv)
        outs = []
        for j in range(nh):
            q, k, v = qs[j], ks[j * nkv // nh], vs[j * nkv // nh]
            o = np.zeros((T, hd))
            for t in range(T):
                sc = np.array([q[t] @ k[u] / math.sqrt(hd) for u in range(t + 1)])
                pr = np.exp(sc - sc.max())
                pr /= pr.sum()
                o[t] = pr @ v[:t + 1]
            outs.append(o)
        return np.concatenate(outs, axis=1)

    if fam == "gpt_neox":
        x = W["gpt_neox.embed_in.weight"][tokens]
        for i in range(L):
            p = f"gpt_neox.layers.{i}."
            h = ln(x, W[p + "input_layernorm.weight"], W[p + "input_layernorm.bias"])
            qkv = lin(h, p + "attention.query_key_value")
            qs, ks, vs = [], [], []
            for j in range(nh):
                base = j * 3 * hd
                qs.append(np.stack([rot(qkv[t, base:base + hd], t) for t in range(T)]))
                ks.append(np.stack([rot(qkv[t, base + hd:base + 2 * hd], t) for t in range(T)]))
                vs.append(qkv[:, base + 2 * hd:base + 3 * hd])
            a = lin(attend(qs, ks, vs), p + "attention.dense")
            mlp_in = lambda z: ln(z, W[p + "post_attention_layernorm.weight"], W[p + "post_attention_layernorm.bias"])
            mlp = lambda z: lin(act(lin(z, p + "mlp.dense_h_to_4h"), cfg.get("hidden_act", "gelu")), p + "mlp.dense_4h_to_h")
            if cfg.get("use_parallel_residual", True):
                x = x + a + mlp(mlp_in(x))
            else:
                x = x + a
                x = x + mlp(mlp_in(x))
        x = ln(x, W["gpt_neox.final_layer_norm.weight"], W["gpt_neox.final_layer_norm.bias"])
        head = W["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings") else W["embed_out.weight"]
        return x @ head.T
    x = W["model.embed_tokens.weight"][tokens]
    for i in range(L):
        p = f"model.layers.{i}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q, k, v = (lin(h, p + "self_attn." + n) for n in ("q_proj", "k_proj", "v_proj"))
        qs, ks, vs = [], [], []
        for j in range(nh):
            qj = q[:, j * hd:(j + 1) * hd]
            if fam == "qwen3":
                qj = rms(qj, W[p + "self_attn.q_norm.weight"])
            qs.append(np.stack([rot(qj[t], t) for t in range(T)]))
        for j in range(nkv):
            kj = k[:, j * hd:(j + 1) * hd]
            if fam == "qwen3":
                kj = rms(kj, W[p + "self_attn.k_norm.weight"])
            ks.append(np.stack([rot(kj[t], t) for t in range(T)]))
            vs.append(v[:, j * hd:(j + 1) * hd])
        x = x + lin(attend(qs, ks, vs), p + "self_attn.o_proj")
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        x = x + lin(act(lin(h, p + "mlp.gate_proj"), "silu") * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return x @ head.T


# ---------------------------------------------------------------- checks

def maxdiff(a, b):
    return float((torch.as_tensor(a).double() - torch.as_tensor(b).double()).abs().max())


def check_variant(tmp, name, dirname, over):
    t0 = time.time()
    cfg = load_cfg(dirname, over)
    d = os.path.join(tmp, name)
    W = mtm.write_model(cfg, d, seed=1, std=STD)
    m = rm.load_model(d, "float32", strict=True)
    gen = np.random.default_rng(7)
    rows = [gen.integers(0, 512, size=n).tolist() for n in (7, 3, 5)]
    lg = rm.logits(m, rows)
    check(lg.shape == (3, 7, cfg["vocab_size"]), f"{name}: shape {tuple(lg.shape)}")
    real = torch.cat([lg[b, :len(r)] for b, r in enumerate(rows)])
    check(bool(torch.isfinite(real).all()), f"{name}: non-finite logits")
    check(bool(torch.isnan(lg[1, 3:]).all()), f"{name}: padded positions are not NaN")
    # right padding does not change real positions
    pad_diff = max(maxdiff(rm.logits(m, [r])[0], lg[b, :len(r)]) for b, r in enumerate(rows))
    check(pad_diff <= 1e-5, f"{name}: padding changes logits by {pad_diff:.3g}")
    # causality: change every token after t
    t = 3
    alt = rows[0][:t + 1] + [(x + 101) % 512 for x in rows[0][t + 1:]]
    lg2 = rm.logits(m, [alt, rows[1], rows[2]])  # same batch shape: kernels see identical sizes
    causal = maxdiff(lg2[0, :t + 1], lg[0, :t + 1])
    later = maxdiff(lg2[0, t + 1:], lg[0, t + 1:])
    check(causal == 0.0, f"{name}: logits at <= t depend on later tokens ({causal:.3g})")
    check(later > 1e-4, f"{name}: changing tokens did not change later logits ({later:.3g})")
    # second implementation
    ref = naive_logits(cfg, W, rows[0])
    nd = maxdiff(lg[0], ref)
    scale = float(np.abs(ref).max())
    check(nd <= 1e-4 * max(1.0, scale), f"{name}: float32 vs numpy float64 differ by {nd:.3g} (scale {scale:.3g})")
    # bfloat16 run
    mb = rm.load_model(d, "bfloat16", strict=True)
    lb = rm.logits(mb, rows)
    bd = max(maxdiff(lb[b, :len(r)], lg[b, :len(r)]) for b, r in enumerate(rows))
    check(bool(torch.isfinite(torch.cat([lb[b, :len(r)] for b, r in enumerate(rows)])).all()), f"{name}: bf16 non-finite")
    check(bd <= 0.05 * max(1.0, scale), f"{name}: bf16 vs f32 differ by {bd:.3g} (scale {scale:.3g})")
    print(f"  {name:26s} ok  pad {pad_diff:.1e}  causal {causal:.1e}  numpy {nd:.1e}  bf16 {bd:.1e}  "
          f"scale {scale:.2f}  {time.time() - t0:.1f}s")
    return cfg, d, m, rows, lg


def check_rope_parameters_style(tmp):
    """transformers-5 `rope_parameters` configs == transformers-4 style configs."""
    # llama3 scaling
    c4 = load_cfg("meta-llama--Llama-3.2-1B", {"num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16})
    c5 = dict(c4)
    rs = dict(c5.pop("rope_scaling"))
    rs["rope_theta"] = c5.pop("rope_theta")
    c5["rope_parameters"] = rs
    # NeoX partial rotary
    n4 = load_cfg("EleutherAI--pythia-160m", {"num_attention_heads": 4, "rotary_pct": 0.5, "rotary_emb_base": 5000})
    n5 = dict(n4)
    n5["rope_parameters"] = {"rope_type": "default", "rope_theta": n5.pop("rotary_emb_base"),
                             "partial_rotary_factor": n5.pop("rotary_pct")}
    rows = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
    for tag, a, b in (("llama3", c4, c5), ("neox", n4, n5)):
        da, db = os.path.join(tmp, f"rp4-{tag}"), os.path.join(tmp, f"rp5-{tag}")
        mtm.write_model(a, da, seed=3, std=STD)
        mtm.write_model(b, db, seed=3, std=STD)
        ma, mb = rm.load_model(da), rm.load_model(db)
        check(torch.equal(ma.inv_freq, mb.inv_freq), f"rope_parameters {tag}: inv_freq differs")
        diff = maxdiff(rm.logits(ma, rows), rm.logits(mb, rows))
        check(diff == 0.0, f"rope_parameters {tag}: logits differ by {diff:.3g}")
    # llama3 frequencies of the full-size Llama-3.2-1B config vs Meta's per-frequency formula
    with open(os.path.join(CONFIGS, "meta-llama--Llama-3.2-1B", "config.json")) as f:
        full = rm.Config(json.load(f))
    ours = full.inv_freq().double().numpy()
    base = np.array([full.rope_theta ** (-(2 * i) / full.rotary_dim) for i in range(full.rotary_dim // 2)])
    meta = meta_llama3_scale(base, full.rope_params)
    rel = float(np.max(np.abs(ours - meta) / meta))
    check(rel < 1e-5, f"llama3 inv_freq vs Meta formula rel diff {rel:.3g}")
    check(int(np.sum(np.abs(meta - base) > 1e-12 * base)) > 0, "llama3 scaling changed nothing")
    print(f"  rope_parameters (v5) == v4 style; llama3 inv_freq rel diff {rel:.1e}")


def check_safetensors(tmp):
    p = os.path.join(tmp, "rt.safetensors")
    g = np.random.default_rng(0)
    f32 = g.normal(size=(3, 5)).astype(np.float32)
    t = {"a": f32, "b": f32.astype(np.float16), "c": ("BF16", rm.f32_to_bf16_bits(f32)),
         "d": np.tril(np.ones((1, 1, 4, 4), dtype=np.bool_)), "e": np.array(-1e9, dtype=np.float32),
         "f": np.arange(6, dtype=np.int64).reshape(2, 3)}
    rm.write_safetensors(p, t, {"format": "pt"})
    back, meta = rm.read_safetensors(p)
    check(meta == {"format": "pt"}, "safetensors metadata")
    check(np.array_equal(back["a"], f32), "safetensors F32 round trip")
    check(np.array_equal(back["b"], f32.astype(np.float16).astype(np.float32)), "safetensors F16 round trip")
    torch_bf16 = torch.from_numpy(f32).to(torch.bfloat16).float().numpy()
    check(np.array_equal(back["c"], torch_bf16), "BF16 bits (RNE) != torch .to(bfloat16)")
    check(back["d"].dtype == np.bool_ and back["d"].shape == (1, 1, 4, 4) and bool(back["d"][0, 0, 3, 0]), "BOOL round trip")
    check(back["e"].shape == () and float(back["e"]) == -1e9, "scalar round trip")
    check(np.array_equal(back["f"], t["f"]), "I64 round trip")
    hdr, start, size = rm.read_safetensors_header(p)
    check(start % 8 == 0, "header not padded to 8 bytes")
    # special values survive bf16 rounding like torch
    sp = np.array([0.0, -0.0, np.inf, -np.inf, 1e-40, 3.4e38, 1.00390625, 1.01171875], dtype=np.float32)
    check(np.array_equal(rm.bf16_bits_to_f32(rm.f32_to_bf16_bits(sp)),
                         torch.from_numpy(sp).to(torch.bfloat16).float().numpy()), "bf16 special values")


def check_checkpoint_forms(tmp, cfg, d, m, rows, lg):
    """bf16 / f16 stored weights, sharded index, ignored buffers, missing / unexpected tensors."""
    W = mtm.make_tensors(cfg, seed=1, std=STD)
    for dt, tdt in (("bfloat16", torch.bfloat16), ("float16", torch.float16)):
        dd = os.path.join(tmp, "form-" + dt)
        mtm.write_model(cfg, dd, seed=1, std=STD, dtype=dt)
        mm = rm.load_model(dd, "float32", strict=True)
        ok = all(torch.equal(p.data, torch.from_numpy(W[n]).to(tdt).float()) for n, p in mm.named_parameters())
        check(ok, f"{dt}-stored weights not read back exactly")
    for tag, kw in (("buffers", {"with_buffers": True}), ("sharded", {"shards": 3}),
                    ("sharded+buffers", {"shards": 2, "with_buffers": True})):
        dd = os.path.join(tmp, "form-" + tag)
        mtm.write_model(cfg, dd, seed=1, std=STD, **kw)
        diff = maxdiff(rm.logits(rm.load_model(dd, strict=True), rows).nan_to_num(), lg.nan_to_num())
        check(diff == 0.0, f"{tag} checkpoint gives different logits ({diff:.3g})")
    hdr, _, _ = rm.read_safetensors_header(os.path.join(tmp, "form-buffers", "model.safetensors"))
    check(hdr.get("gpt_neox.layers.0.attention.bias", {}).get("dtype") == "BOOL", "NeoX attention.bias buffer not written")
    # missing tensor -> error; unexpected -> error only when strict
    dd = os.path.join(tmp, "form-missing")
    mtm.write_model(cfg, dd, seed=1, std=STD)
    t, _ = rm.read_safetensors(os.path.join(dd, "model.safetensors"))
    victim = sorted(t)[3]
    rm.write_safetensors(os.path.join(dd, "model.safetensors"), {k: v for k, v in t.items() if k != victim})
    try:
        rm.load_model(dd)
        check(False, "missing tensor did not raise")
    except KeyError:
        pass
    t["foo.bar"] = np.zeros(3, dtype=np.float32)
    rm.write_safetensors(os.path.join(dd, "model.safetensors"), t)
    rm.load_model(dd, warn=False)
    try:
        rm.load_model(dd, strict=True, warn=False)
        check(False, "unexpected tensor did not raise under strict")
    except KeyError:
        pass
    print("  checkpoint forms (bf16/f16 stored, sharded, buffers, missing/unexpected) ok")


def check_tasks(tmp, d, m, rows, lg):
    # loglik == sum of log_softmax of the logits
    ctx, cont = rows[0][:4], rows[0][4:]
    r = rm.loglik(m, [(ctx, cont), (rows[1], [5, 6])])
    lp = torch.log_softmax(lg[0].double(), -1)
    want = sum(float(lp[3 + i, c]) for i, c in enumerate(cont))
    check(abs(r[0]["logprob"] - want) < 1e-4, f"loglik {r[0]['logprob']} != {want}")
    # greedy: first token = argmax at the last real position; continuation matches is_greedy
    g = rm.greedy(m, [rows[1], rows[2]], 4)
    check(g[0][0] == int(torch.argmax(lg[1, len(rows[1]) - 1])), "greedy first token")
    r2 = rm.loglik(m, [(rows[1], g[0])])
    check(r2[0]["is_greedy"], "greedy continuation is not is_greedy")
    g_eos = rm.greedy(m, [rows[1]], 4, eos_ids=[g[0][1]])
    check(g_eos[0] == g[0][:2], "greedy eos stop")
    # AdamW: one step == closed form p1 = p0 (1 - lr wd_g) - lr g / (|g| + eps)  (m_hat = g, v_hat = g^2)
    m2 = rm.load_model(d)
    p0 = {n: p.detach().clone().double() for n, p in m2.named_parameters()}
    lr, wd, eps = 1e-3, 0.1, 1e-8
    loss_ref = rm.lm_loss(m2, rows)[0].item()
    res = rm.adamw_steps(m2, rows, lr, (0.9, 0.95), eps, wd)
    check(abs(res["losses"][0] - loss_ref) < 1e-6, "adamw loss != lm_loss")
    # loss by hand from the logits
    tot, n = 0.0, 0
    for b, row in enumerate(rows):
        lps = torch.log_softmax(lg[b].double(), -1)
        for i in range(len(row) - 1):
            tot -= float(lps[i, row[i + 1]])
            n += 1
    check(abs(tot / n - loss_ref) < 1e-5 and res["n_tokens"] == n, f"loss {loss_ref} != hand {tot / n}")
    nd = set(res["no_decay"])
    check(all(k.endswith(".bias") or "norm" in k for k in nd) and len(nd) > 0, "no_decay has non bias/norm names")
    check(all(not (k.endswith(".bias") or "norm" in k) for k in res["decay"]), "decay has bias/norm names")
    worst = 0.0
    gn2 = 0.0
    for n_, p in m2.named_parameters():
        gr = res["grads"][n_].double()
        gn2 += float((gr * gr).sum())
        w = 0.0 if n_ in nd else wd
        want = p0[n_] * (1 - lr * w) - lr * gr / (gr.abs() + eps)
        worst = max(worst, maxdiff(p.detach(), want))
    check(worst < 1e-6, f"AdamW step differs from closed form by {worst:.3g}")
    check(abs(math.sqrt(gn2) - res["grad_norms"][0]) < 1e-4 * max(1, math.sqrt(gn2)), "grad norm")
    # clipping: with a tiny max norm, the update is unchanged in sign-like Adam step 1 but grads are clipped
    m3 = rm.load_model(d)
    res3 = rm.adamw_steps(m3, rows, lr, (0.9, 0.95), eps, wd, grad_clip=1e-3, steps=2)
    check(len(res3["losses"]) == 2 and res3["losses"][1] != res3["losses"][0], "two steps")
    print(f"  loglik / greedy / adamw ok (adamw closed-form diff {worst:.1e}, loss {loss_ref:.4f})")


def run_cli(args):
    p = subprocess.run([PY] + args, capture_output=True, text=True)
    if p.returncode != 0:
        check(False, f"CLI {' '.join(args[:2])} failed: {p.stderr[-2000:]}")
    return p


def check_cli(tmp, d, rows, lg):
    cli = os.path.join(HERE, "ref_model.py")
    out, binf = os.path.join(tmp, "lg.json"), os.path.join(tmp, "lg.bin")
    tok = [x for r in rows for x in ("--tokens", ",".join(map(str, r)))]
    run_cli([cli, "logits", "--model", d, *tok, "--out", out, "--out-bin", binf, "--json-logits", "--threads", "2"])
    with open(out) as f:
        j = json.load(f)
    B, T, V = j["shape"]
    arr = np.fromfile(binf, dtype="<f4").reshape(B, T, V)
    check(np.array_equal(np.nan_to_num(arr, nan=7.0), lg.nan_to_num(nan=7.0).numpy()), "CLI --out-bin != module logits")
    check(len(j["logits"][1]) == len(rows[1]) and np.allclose(np.array(j["logits"][1]), arr[1, :len(rows[1])]),
          "CLI JSON logits (ragged rows)")
    p = run_cli([cli, "greedy", "--model", d, *tok[:2], "--max-new-tokens", "3"])
    check(len(json.loads(p.stdout)["generated"][0]) == 3, "CLI greedy")
    p = run_cli([cli, "loglik", "--model", d, "--context-tokens", "1,2,3", "--continuation-tokens", "4,5"])
    check(json.loads(p.stdout)["results"][0]["logprob"] < 0, "CLI loglik")
    od = os.path.join(tmp, "adamw-out")
    run_cli([cli, "adamw-step", "--model", d, *tok, "--lr", "1e-3", "--betas", "0.9,0.95", "--eps", "1e-8",
             "--weight-decay", "0.1", "--out-dir", od, "--save-state"])
    with open(os.path.join(od, "result.json")) as f:
        r = json.load(f)
    params, _ = rm.read_safetensors(os.path.join(od, "model.safetensors"))
    grads, _ = rm.read_safetensors(os.path.join(od, "grads.safetensors"))
    check(set(params) == set(grads) and len(params) > 0 and r["loss"] > 0, "CLI adamw-step outputs")
    check(len(rm.logits(rm.load_model(od, strict=True), rows[:1])) == 1, "adamw out-dir is not a loadable model")
    p = run_cli([cli, "info", "--model", d])
    check("inv_freq" in json.loads(p.stdout), "CLI info")
    p = run_cli([os.path.join(HERE, "make_tiny_model.py"), "--config", os.path.join(CONFIGS, "Qwen--Qwen3-0.6B"),
                 "--out", os.path.join(tmp, "cli-tiny"), "--seed", "5", "--hidden-size", "64", "--num-layers", "1",
                 "--intermediate-size", "96", "--vocab-size", "300", "--num-heads", "4", "--num-kv-heads", "2",
                 "--head-dim", "32", "--max-position-embeddings", "64", "--set", "tie_word_embeddings=false"])
    mt = rm.load_model(os.path.join(tmp, "cli-tiny"), strict=True)
    check(mt.c.vocab_size == 300 and not mt.c.tie_word_embeddings and mt.c.head_dim == 32, "make_tiny_model CLI")
    print("  CLI commands ok")


def main():
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="ref-selftest-") as tmp:
        print("variants:")
        first = None
        for name, dirname, over in VARIANTS:
            r = check_variant(tmp, name, dirname, over)
            first = first or r
        print("other checks:")
        check_rope_parameters_style(tmp)
        check_safetensors(tmp)
        check_checkpoint_forms(tmp, *first)
        llama = check_variant(tmp, "llama-for-tasks", "meta-llama--Llama-3.2-1B",
                              {"num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16})
        check_tasks(tmp, *llama[1:])
        check_tasks(tmp, *first[1:])
        check_cli(tmp, first[1], first[3], first[4])
    print(f"{'FAILED' if FAILS else 'passed'}: {len(FAILS)} failure(s) in {time.time() - t0:.1f}s")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
