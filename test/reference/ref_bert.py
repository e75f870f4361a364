#!/usr/bin/python3
"""Independent reference for sentence embeddings of BERT sentence-transformers checkpoints.

Written from transformers' modeling_bert.py (BertEmbeddings, BertSelfAttention eager path,
BertSelfOutput, BertIntermediate, BertOutput; the extended attention mask of
`get_extended_attention_mask`: (1 - mask) * finfo(dtype).min added to the scores) and from
sentence-transformers' models/Pooling.py and models/Normalize.py, NOT from this project's code.
Plain torch + numpy; safetensors read with ref_model.read_safetensors (json + struct + numpy).

The model directory is read the way sentence-transformers reads it: modules.json lists the modules
(Transformer at `path`, Pooling, Normalize); without modules.json, mean pooling and no
normalisation (SentenceTransformer's fallback for a plain transformers checkpoint).

CLI:  ref_bert.py embed --model DIR --tokens-json FILE --out FILE [--batched]
      tokens-json: [[ids...], ...] (already tokenized, special tokens included)
      out: {"dim": H, "embeddings": [[...], ...], "pooling": "...", "normalize": bool}
      Rows are run one at a time (no padding at all) unless --batched (one right-padded batch).
      ref_bert.py jobs --jobs-json FILE --out FILE
      jobs-json: [{"model": DIR, "tokens": [[...]], "batched": bool}, ...] -> out: [result | {"error": msg}]
      (one process for many models: torch's import is the slow part)
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_model import read_safetensors  # noqa: E402

ACT = {
    "gelu": lambda x: F.gelu(x),  # transformers' GELUActivation: erf form
    "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0)))),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}


def read_json(path):
    with open(path) as f:
        return json.load(f)


def load_modules(model_dir):
    """-> (transformer_dir, pooling_mode, normalize)."""
    modules_file = os.path.join(model_dir, "modules.json")
    if not os.path.exists(modules_file):
        return model_dir, "mean_tokens", False
    transformer_dir, pooling, normalize = None, None, False
    for m in read_json(modules_file):
        kind = m["type"].split(".")[-1]
        if kind == "Transformer":
            transformer_dir = os.path.join(model_dir, m["path"])
        elif kind == "Pooling":
            cfg = read_json(os.path.join(model_dir, m["path"], "config.json"))
            modes = [k for k in ("cls_token", "max_tokens", "mean_tokens", "mean_sqrt_len_tokens") if cfg.get("pooling_mode_" + k)]
            assert len(modes) == 1, f"reference supports one pooling mode, got {modes}"
            pooling = modes[0]
        elif kind == "Normalize":
            normalize = True
        else:
            raise ValueError(f"reference: unsupported module {m['type']}")
    return transformer_dir, pooling, normalize


class Bert:
    def __init__(self, model_dir):
        self.cfg = read_json(os.path.join(model_dir, "config.json"))
        tensors, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.w = {}
        for name, arr in tensors.items():
            if name.startswith("bert."):
                name = name[len("bert."):]
            self.w[name] = torch.from_numpy(arr.copy()).float()
        c = self.cfg
        self.H = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.hd = self.H // self.nh
        self.eps = c.get("layer_norm_eps", 1e-12)
        self.act = ACT[c.get("hidden_act", "gelu")]

    def ln(self, x, prefix):
        return F.layer_norm(x, (self.H,), self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)

    def lin(self, x, prefix):
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    def forward(self, input_ids, attention_mask):
        """input_ids, attention_mask: [B, T] -> last_hidden_state [B, T, H]."""
        B, T = input_ids.shape
        w = self.w
        position_ids = torch.arange(T).unsqueeze(0).expand(B, T)
        token_type_ids = torch.zeros(B, T, dtype=torch.long)
        x = w["embeddings.word_embeddings.weight"][input_ids]
        x = x + w["embeddings.token_type_embeddings.weight"][token_type_ids]
        x = x + w["embeddings.position_embeddings.weight"][position_ids]
        x = self.ln(x, "embeddings.LayerNorm")
        ext = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min  # [B, 1, 1, T]
        for i in range(self.cfg["num_hidden_layers"]):
            L = f"encoder.layer.{i}"
            def split(t):
                return t.view(B, T, self.nh, self.hd).permute(0, 2, 1, 3)
            q = split(self.lin(x, L + ".attention.self.query"))
            k = split(self.lin(x, L + ".attention.self.key"))
            v = split(self.lin(x, L + ".attention.self.value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd) + ext
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(B, T, self.H)
            a = self.ln(self.lin(ctx, L + ".attention.output.dense") + x, L + ".attention.output.LayerNorm")
            inter = self.act(self.lin(a, L + ".intermediate.dense"))
            x = self.ln(self.lin(inter, L + ".output.dense") + a, L + ".output.LayerNorm")
        return x


def pool(h, mask, mode):
    """sentence-transformers Pooling.forward for one mode. h [B, T, H], mask [B, T]."""
    m = mask.unsqueeze(-1).expand(h.size()).float()
    if mode == "cls_token":
        return h[:, 0]
    if mode == "max_tokens":
        t = h.clone()
        t[m == 0] = -1e9
        return torch.max(t, 1)[0]
    s = torch.sum(h * m, 1)
    n = torch.clamp(m.sum(1), min=1e-9)
    return s / n if mode == "mean_tokens" else s / torch.sqrt(n)


def embed(model_dir, token_lists, batched=False):
    tdir, mode, normalize = load_modules(model_dir)
    bert = Bert(tdir)
    out = []
    with torch.no_grad():
        groups = [token_lists] if batched else [[t] for t in token_lists]
        for g in groups:
            T = max(len(t) for t in g)
            ids = torch.zeros(len(g), T, dtype=torch.long)
            mask = torch.zeros(len(g), T, dtype=torch.long)
            for b, t in enumerate(g):
                ids[b, : len(t)] = torch.tensor(t)
                mask[b, : len(t)] = 1
            e = pool(bert.forward(ids, mask), mask, mode)
            if normalize:
                e = F.normalize(e, p=2, dim=1)
            out.extend(e.tolist())
    return {"dim": bert.H, "embeddings": out, "pooling": mode, "normalize": normalize}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--model", required=True)
    e.add_argument("--tokens-json", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--batched", action="store_true")
    j = sub.add_parser("jobs")
    j.add_argument("--jobs-json", required=True)
    j.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "embed":
        r = embed(args.model, read_json(args.tokens_json), args.batched)
    else:
        r = []
        for job in read_json(args.jobs_json):
            try:
                r.append(embed(job["model"], job["tokens"], job.get("batched", False)))
            except Exception as e:  # a failed job is a failed test, reported where it is used
                r.append({"error": f"{type(e).__name__}: {e}"})
    with open(args.out, "w") as f:
        json.dump(r, f)


if __name__ == "__main__":
    main()
