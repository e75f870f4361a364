#!/usr/bin/python3
"""Create a tiny random Hugging Face-layout causal-LM directory (config.json + model.safetensors).

Independent of the project's own init-random: the tensor names and shapes below are written from
the transformers modules (GPTNeoXForCausalLM, LlamaForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM), and the values come from numpy's PCG64 generator, so the same
(config, overrides, seed, init) always gives the same bytes.

  /usr/bin/python3 make_tiny_model.py --config /work/shared/configs/Qwen--Qwen3-0.6B/config.json \
      --out /tmp/tiny-qwen3 --seed 0 --set hidden_size=64 --set num_hidden_layers=2 ...

Init (`--init`):
  hf         PreTrainedModel._init_weights: Linear/Embedding weights ~ N(0, initializer_range),
             biases 0, norm weights 1, LayerNorm biases 0.
  perturbed  (default) like hf, but norm weights 1 + N(0, 0.1) and biases N(0, 0.1), so that parity
             tests exercise every tensor.
`--std` overrides initializer_range for the draws (the config keeps its own value).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_model import f32_to_bf16_bits, write_safetensors  # noqa: E402

FAMILY = {"gpt_neox": "gpt_neox", "llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}


def _family(cfg):
    fam = FAMILY.get(cfg.get("model_type"))
    if fam:
        return fam
    arch = {"GPTNeoXForCausalLM": "gpt_neox", "LlamaForCausalLM": "llama",
            "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3"}
    for a in cfg.get("architectures") or []:
        if a in arch:
            return arch[a]
    raise ValueError(f"unsupported model_type {cfg.get('model_type')!r}")


def tensor_specs(cfg):
    """[(hf_name, shape, kind)] in module order; kind in linear|embedding|bias|norm_weight|norm_bias."""
    fam = _family(cfg)
    H = cfg["hidden_size"]
    I = cfg["intermediate_size"]
    V = cfg["vocab_size"]
    L = cfg["num_hidden_layers"]
    nh = cfg["num_attention_heads"]
    tied = bool(cfg.get("tie_word_embeddings", False))
    s = []
    if fam == "gpt_neox":
        ab = bool(cfg.get("attention_bias", True))
        s.append(("gpt_neox.embed_in.weight", [V, H], "embedding"))
        for i in range(L):
            p = f"gpt_neox.layers.{i}."
            s += [(p + "input_layernorm.weight", [H], "norm_weight"), (p + "input_layernorm.bias", [H], "norm_bias"),
                  (p + "post_attention_layernorm.weight", [H], "norm_weight"),
                  (p + "post_attention_layernorm.bias", [H], "norm_bias"),
                  # fused, per head: rows [h*3*hd, (h+1)*3*hd) = q_h | k_h | v_h
                  (p + "attention.query_key_value.weight", [3 * H, H], "linear")]
            if ab:
                s.append((p + "attention.query_key_value.bias", [3 * H], "bias"))
            s.append((p + "attention.dense.weight", [H, H], "linear"))
            if ab:
                s.append((p + "attention.dense.bias", [H], "bias"))
            s += [(p + "mlp.dense_h_to_4h.weight", [I, H], "linear"), (p + "mlp.dense_h_to_4h.bias", [I], "bias"),
                  (p + "mlp.dense_4h_to_h.weight", [H, I], "linear"), (p + "mlp.dense_4h_to_h.bias", [H], "bias")]
        s += [("gpt_neox.final_layer_norm.weight", [H], "norm_weight"),
              ("gpt_neox.final_layer_norm.bias", [H], "norm_bias")]
        if not tied:
            s.append(("embed_out.weight", [V, H], "linear"))
        return s
    nkv = cfg.get("num_key_value_heads")
    if nkv is None:
        nkv = nh if fam == "llama" or "num_key_value_heads" in cfg else 32
    hd = cfg.get("head_dim")
    if hd is None and fam == "qwen3" and "head_dim" not in cfg:
        hd = 128
    hd = hd or H // nh
    if fam == "llama":
        qkv_b = o_b = bool(cfg.get("attention_bias", False))
        mlp_b = bool(cfg.get("mlp_bias", False))
    elif fam == "qwen2":
        qkv_b, o_b, mlp_b = True, False, False
    else:
        qkv_b = o_b = bool(cfg.get("attention_bias", False))
        mlp_b = False
    s.append(("model.embed_tokens.weight", [V, H], "embedding"))
    for i in range(L):
        p = f"model.layers.{i}."
        for nm, rows in (("q_proj", nh * hd), ("k_proj", nkv * hd), ("v_proj", nkv * hd)):
            s.append((p + f"self_attn.{nm}.weight", [rows, H], "linear"))
            if qkv_b:
                s.append((p + f"self_attn.{nm}.bias", [rows], "bias"))
        s.append((p + "self_attn.o_proj.weight", [H, nh * hd], "linear"))
        if o_b:
            s.append((p + "self_attn.o_proj.bias", [H], "bias"))
        if fam == "qwen3":
            s += [(p + "self_attn.q_norm.weight", [hd], "norm_weight"), (p + "self_attn.k_norm.weight", [hd], "norm_weight")]
        for nm, shp in (("gate_proj", [I, H]), ("up_proj", [I, H]), ("down_proj", [H, I])):
            s.append((p + f"mlp.{nm}.weight", shp, "linear"))
            if mlp_b:
                s.append((p + f"mlp.{nm}.bias", [shp[0]], "bias"))
        s += [(p + "input_layernorm.weight", [H], "norm_weight"),
              (p + "post_attention_layernorm.weight", [H], "norm_weight")]
    s.append(("model.norm.weight", [H], "norm_weight"))
    if not tied:
        s.append(("lm_head.weight", [V, H], "linear"))
    return s


def buffer_tensors(cfg):
    """Non-weight buffers old checkpoints carry and loaders must skip."""
    fam = _family(cfg)
    L = cfg["num_hidden_layers"]
    P = int(cfg.get("max_position_embeddings", 2048))
    out = {}
    if fam == "gpt_neox":
        nh = cfg["num_attention_heads"]
        hd = cfg["hidden_size"] // nh
        rd = int(hd * float(cfg.get("rotary_pct", 0.25)))
        mask = np.tril(np.ones((P, P), dtype=np.bool_))[None, None]
        inv = (1.0 / (float(cfg.get("rotary_emb_base", 10000)) ** (np.arange(0, rd, 2) / rd))).astype(np.float32)
        for i in range(L):
            out[f"gpt_neox.layers.{i}.attention.bias"] = mask
            out[f"gpt_neox.layers.{i}.attention.masked_bias"] = np.array(-1e9, dtype=np.float32)
            out[f"gpt_neox.layers.{i}.attention.rotary_emb.inv_freq"] = inv
    else:
        hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
        inv = (1.0 / (float(cfg.get("rope_theta", 10000)) ** (np.arange(0, hd, 2) / hd))).astype(np.float32)
        for i in range(L):
            out[f"model.layers.{i}.self_attn.rotary_emb.inv_freq"] = inv
    return out


def make_tensors(cfg, seed, init="perturbed", std=None):
    rng = np.random.Generator(np.random.PCG64(seed))
    std = float(std if std is not None else cfg.get("initializer_range", 0.02))
    out = {}
    for name, shape, kind in tensor_specs(cfg):
        if kind in ("linear", "embedding"):
            a = rng.normal(0.0, std, size=shape)
        elif kind == "norm_weight":
            a = np.ones(shape) if init == "hf" else 1.0 + rng.normal(0.0, 0.1, size=shape)
        else:  # bias, norm_bias
            a = np.zeros(shape) if init == "hf" else rng.normal(0.0, 0.1, size=shape)
        out[name] = a.astype(np.float32)
    return out


def _parse_value(v):
    try:
        return json.loads(v)
    except json.JSONDecodeError:
        return v


def apply_overrides(cfg, sets):
    """`key=value` (value parsed as JSON, else a string); dotted keys reach into dicts
    (rope_scaling.factor=8); `key=null` stores null."""
    cfg = json.loads(json.dumps(cfg))
    for s in sets or []:
        if "=" not in s:
            raise SystemExit(f"--set expects key=value, got {s!r}")
        k, v = s.split("=", 1)
        parts = k.split(".")
        d = cfg
        for p in parts[:-1]:
            if not isinstance(d.get(p), dict):
                d[p] = {}
            d = d[p]
        d[parts[-1]] = _parse_value(v)
    return cfg


def write_model(cfg, out_dir, seed=0, init="perturbed", std=None, dtype="float32", with_buffers=False, shards=1):
    """Writes config.json and model.safetensors (or `shards` files + model.safetensors.index.json).
    Returns {name: float32 ndarray} of the weights as drawn (before any bf16/f16 rounding)."""
    os.makedirs(out_dir, exist_ok=True)
    tensors = make_tensors(cfg, seed, init, std)
    cfg = dict(cfg)
    key = "dtype" if "dtype" in cfg and "torch_dtype" not in cfg else "torch_dtype"
    cfg[key] = dtype
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    stored = {}
    for n, a in tensors.items():
        if dtype == "float32":
            stored[n] = a
        elif dtype == "float16":
            stored[n] = a.astype(np.float16)
        elif dtype == "bfloat16":
            stored[n] = ("BF16", f32_to_bf16_bits(a))
        else:
            raise ValueError(f"dtype {dtype}")
    if with_buffers:
        stored.update(buffer_tensors(cfg))
    for fn in ("model.safetensors", "model.safetensors.index.json"):
        if os.path.exists(os.path.join(out_dir, fn)):
            os.remove(os.path.join(out_dir, fn))
    meta = {"format": "pt"}
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), stored, meta)
    else:
        names = sorted(stored)
        weight_map = {}
        for k in range(shards):
            part = names[k::shards]
            fn = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(out_dir, fn), {n: stored[n] for n in part}, meta)
            weight_map.update({n: fn for n in part})
        total = sum((v[1] if isinstance(v, tuple) else v).nbytes for v in stored.values())
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    return tensors


SIZE_FLAGS = [("hidden_size", "--hidden-size"), ("num_hidden_layers", "--num-layers"),
              ("intermediate_size", "--intermediate-size"), ("vocab_size", "--vocab-size"),
              ("max_position_embeddings", "--max-position-embeddings"),
              ("num_attention_heads", "--num-heads"), ("num_key_value_heads", "--num-kv-heads"),
              ("head_dim", "--head-dim")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="a config.json (or a directory holding one)")
    ap.add_argument("--out", required=True, help="output model directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key (JSON value; dotted keys for nested dicts)")
    for key, flag in SIZE_FLAGS:
        ap.add_argument(flag, type=int, dest=key, help=f"override {key}")
    ap.add_argument("--init", choices=["hf", "perturbed"], default="perturbed")
    ap.add_argument("--std", type=float, help="stddev of weight draws (default: initializer_range)")
    ap.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32",
                    help="stored dtype (default float32)")
    ap.add_argument("--with-buffers", action="store_true",
                    help="also store non-weight buffers (NeoX attention.bias/masked_bias, rotary inv_freq)")
    ap.add_argument("--shards", type=int, default=1, help="write N shards + model.safetensors.index.json")
    a = ap.parse_args(argv)
    path = os.path.join(a.config, "config.json") if os.path.isdir(a.config) else a.config
    with open(path) as f:
        cfg = json.load(f)
    cfg = apply_overrides(cfg, a.set)
    for key, _ in SIZE_FLAGS:
        v = getattr(a, key)
        if v is not None:
            cfg[key] = v
    t = write_model(cfg, a.out, a.seed, a.init, a.std, a.dtype, a.with_buffers, a.shards)
    print(json.dumps({"out": os.path.abspath(a.out), "tensors": len(t),
                      "parameters": int(sum(v.size for v in t.values()))}))


if __name__ == "__main__":
    main()
