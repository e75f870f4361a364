"""GPT-NeoX (Pythia) in plain PyTorch eager, written the way people write it, for the baselines.

The model follows transformers' GPTNeoX (fused interleaved query_key_value, partial rotary,
parallel residual, float32 softmax) with the usual `past_key_values` tuple cache that grows by
torch.cat every step. Weights come from the model directory's model.safetensors, read with
json + struct + numpy (no safetensors package needed), so both sides use the very same bytes.
"""
import json
import math
import os
import resource
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

_NP = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """{name: float32 torch.Tensor} from a single-file safetensors (F32/F16/BF16)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        raw = np.asarray(data[a:b])
        if t["dtype"] == "BF16":
            arr = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = raw.view(_NP[t["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(t["shape"]).copy())
    return out


class Rotary(nn.Module):
    def __init__(self, dim, max_pos, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        t = torch.arange(max_pos).float()
        freqs = torch.outer(t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)  # [max_pos, rd]
        self.register_buffer("sin", emb.sin(), persistent=False)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh = c["num_attention_heads"]
        self.hd = c["hidden_size"] // self.nh
        self.rd = int(self.hd * c.get("rotary_pct", 1.0))
        self.query_key_value = nn.Linear(c["hidden_size"], 3 * c["hidden_size"])
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x, cos, sin, mask, past):
        B, T, _ = x.shape
        qkv = self.query_key_value(x).view(B, T, self.nh, 3 * self.hd)
        q = qkv[..., : self.hd].permute(0, 2, 1, 3)  # [B, nh, T, hd]
        k = qkv[..., self.hd : 2 * self.hd].permute(0, 2, 1, 3)
        v = qkv[..., 2 * self.hd :].permute(0, 2, 1, 3)
        qr, qp = q[..., : self.rd], q[..., self.rd :]
        kr, kp = k[..., : self.rd], k[..., self.rd :]
        q = torch.cat((qr * cos + rotate_half(qr) * sin, qp), dim=-1)
        k = torch.cat((kr * cos + rotate_half(kr) * sin, kp), dim=-1)
        if past is not None:
            k = torch.cat((past[0], k), dim=-2)
            v = torch.cat((past[1], v), dim=-2)
        present = (k, v)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)  # [B, nh, T, S]
        if mask is not None:
            scores = scores + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype)
        out = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, T, -1)
        return self.dense(out), present


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.dense_4h_to_h = nn.Linear(c["intermediate_size"], c["hidden_size"])

    def forward(self, x):
        return self.dense_4h_to_h(F.gelu(self.dense_h_to_4h(x)))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get("layer_norm_eps", 1e-5)
        self.input_layernorm = nn.LayerNorm(c["hidden_size"], eps=eps)
        self.post_attention_layernorm = nn.LayerNorm(c["hidden_size"], eps=eps)
        self.attention = Attention(c)
        self.mlp = MLP(c)
        self.parallel = c.get("use_parallel_residual", True)

    def forward(self, x, cos, sin, mask, past):
        a, present = self.attention(self.input_layernorm(x), cos, sin, mask, past)
        if self.parallel:
            return x + a + self.mlp(self.post_attention_layernorm(x)), present
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class GPTNeoX(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_in = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-5))
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.rotary = Rotary(int(hd * c.get("rotary_pct", 1.0)), c["max_position_embeddings"], c.get("rotary_emb_base", 10000))


class GPTNeoXForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gpt_neox = GPTNeoX(c)
        self.embed_out = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def forward(self, ids, past_key_values=None):
        """ids [B, T] -> (logits [B, T, V], past_key_values); T > 1 is causal."""
        B, T = ids.shape
        past_len = 0 if past_key_values is None else past_key_values[0][0].shape[-2]
        pos = torch.arange(past_len, past_len + T)
        x = self.gpt_neox.embed_in(ids)  # [B, T, H] in the model's dtype
        cos = self.gpt_neox.rotary.cos[pos][None, None].to(x.dtype)  # [1, 1, T, rd]
        sin = self.gpt_neox.rotary.sin[pos][None, None].to(x.dtype)
        mask = None
        if T > 1:
            mask = torch.full((T, T + past_len), float("-inf")).triu(past_len + 1)[None, None].to(x.dtype)
        presents = []
        for i, layer in enumerate(self.gpt_neox.layers):
            x, present = layer(x, cos, sin, mask, None if past_key_values is None else past_key_values[i])
            presents.append(present)
        x = self.gpt_neox.final_layer_norm(x)
        return self.embed_out(x), tuple(presents)


def load_model(model_dir, dtype="float32"):
    """(model in eval mode, config); dtype "bfloat16" casts every weight (the rotary tables follow x)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    assert c["architectures"] == ["GPTNeoXForCausalLM"], c["architectures"]
    model = GPTNeoXForCausalLM(c)
    missing, unexpected = model.load_state_dict(read_safetensors(os.path.join(model_dir, "model.safetensors")), strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    return model.to(getattr(torch, dtype)).eval(), c


def setup_threads(threads):
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def runtime_facts():
    """What the baseline really runs on: intra-op threads, OpenMP threads, the BLAS/OpenMP libraries
    mapped into this process (the pthread OpenBLAS would fight torch's OpenMP threads)."""
    info = torch.__config__.parallel_info()
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if any(k in p for k in ("blas", "lapack", "gomp", "libiomp", "mkl")):
                libs.add(p)
    pick = lambda key: next((l.split(":")[-1].strip() for l in info.splitlines() if key in l), None)  # noqa: E731
    return {
        "atenThreads": torch.get_num_threads(),
        "ompMaxThreads": pick("omp_get_max_threads()"),
        "parallelBackend": pick("ATen parallel backend"),
        "libraries": sorted(libs),
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
    }


def peak_rss_mib():
    """VmHWM (reset by reset_peak_rss), else getrusage's maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss():
    """Resets VmHWM (Linux >= 4.0), so that a later peak_rss_mib() measures what follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds():
    """User + system CPU time of this process (all threads): robust to the machine's load."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def current_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")
