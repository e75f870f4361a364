#!/usr/bin/python3
"""Independent PyTorch reference for evaluation kernels that ref_model.py does not cover.

Uses ref_model.py's model (written from transformers, not from this project's code). Needs only
torch + numpy.

  embed   --model DIR --tokens-json F [--out F]   mean over each row's tokens of the final-normed
                                                   hidden states (one row per forward, no padding)
  windows --model DIR --tokens-json F --from-json F  per-token log-probs of row[from:] given the row
                                                   before it (one forward per row; perplexity windows)
  job     --model DIR --job-json F [--out F]      several operations on one loaded model (saves the
                                                   interpreter start per call in tests):
          {"ops": [{"op": "loglik", "requests": [{"context", "continuation"}]}, {"op": "greedy", "rows", "n"},
                   {"op": "windows", "rows", "from"}, {"op": "embed", "rows"}]}  ->  {"results": [...]}
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_model  # noqa: E402


def final_hidden(model, ids):
    """The final-normed hidden states [B, T, H]: ref_model's forward without the LM head."""
    c = model.c
    if c.family == "gpt_neox":
        m = model.gpt_neox
        x = m.embed_in(ids)
        final = m.final_layer_norm
    else:
        m = model.model
        x = m.embed_tokens(ids)
        final = m.norm
    B, T = ids.shape
    pos = torch.arange(T)[None].expand(B, T)
    cos, sin = ref_model.rope_cos_sin(c, model.inv_freq, pos, x.dtype)
    mask = ref_model.causal_additive_mask(T, x.dtype)
    for layer in m.layers:
        x = layer(x, cos, sin, mask)
    return final(x)


def embed_rows(model, rows):
    return [final_hidden(model, torch.tensor([r]))[0].float().mean(0).tolist() for r in rows]


def window_logprobs(model, rows, starts):
    out = []
    for r, s in zip(rows, starts):
        logits = model(torch.tensor([r[:-1]]))[0].float()
        lp = F.log_softmax(logits, -1)
        tok = lp.gather(-1, torch.tensor(r[1:])[:, None])[:, 0]
        out.append([float(v) for v in tok[s - 1:].tolist()])
    return out


def run_op(model, op):
    kind = op["op"]
    if kind == "loglik":
        return ref_model.loglik(model, [(r["context"], r["continuation"]) for r in op["requests"]])
    if kind == "greedy":
        return ref_model.greedy(model, op["rows"], op["n"])
    if kind == "windows":
        return window_logprobs(model, op["rows"], op["from"])
    if kind == "embed":
        return embed_rows(model, op["rows"])
    raise SystemExit(f"unknown op {kind}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("embed", "windows", "job"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        if name == "job":
            p.add_argument("--job-json", required=True)
        else:
            p.add_argument("--tokens-json", required=True)
        p.add_argument("--out")
        p.add_argument("--threads", type=int)
        if name == "windows":
            p.add_argument("--from-json", required=True)
    a = ap.parse_args()
    ref_model._threads(a.threads)
    model = ref_model.load_model(a.model, "float32", warn=False)
    res = {}
    with torch.no_grad():
        if a.cmd == "job":
            with open(a.job_json) as f:
                job = json.load(f)
            res["results"] = [run_op(model, op) for op in job["ops"]]
        else:
            with open(a.tokens_json) as f:
                rows = json.load(f)
            if a.cmd == "embed":
                res["embeddings"] = embed_rows(model, rows)
            else:
                with open(a.from_json) as f:
                    starts = json.load(f)
                res["token_logprobs"] = window_logprobs(model, rows, starts)
    ref_model._emit(res, a.out)


if __name__ == "__main__":
    main()
