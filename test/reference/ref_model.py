#!/usr/bin/python3
"""Independent PyTorch reference for the parity tests (golden values).

Written from the Hugging Face transformers modeling code (GPTNeoXForCausalLM, LlamaForCausalLM,
Qwen2ForCausalLM, Qwen3ForCausalLM, eager attention path, and `modeling_rope_utils`), NOT from this
project's own code. See README.md next to this file for exactly which functions are mirrored.

Needs only torch + numpy (Debian's /usr/bin/python3 has torch 1.13 CPU). No transformers, no
safetensors package: safetensors is read/written here with json + struct + numpy.

Module API:   load_model(model_dir, dtype="float32") -> model
              logits(model, token_lists) -> float32 tensor [B, T, V], NaN at padded positions
CLI:          see `/usr/bin/python3 ref_model.py -h` and README.md.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------
# safetensors (format: u64 little-endian header length N, N bytes of JSON header, data section;
# header maps name -> {dtype, shape, data_offsets: [begin, end) relative to the data section}).
# --------------------------------------------------------------------------------------------

_ST_NUMPY = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}


def bf16_bits_to_f32(bits):
    """uint16 bf16 bit patterns -> float32 (exact: bf16 is the top half of a float32)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x):
    """float32 -> bf16 bit patterns, round-to-nearest-even (what torch's .to(bfloat16) does)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(nan, np.uint16(0x7FC0), rounded).astype(np.uint16)


def read_safetensors_header(path):
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: too short for a safetensors header")
        (n,) = struct.unpack("<Q", raw)
        size = os.path.getsize(path)
        if n > size - 8:
            raise ValueError(f"{path}: header length {n} exceeds file size {size}")
        header = json.loads(f.read(n).decode("utf-8"))
    return header, 8 + n, size


def read_safetensors(path, as_float32=True):
    """Returns ({name: np.ndarray}, metadata). Float tensors (F16/BF16/F32/F64) become float32
    when as_float32 (exact for F16/BF16); BF16 otherwise stays as raw uint16 bits."""
    header, data_start, size = read_safetensors_header(path)
    meta = header.pop("__metadata__", None) or {}
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _ST_NUMPY:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
        npdt = np.dtype(_ST_NUMPY[dt])
        shape = [int(s) for s in info["shape"]]
        b, e = (int(v) for v in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if b < 0 or e < b or data_start + e > size or e - b != count * npdt.itemsize:
            raise ValueError(f"{path}: tensor {name}: bad data_offsets {info['data_offsets']} for {dt}{shape}")
        arr = np.array(mm[data_start + b:data_start + e]).view(npdt).reshape(shape)
        if as_float32 and dt == "BF16":
            arr = bf16_bits_to_f32(arr)
        elif as_float32 and dt in ("F16", "F64"):
            arr = arr.astype(np.float32)
        out[name] = arr
    del mm
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: np.ndarray | torch.Tensor | ("BF16", uint16 ndarray)}.
    numpy float32 -> F32, float16 -> F16, bool -> BOOL, ints -> I*/U8; torch tensors are
    converted to float32 (F32) unless bool/integer. Tensors are laid out in sorted name order."""
    rev = {np.dtype(v): k for k, v in _ST_NUMPY.items() if k != "BF16"}
    entries = []
    for name in sorted(tensors):
        t = tensors[name]
        if isinstance(t, tuple):
            dt, arr = t
            if dt != "BF16":
                raise ValueError("only ('BF16', bits) tuples are supported")
            arr = np.asarray(arr, dtype=np.uint16, order="C")  # (ascontiguousarray would make 0-d 1-d)
        else:
            if isinstance(t, torch.Tensor):
                t = t.detach().cpu()
                if t.is_floating_point():
                    t = t.float()
                t = t.numpy()
            arr = np.asarray(t, order="C")
            if arr.dtype not in rev:
                raise ValueError(f"{name}: unsupported numpy dtype {arr.dtype}")
            dt = rev[arr.dtype]
        entries.append((name, dt, list(arr.shape), arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    off = 0
    for name, dt, shape, data in entries:
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for _, _, _, data in entries:
            f.write(data)
    os.replace(tmp, path)


def load_checkpoint_tensors(model_dir):
    """All tensors of a HF model directory as float32/bool/int numpy arrays.
    Supports model.safetensors, sharded model.safetensors.index.json, and (fallback)
    pytorch_model.bin / pytorch_model.bin.index.json via torch.load."""
    p = lambda n: os.path.join(model_dir, n)
    files = []
    if os.path.exists(p("model.safetensors.index.json")):
        with open(p("model.safetensors.index.json")) as f:
            wm = json.load(f)["weight_map"]
        files = [("st", p(fn)) for fn in sorted(set(wm.values()))]
    elif os.path.exists(p("model.safetensors")):
        files = [("st", p("model.safetensors"))]
    elif os.path.exists(p("pytorch_model.bin.index.json")):
        with open(p("pytorch_model.bin.index.json")) as f:
            wm = json.load(f)["weight_map"]
        files = [("pt", p(fn)) for fn in sorted(set(wm.values()))]
    elif os.path.exists(p("pytorch_model.bin")):
        files = [("pt", p("pytorch_model.bin"))]
    else:
        raise FileNotFoundError(f"{model_dir}: no model.safetensors[.index.json] or pytorch_model.bin[.index.json]")
    out = {}
    for kind, fn in files:
        if kind == "st":
            part, _ = read_safetensors(fn)
        else:
            sd = torch.load(fn, map_location="cpu")
            part = {k: (v.float().numpy() if v.is_floating_point() else v.numpy()) for k, v in sd.items()}
        for k, v in part.items():
            if k in out:
                raise ValueError(f"{model_dir}: tensor {k} appears in more than one shard")
            out[k] = v
    return out


# --------------------------------------------------------------------------------------------
# config.json -> normalised settings (transformers 4 and 5 styles)
# --------------------------------------------------------------------------------------------

FAMILIES = {
    "gpt_neox": "gpt_neox", "GPTNeoXForCausalLM": "gpt_neox",
    "llama": "llama", "LlamaForCausalLM": "llama",
    "qwen2": "qwen2", "Qwen2ForCausalLM": "qwen2",
    "qwen3": "qwen3", "Qwen3ForCausalLM": "qwen3",
}


class Config:
    """Resolved hyper-parameters, with the defaults of the transformers config classes."""

    def __init__(self, raw):
        self.raw = raw
        fam = FAMILIES.get(raw.get("model_type"))
        if fam is None:
            for a in raw.get("architectures") or []:
                fam = FAMILIES.get(a) or fam
        if fam is None:
            raise ValueError(f"unsupported model_type {raw.get('model_type')!r} / architectures {raw.get('architectures')}")
        self.family = fam
        g = raw.get
        self.vocab_size = int(g("vocab_size"))
        self.hidden_size = int(g("hidden_size"))
        self.num_layers = int(g("num_hidden_layers"))
        self.num_heads = int(g("num_attention_heads"))
        self.intermediate_size = int(g("intermediate_size"))
        self.max_position_embeddings = int(g("max_position_embeddings", 2048))
        self.tie_word_embeddings = bool(g("tie_word_embeddings", False))  # False in all four config classes
        if fam == "gpt_neox":
            if self.hidden_size % self.num_heads:
                raise ValueError("hidden_size not divisible by num_attention_heads")
            self.num_kv_heads = self.num_heads
            self.head_dim = self.hidden_size // self.num_heads
            self.norm_eps = float(g("layer_norm_eps", 1e-5))
            self.hidden_act = g("hidden_act", "gelu")
            self.parallel_residual = bool(g("use_parallel_residual", True))
            ab = bool(g("attention_bias", True))
            self.qkv_bias = ab
            self.o_bias = ab
            self.mlp_bias = True
            self.qk_norm = False
        else:
            kv = g("num_key_value_heads")
            if kv is None:
                # LlamaConfig: None -> num_attention_heads. Qwen2/Qwen3Config declare a default of 32
                # that only applies when the key is absent from config.json.
                kv = self.num_heads if fam == "llama" or "num_key_value_heads" in raw else 32
            self.num_kv_heads = int(kv)
            hd = g("head_dim")
            if hd is None and fam == "qwen3" and "head_dim" not in raw:
                hd = 128  # Qwen3Config default
            self.head_dim = int(hd) if hd else self.hidden_size // self.num_heads
            if self.num_heads % self.num_kv_heads:
                raise ValueError("num_attention_heads not divisible by num_key_value_heads")
            self.norm_eps = float(g("rms_norm_eps", 1e-6))
            self.hidden_act = g("hidden_act", "silu")
            self.parallel_residual = False
            if fam == "llama":
                ab = bool(g("attention_bias", False))
                self.qkv_bias, self.o_bias, self.mlp_bias = ab, ab, bool(g("mlp_bias", False))
            elif fam == "qwen2":
                self.qkv_bias, self.o_bias, self.mlp_bias = True, False, False
            else:
                ab = bool(g("attention_bias", False))
                self.qkv_bias, self.o_bias, self.mlp_bias = ab, ab, False
            self.qk_norm = fam == "qwen3"
            self.use_sliding_window = bool(g("use_sliding_window", False))
            self.sliding_window = g("sliding_window")
        self._resolve_rope()

    def _resolve_rope(self):
        """Mirrors RotaryEmbeddingConfigMixin.convert_rope_params_to_dict / standardize_rope_params
        (transformers 5) and the transformers-4 fields (rope_theta, rope_scaling, rotary_pct,
        rotary_emb_base)."""
        raw = self.raw
        rp = dict(raw.get("rope_scaling") or raw.get("rope_parameters") or {})
        if self.family == "gpt_neox":
            theta = rp.get("rope_theta", raw.get("rotary_emb_base", raw.get("rope_theta", 10000.0)))
            partial = rp.get("partial_rotary_factor", raw.get("rotary_pct", raw.get("partial_rotary_factor", 0.25)))
        else:
            theta = rp.get("rope_theta", raw.get("rope_theta", 10000.0))
            partial = rp.get("partial_rotary_factor", raw.get("partial_rotary_factor", 1.0))
            if float(partial) != 1.0:
                raise ValueError(f"{self.family}: partial_rotary_factor {partial} != 1 is not supported by this family")
        self.rope_theta = float(theta)
        self.partial_rotary_factor = float(partial)
        self.rotary_dim = int(self.head_dim * self.partial_rotary_factor)
        if self.rotary_dim % 2:
            raise ValueError(f"rotary dim {self.rotary_dim} is odd")
        rtype = rp.get("rope_type", rp.get("type", "default")) or "default"
        self.rope_type = rtype
        self.rope_params = rp
        if rtype == "llama3":
            for k in ("factor", "low_freq_factor", "high_freq_factor"):
                if k not in rp:
                    raise ValueError(f"llama3 rope scaling needs {k}")
            rp.setdefault("original_max_position_embeddings", self.max_position_embeddings)
        elif rtype in ("linear", "dynamic"):
            if "factor" not in rp:
                raise ValueError(f"{rtype} rope scaling needs factor")
        elif rtype != "default":
            raise ValueError(f"rope_type {rtype!r} is not implemented in the reference")

    def inv_freq(self):
        """float32 inverse frequencies, as modeling_rope_utils computes them
        (_compute_default_rope_parameters / _compute_linear_scaling_rope_parameters /
        _compute_llama3_parameters; 'dynamic' equals default for seq_len <= max_position_embeddings)."""
        dim = self.rotary_dim
        base = self.rope_theta
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        rp = self.rope_params
        if self.rope_type == "linear":
            inv_freq = inv_freq / rp["factor"]
        elif self.rope_type == "llama3":
            factor = rp["factor"]
            low_freq_factor = rp["low_freq_factor"]
            high_freq_factor = rp["high_freq_factor"]
            old_context_len = rp["original_max_position_embeddings"]
            low_freq_wavelen = old_context_len / low_freq_factor
            high_freq_wavelen = old_context_len / high_freq_factor
            wavelen = 2 * math.pi / inv_freq
            inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
            smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
            is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
            inv_freq = torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)
        return inv_freq

    def check_lengths(self, max_len):
        if self.rope_type == "dynamic" and max_len > self.max_position_embeddings:
            raise ValueError("dynamic NTK rope beyond max_position_embeddings is not implemented")
        if self.family != "gpt_neox" and self.use_sliding_window and self.sliding_window is not None \
                and max_len > int(self.sliding_window):
            raise ValueError("sequences longer than sliding_window are not implemented")

    def summary(self):
        keys = ["family", "vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim",
                "intermediate_size", "max_position_embeddings", "tie_word_embeddings", "norm_eps", "hidden_act",
                "parallel_residual", "qkv_bias", "o_bias", "mlp_bias", "qk_norm", "rope_theta",
                "partial_rotary_factor", "rotary_dim", "rope_type", "rope_params"]
        return {k: getattr(self, k) for k in keys}


# --------------------------------------------------------------------------------------------
# building blocks (parameters only; weights are assigned by the loader)
# --------------------------------------------------------------------------------------------

def _empty(*shape):
    return nn.Parameter(torch.empty(*shape), requires_grad=True)


class Linear(nn.Module):
    """nn.Linear without the (slow, pointless here) random init. y = x W^T + b."""

    def __init__(self, n_in, n_out, bias):
        super().__init__()
        self.weight = _empty(n_out, n_in)
        if bias:
            self.bias = _empty(n_out)
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Embedding(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.weight = _empty(n, d)

    def forward(self, ids):
        return F.embedding(ids, self.weight)


class LayerNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = _empty(d)
        self.bias = _empty(d)
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


class RMSNorm(nn.Module):
    """LlamaRMSNorm / Qwen2RMSNorm / Qwen3RMSNorm: statistics in float32, cast back to the input
    dtype BEFORE the multiplication by the weight."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = _empty(d)
        self.eps = eps

    def forward(self, x):
        input_dtype = x.dtype
        h = x.to(torch.float32)
        variance = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(variance + self.eps)
        return self.weight * h.to(input_dtype)


def activation(name):
    """transformers.activations.ACT2FN, for the names these families use."""
    if name == "gelu":
        return lambda x: F.gelu(x)  # GELUActivation: exact erf form
    if name == "gelu_pytorch_tanh":
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "gelu_new":  # NewGELUActivation
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu_fast":  # FastGELUActivation
        return lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name in ("silu", "swish"):
        return F.silu
    if name == "relu":
        return F.relu
    raise ValueError(f"hidden_act {name!r} is not implemented in the reference")


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(cfg, inv_freq, position_ids, dtype):
    """LlamaRotaryEmbedding.forward: angles in float32, cos/sin cast to the activation dtype.
    position_ids: [B, T] -> cos, sin: [B, T, rotary_dim]."""
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    attention_scaling = 1.0  # default / linear / llama3 / dynamic all return 1.0
    cos = emb.cos() * attention_scaling
    sin = emb.sin() * attention_scaling
    return cos.to(dtype=dtype), sin.to(dtype=dtype)


def apply_rotary(q, k, cos, sin):
    """q, k: [B, heads, T, hd]. Rotates the first cos.shape[-1] dims (NeoX partial rotary);
    for Llama/Qwen that is the whole head."""
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    rd = cos.shape[-1]
    if rd == q.shape[-1]:
        return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)
    q_rot, q_pass = q[..., :rd], q[..., rd:]
    k_rot, k_pass = k[..., :rd], k[..., rd:]
    q_embed = (q_rot * cos) + (rotate_half(q_rot) * sin)
    k_embed = (k_rot * cos) + (rotate_half(k_rot) * sin)
    return torch.cat([q_embed, q_pass], dim=-1), torch.cat([k_embed, k_pass], dim=-1)


def repeat_kv(x, n_rep):
    b, nkv, t, hd = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, nkv, n_rep, t, hd).reshape(b, nkv * n_rep, t, hd)


def eager_attention(q, k, v, mask, scaling, n_rep):
    """eager_attention_forward: q [B, nh, T, hd], k/v [B, nkv, T, hd], mask: additive
    [1, 1, T, T] (0 / finfo(dtype).min). Returns [B, T, nh, hd]."""
    k = repeat_kv(k, n_rep)
    v = repeat_kv(v, n_rep)
    w = torch.matmul(q, k.transpose(2, 3)) * scaling
    w = w + mask
    w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
    out = torch.matmul(w, v)
    return out.transpose(1, 2).contiguous()


def causal_additive_mask(t, dtype):
    m = torch.full((t, t), torch.finfo(dtype).min, dtype=dtype)
    m = torch.triu(m, diagonal=1)  # 0 on and below the diagonal
    return m[None, None]


# --------------------------------------------------------------------------------------------
# GPT-NeoX (modeling_gpt_neox.py)
# --------------------------------------------------------------------------------------------

class GPTNeoXAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.query_key_value = Linear(c.hidden_size, 3 * c.hidden_size, c.qkv_bias)
        self.dense = Linear(c.hidden_size, c.hidden_size, c.o_bias)

    def forward(self, x, cos, sin, mask):
        c = self.c
        B, T, _ = x.shape
        # [B, T, 3H] -> [B, T, nh, 3*hd] -> [B, nh, T, 3*hd]; per head: q | k | v
        qkv = self.query_key_value(x).view(B, T, -1, 3 * c.head_dim).transpose(1, 2)
        q, k, v = qkv.chunk(3, dim=-1)
        q, k = apply_rotary(q, k, cos, sin)
        out = eager_attention(q, k, v, mask, c.head_dim ** -0.5, 1)
        return self.dense(out.reshape(B, T, -1).contiguous())


class GPTNeoXMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense_h_to_4h = Linear(c.hidden_size, c.intermediate_size, True)
        self.dense_4h_to_h = Linear(c.intermediate_size, c.hidden_size, True)
        self.act = activation(c.hidden_act)

    def forward(self, x):
        return self.dense_4h_to_h(self.act(self.dense_h_to_4h(x)))


class GPTNeoXLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.parallel = c.parallel_residual
        self.input_layernorm = LayerNorm(c.hidden_size, c.norm_eps)
        self.post_attention_layernorm = LayerNorm(c.hidden_size, c.norm_eps)
        self.attention = GPTNeoXAttention(c)
        self.mlp = GPTNeoXMLP(c)

    def forward(self, x, cos, sin, mask):
        attn = self.attention(self.input_layernorm(x), cos, sin, mask)
        if self.parallel:
            mlp = self.mlp(self.post_attention_layernorm(x))
            return mlp + attn + x
        attn = attn + x
        mlp = self.mlp(self.post_attention_layernorm(attn))
        return mlp + attn


class GPTNeoXModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_in = Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([GPTNeoXLayer(c) for _ in range(c.num_layers)])
        self.final_layer_norm = LayerNorm(c.hidden_size, c.norm_eps)


class GPTNeoXForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.gpt_neox = GPTNeoXModel(c)
        if not c.tie_word_embeddings:
            self.embed_out = Linear(c.hidden_size, c.vocab_size, False)
        self.inv_freq = c.inv_freq()  # plain attribute: not a parameter, not in state_dict

    def forward(self, ids):
        m = self.gpt_neox
        x = m.embed_in(ids)
        B, T = ids.shape
        pos = torch.arange(T)[None].expand(B, T)
        cos, sin = rope_cos_sin(self.c, self.inv_freq, pos, x.dtype)
        mask = causal_additive_mask(T, x.dtype)
        for layer in m.layers:
            x = layer(x, cos, sin, mask)
        x = m.final_layer_norm(x)
        w = m.embed_in.weight if self.c.tie_word_embeddings else self.embed_out.weight
        return F.linear(x, w)


# --------------------------------------------------------------------------------------------
# Llama / Qwen2 / Qwen3 (modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py)
# --------------------------------------------------------------------------------------------

class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.q_proj = Linear(c.hidden_size, c.num_heads * hd, c.qkv_bias)
        self.k_proj = Linear(c.hidden_size, c.num_kv_heads * hd, c.qkv_bias)
        self.v_proj = Linear(c.hidden_size, c.num_kv_heads * hd, c.qkv_bias)
        self.o_proj = Linear(c.num_heads * hd, c.hidden_size, c.o_bias)
        if c.qk_norm:
            self.q_norm = RMSNorm(hd, c.norm_eps)
            self.k_norm = RMSNorm(hd, c.norm_eps)

    def forward(self, x, cos, sin, mask):
        c = self.c
        B, T, _ = x.shape
        shp = (B, T, -1, c.head_dim)
        q = self.q_proj(x).view(shp)
        k = self.k_proj(x).view(shp)
        v = self.v_proj(x).view(shp).transpose(1, 2)
        if c.qk_norm:  # Qwen3: per-head RMSNorm over head_dim, before RoPE
            q = self.q_norm(q)
            k = self.k_norm(k)
        q = q.transpose(1, 2)
        k = k.transpose(1, 2)
        q, k = apply_rotary(q, k, cos, sin)
        out = eager_attention(q, k, v, mask, c.head_dim ** -0.5, c.num_heads // c.num_kv_heads)
        return self.o_proj(out.reshape(B, T, -1).contiguous())


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = Linear(c.hidden_size, c.intermediate_size, c.mlp_bias)
        self.up_proj = Linear(c.hidden_size, c.intermediate_size, c.mlp_bias)
        self.down_proj = Linear(c.intermediate_size, c.hidden_size, c.mlp_bias)
        self.act_fn = activation(c.hidden_act)

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = LlamaAttention(c)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.norm_eps)

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c.num_layers)])
        self.norm = RMSNorm(c.hidden_size, c.norm_eps)


class LlamaForCausalLM(nn.Module):
    """Also Qwen2ForCausalLM and Qwen3ForCausalLM: the differences are config switches
    (qkv/o/mlp biases, qk_norm, head_dim)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = LlamaModel(c)
        if not c.tie_word_embeddings:
            self.lm_head = Linear(c.hidden_size, c.vocab_size, False)
        self.inv_freq = c.inv_freq()

    def forward(self, ids):
        m = self.model
        x = m.embed_tokens(ids)
        B, T = ids.shape
        pos = torch.arange(T)[None].expand(B, T)
        cos, sin = rope_cos_sin(self.c, self.inv_freq, pos, x.dtype)
        mask = causal_additive_mask(T, x.dtype)
        for layer in m.layers:
            x = layer(x, cos, sin, mask)
        x = m.norm(x)
        w = m.embed_tokens.weight if self.c.tie_word_embeddings else self.lm_head.weight
        return F.linear(x, w)


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float64": torch.float64}


def is_ignored_buffer(name):
    """Non-weight buffers found in older checkpoints (HF _keys_to_ignore_on_load_unexpected)."""
    return (name.endswith(".attention.bias") or name.endswith(".attention.masked_bias")
            or name.endswith("rotary_emb.inv_freq"))


def read_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def load_model(model_dir, dtype="float32", strict=False, warn=True):
    """Builds the model of model_dir/config.json and loads its weights in `dtype`
    ('float32' | 'bfloat16'; 'float64' for tests). Missing tensors and shape mismatches are errors;
    known non-weight buffers are skipped; other unexpected tensors warn (error when strict).
    A tied model ignores a stored lm_head.weight / embed_out.weight (HF ties it to the input
    embedding)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {list(DTYPES)}")
    cfg = Config(read_config(model_dir))
    model = GPTNeoXForCausalLM(cfg) if cfg.family == "gpt_neox" else LlamaForCausalLM(cfg)
    tensors = load_checkpoint_tensors(model_dir)
    params = dict(model.named_parameters())
    missing = [n for n in params if n not in tensors]
    if missing:
        raise KeyError(f"{model_dir}: missing tensors: {missing[:8]}{' ...' if len(missing) > 8 else ''}")
    tied_head = "embed_out.weight" if cfg.family == "gpt_neox" else "lm_head.weight"
    unexpected = []
    for name, arr in tensors.items():
        if name in params:
            p = params[name]
            if tuple(arr.shape) != tuple(p.shape):
                raise ValueError(f"{name}: checkpoint shape {list(arr.shape)} != expected {list(p.shape)}")
            if arr.dtype.kind != "f":
                raise ValueError(f"{name}: non-float dtype {arr.dtype}")
            p.data = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).to(DTYPES[dtype])
        elif is_ignored_buffer(name):
            continue
        elif cfg.tie_word_embeddings and name == tied_head:
            if warn:
                print(f"ref_model: tied model: ignoring stored {name}", file=sys.stderr)
        else:
            unexpected.append(name)
    if unexpected:
        msg = f"{model_dir}: unexpected tensors: {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''}"
        if strict:
            raise KeyError(msg)
        if warn:
            print("ref_model: warning: " + msg, file=sys.stderr)
    model.eval()
    model.dtype = DTYPES[dtype]
    return model


# --------------------------------------------------------------------------------------------
# computations
# --------------------------------------------------------------------------------------------

PAD_ID = 0  # right-padding token id; never attended to by real positions (causal mask)


def pad_batch(model, token_lists):
    if not token_lists or any(len(t) == 0 for t in token_lists):
        raise ValueError("every row needs at least one token")
    V = model.c.vocab_size
    for t in token_lists:
        for i in t:
            if not (0 <= int(i) < V):
                raise ValueError(f"token id {i} out of range [0, {V})")
    lengths = [len(t) for t in token_lists]
    T = max(lengths)
    model.c.check_lengths(T)
    ids = torch.full((len(token_lists), T), PAD_ID, dtype=torch.long)
    for b, t in enumerate(token_lists):
        ids[b, :len(t)] = torch.tensor([int(i) for i in t], dtype=torch.long)
    return ids, lengths


def forward_padded(model, token_lists):
    """Raw logits in the model dtype [B, T, V] (padded positions hold garbage) and the lengths."""
    ids, lengths = pad_batch(model, token_lists)
    return model(ids), lengths


def logits(model, token_lists):
    """float32 logits [B, T, V] with T = longest row; positions t >= len(row) are NaN.
    In bfloat16 mode these are the bf16 logits converted exactly to float32."""
    with torch.no_grad():
        out, lengths = forward_padded(model, token_lists)
    out = out.float()
    for b, n in enumerate(lengths):
        out[b, n:] = float("nan")
    return out


def greedy(model, token_lists, max_new_tokens, eos_ids=()):
    """Argmax decoding with a full forward pass per step (no KV cache). Ties -> lowest id.
    A row stops after emitting a token in eos_ids (that token is included)."""
    seqs = [list(map(int, t)) for t in token_lists]
    gen = [[] for _ in seqs]
    done = [False] * len(seqs)
    eos = set(int(e) for e in eos_ids)
    with torch.no_grad():
        for _ in range(max_new_tokens):
            active = [b for b in range(len(seqs)) if not done[b]]
            if not active:
                break
            out, lengths = forward_padded(model, [seqs[b] for b in active])
            for j, b in enumerate(active):
                nxt = int(torch.argmax(out[j, lengths[j] - 1].float()).item())
                seqs[b].append(nxt)
                gen[b].append(nxt)
                if nxt in eos:
                    done[b] = True
    return gen


def loglik(model, requests):
    """requests: [(context_ids, continuation_ids)]. For each: sum of log p(cont_i | ctx, cont_<i),
    per-token log-probs and is_greedy (every continuation token is the argmax), computed with
    log_softmax in float32 on the model's logits."""
    rows = []
    for ctx, cont in requests:
        if len(ctx) == 0 or len(cont) == 0:
            raise ValueError("context and continuation must both be non-empty")
        rows.append(list(ctx) + list(cont))
    with torch.no_grad():
        out, _ = forward_padded(model, rows)
    res = []
    for b, (ctx, cont) in enumerate(requests):
        n = len(ctx)
        lp = F.log_softmax(out[b, n - 1:n - 1 + len(cont)].float(), dim=-1)
        tgt = torch.tensor([int(i) for i in cont], dtype=torch.long)
        tok = lp.gather(-1, tgt[:, None])[:, 0]
        greedy_ok = bool((lp.argmax(-1) == tgt).all().item())
        res.append({"logprob": float(tok.double().sum().item()), "is_greedy": greedy_ok,
                    "token_logprobs": [float(v) for v in tok.tolist()]})
    return res


def no_decay_names(model):
    """Biases and norm (LayerNorm / RMSNorm, incl. Qwen3 q_norm/k_norm) weights."""
    names = set()
    for mname, mod in model.named_modules():
        for pname, _ in mod.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            if isinstance(mod, (LayerNorm, RMSNorm)) or pname == "bias":
                names.add(full)
    return names


def lm_loss(model, token_lists):
    """Mean next-token cross-entropy over all real (non-padded) targets of the batch
    (token-weighted, as HF's ForCausalLMLoss with labels=-100 on padding); logits upcast to float32."""
    ids, lengths = pad_batch(model, token_lists)
    out = model(ids).float()
    B, T, V = out.shape
    labels = ids.clone()
    for b, n in enumerate(lengths):
        labels[b, n:] = -100
    shift_logits = out[:, :-1].reshape(-1, V)
    shift_labels = labels[:, 1:].reshape(-1)
    n_tok = int((shift_labels != -100).sum().item())
    if n_tok == 0:
        raise ValueError("no next-token targets: every row has length 1")
    return F.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="mean"), n_tok


def adamw_steps(model, token_lists, lr, betas, eps, weight_decay, decay_all=False, grad_clip=None, steps=1):
    """`steps` steps of torch.optim.AdamW on lm_loss(batch). Returns a dict with per-step loss and
    pre-clip global grad L2 norm, the last step's pre-clip gradients {name: tensor}, the optimizer
    state, and the decay / no-decay name lists."""
    model.train()  # no dropout in these models; kept for form
    named = [(n, p) for n, p in model.named_parameters()]
    nd = set() if decay_all else no_decay_names(model)
    decay = [p for n, p in named if n not in nd]
    nodecay = [p for n, p in named if n in nd]
    groups = [g for g in ({"params": decay, "weight_decay": weight_decay},
                          {"params": nodecay, "weight_decay": 0.0}) if g["params"]]
    opt = torch.optim.AdamW(groups, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
    losses, norms, grads, n_tok = [], [], {}, 0
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss, n_tok = lm_loss(model, token_lists)
        loss.backward()
        gl = [p.grad for _, p in named if p.grad is not None]
        # torch.nn.utils.clip_grad_norm_'s total norm (norm_type 2), before clipping
        total = torch.norm(torch.stack([torch.norm(g.detach(), 2.0) for g in gl]), 2.0)
        grads = {n: p.grad.detach().clone() for n, p in named if p.grad is not None}
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_([p for _, p in named], grad_clip)
        opt.step()
        losses.append(float(loss.item()))
        norms.append(float(total.item()))
    state = {}
    for n, p in named:
        st = opt.state.get(p, {})
        if "exp_avg" in st:
            state[n] = (st["exp_avg"], st["exp_avg_sq"])
    model.eval()
    return {"losses": losses, "grad_norms": norms, "grads": grads, "n_tokens": n_tok, "state": state,
            "decay": [n for n, _ in named if n not in nd], "no_decay": [n for n, _ in named if n in nd]}


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def _ids(s):
    s = s.strip()
    return [int(x) for x in s.split(",") if x.strip() != ""] if s else []


def _token_lists(args):
    rows = [_ids(t) for t in (args.tokens or [])]
    if getattr(args, "tokens_json", None):
        with open(args.tokens_json) as f:
            rows += [list(map(int, r)) for r in json.load(f)]
    if not rows:
        raise SystemExit("no token lists given (--tokens or --tokens-json)")
    return rows


def _emit(obj, out):
    s = json.dumps(obj, allow_nan=False)
    if out:
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            f.write(s)
        os.replace(tmp, out)
    else:
        sys.stdout.write(s + "\n")


def _threads(n):
    if n is None:
        try:
            n = len(os.sched_getaffinity(0))
        except AttributeError:
            n = os.cpu_count() or 1
    torch.set_num_threads(max(1, n))


def cmd_logits(a):
    model = load_model(a.model, a.dtype, strict=a.strict)
    rows = _token_lists(a)
    out = logits(model, rows)
    B, T, V = out.shape
    res = {"shape": [B, T, V], "lengths": [len(r) for r in rows], "dtype": a.dtype}
    if a.out_bin:
        arr = out.numpy().astype("<f4", copy=False)
        tmp = a.out_bin + ".tmp"
        arr.tofile(tmp)
        os.replace(tmp, a.out_bin)
        res["bin"] = os.path.abspath(a.out_bin)
        res["bin_layout"] = "little-endian float32, row-major [B, T, V], NaN at padded positions"
    if not a.out_bin or a.json_logits:
        res["logits"] = [out[b, :n].tolist() for b, n in enumerate(res["lengths"])]
    _emit(res, a.out)


def cmd_greedy(a):
    model = load_model(a.model, a.dtype, strict=a.strict)
    rows = _token_lists(a)
    gen = greedy(model, rows, a.max_new_tokens, a.eos or ())
    _emit({"generated": gen, "sequences": [r + g for r, g in zip(rows, gen)], "dtype": a.dtype}, a.out)


def cmd_loglik(a):
    model = load_model(a.model, a.dtype, strict=a.strict)
    reqs = []
    ctxs, conts = a.context_tokens or [], a.continuation_tokens or []
    if len(ctxs) != len(conts):
        raise SystemExit("--context-tokens and --continuation-tokens must be given the same number of times")
    reqs += [(_ids(c), _ids(d)) for c, d in zip(ctxs, conts)]
    if a.requests_json:
        with open(a.requests_json) as f:
            reqs += [(list(map(int, r["context"])), list(map(int, r["continuation"]))) for r in json.load(f)]
    if not reqs:
        raise SystemExit("no requests given")
    res = loglik(model, reqs)
    _emit({"results": res, "dtype": a.dtype}, a.out)


def cmd_adamw(a):
    model = load_model(a.model, a.dtype, strict=a.strict)
    rows = _token_lists(a)
    r = adamw_steps(model, rows, a.lr, a.betas, a.eps, a.weight_decay, a.decay_all, a.grad_clip, a.steps)
    os.makedirs(a.out_dir, exist_ok=True)
    params = {n: p.detach() for n, p in model.named_parameters()}
    write_safetensors(os.path.join(a.out_dir, "model.safetensors"), params, {"format": "pt"})
    write_safetensors(os.path.join(a.out_dir, "grads.safetensors"), r["grads"], {"format": "pt"})
    if a.save_state:
        write_safetensors(os.path.join(a.out_dir, "exp_avg.safetensors"), {n: s[0] for n, s in r["state"].items()})
        write_safetensors(os.path.join(a.out_dir, "exp_avg_sq.safetensors"), {n: s[1] for n, s in r["state"].items()})
    with open(os.path.join(a.model, "config.json")) as f:
        cfg_text = f.read()
    with open(os.path.join(a.out_dir, "config.json"), "w") as f:
        f.write(cfg_text)
    res = {"loss": r["losses"][0], "grad_norm": r["grad_norms"][0], "losses": r["losses"],
           "grad_norms": r["grad_norms"], "n_tokens": r["n_tokens"], "steps": a.steps,
           "lr": a.lr, "betas": list(a.betas), "eps": a.eps, "weight_decay": a.weight_decay,
           "grad_clip": a.grad_clip, "decay_all": a.decay_all, "dtype": a.dtype,
           "decay": r["decay"], "no_decay": r["no_decay"],
           "files": {"params": "model.safetensors", "grads": "grads.safetensors", "config": "config.json"}}
    _emit(res, os.path.join(a.out_dir, "result.json"))
    if a.out:
        _emit(res, a.out)


def cmd_info(a):
    cfg = Config(read_config(a.model))
    s = cfg.summary()
    s["inv_freq"] = cfg.inv_freq().tolist()
    _emit(s, a.out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p, tokens=True):
        p.add_argument("--model", required=True, help="HF model directory (config.json + weights)")
        p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
        p.add_argument("--out", help="write the JSON result here (default: stdout)")
        p.add_argument("--threads", type=int, help="torch threads (default: all usable cores)")
        p.add_argument("--strict", action="store_true", help="error on unexpected checkpoint tensors")
        if tokens:
            p.add_argument("--tokens", action="append", help="comma-separated ids; repeat for more rows")
            p.add_argument("--tokens-json", help="JSON file: list of lists of ids (appended after --tokens)")

    p = sub.add_parser("logits", help="full-sequence logits")
    common(p)
    p.add_argument("--out-bin", help="write raw little-endian float32 [B,T,V] here (NaN at padding)")
    p.add_argument("--json-logits", action="store_true", help="with --out-bin, also put logits in the JSON")
    p.set_defaults(fn=cmd_logits)

    p = sub.add_parser("greedy", help="argmax decoding, full forward each step")
    common(p)
    p.add_argument("--max-new-tokens", type=int, required=True)
    p.add_argument("--eos", type=int, action="append", help="stop a row after this id (repeatable)")
    p.set_defaults(fn=cmd_greedy)

    p = sub.add_parser("loglik", help="log-likelihood of continuations")
    common(p, tokens=False)
    p.add_argument("--context-tokens", action="append")
    p.add_argument("--continuation-tokens", action="append")
    p.add_argument("--requests-json", help='JSON file: [{"context": [...], "continuation": [...]}]')
    p.set_defaults(fn=cmd_loglik)

    p = sub.add_parser("adamw-step", help="AdamW step(s) on mean next-token cross-entropy")
    common(p)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--betas", type=lambda s: [float(x) for x in s.split(",")], default=[0.9, 0.999],
                   help="b1,b2 (default 0.9,0.999)")
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--decay-all", action="store_true", help="also decay biases and norm weights")
    p.add_argument("--grad-clip", type=float, help="clip_grad_norm_ max norm (default: no clipping)")
    p.add_argument("--steps", type=int, default=1, help="steps on the same batch (default 1)")
    p.add_argument("--save-state", action="store_true", help="also write exp_avg / exp_avg_sq")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(fn=cmd_adamw)

    p = sub.add_parser("info", help="resolved config and RoPE inverse frequencies")
    p.add_argument("--model", required=True)
    p.add_argument("--out")
    p.add_argument("--threads", type=int)
    p.set_defaults(fn=cmd_info)

    a = ap.parse_args(argv)
    _threads(a.threads)
    a.fn(a)


if __name__ == "__main__":
    main()
