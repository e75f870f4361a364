#!/usr/bin/python3
"""Plain PyTorch baseline for bench/eval.js, the way simple evaluation scripts do it.

  multiple choice: one forward per request (context + continuation, no batching, no shared
                   context), full-vocabulary log_softmax, gather the continuation tokens.
  extraction:      one sequence at a time, greedy decoding with a KV cache (what HF generate does at
                   batch size 1): prefill the prefix, then one token per step.

Same model (ref_model.py, eager attention), float32, torch.set_num_threads(threads).
Input JSON: {"mc": [{"context": [...], "continuations": [[...], ...]}], "extract": {"prompts": [[...]], "suffix_len": S}}
Output JSON: {"mc_seconds", "mc_items", "mc_logprobs": [[...]], "extract_seconds", "extract_sequences", "generated": [[...]]}
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "reference"))
import ref_model  # noqa: E402


def score_request(model, ctx, cont):
    ids = torch.tensor([ctx + cont[:-1]])
    logits = model(ids)[0]
    lp = F.log_softmax(logits.float(), dim=-1)[len(ctx) - 1:]
    return float(lp.gather(-1, torch.tensor(cont)[:, None]).double().sum())


def neox_forward_cached(model, ids, past, start):
    """GPT-NeoX forward of ids [1, T] at positions start.. with a growing per-layer (k, v) cache."""
    c = model.c
    m = model.gpt_neox
    x = m.embed_in(ids)
    T = ids.shape[1]
    pos = torch.arange(start, start + T)[None]
    cos, sin = ref_model.rope_cos_sin(c, model.inv_freq, pos, x.dtype)
    S = start + T
    mask = torch.full((T, S), torch.finfo(x.dtype).min).triu(start + 1)[None, None]
    for li, layer in enumerate(m.layers):
        h = layer.input_layernorm(x)
        a = layer.attention
        qkv = a.query_key_value(h).view(1, T, -1, 3 * c.head_dim).transpose(1, 2)
        q, k, v = qkv.chunk(3, dim=-1)
        q, k = ref_model.apply_rotary(q, k, cos, sin)
        if past[li] is not None:
            k = torch.cat([past[li][0], k], dim=2)
            v = torch.cat([past[li][1], v], dim=2)
        past[li] = (k, v)
        out = ref_model.eager_attention(q, k, v, mask, c.head_dim ** -0.5, 1)
        attn = a.dense(out.reshape(1, T, -1))
        mlp = layer.mlp(layer.post_attention_layernorm(x))
        x = x + attn + mlp  # Pythia: parallel residual
    x = m.final_layer_norm(x)
    return F.linear(x[:, -1], model.embed_out.weight)


def greedy_cached(model, prompt, n):
    past = [None] * len(model.gpt_neox.layers)
    logits = neox_forward_cached(model, torch.tensor([prompt]), past, 0)
    out = []
    pos = len(prompt)
    for _ in range(n):
        tok = int(logits.argmax(-1))
        out.append(tok)
        if len(out) == n:
            break
        logits = neox_forward_cached(model, torch.tensor([[tok]]), past, pos)
        pos += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = ref_model.load_model(a.model, "float32", warn=False)
    assert model.c.family == "gpt_neox" and model.c.parallel_residual and not model.c.tie_word_embeddings
    with open(a.input) as f:
        job = json.load(f)
    res = {"threads": a.threads, "torch": torch.__version__}
    with torch.no_grad():
        score_request(model, job["mc"][0]["context"], job["mc"][0]["continuations"][0])  # warm-up
        t0 = time.perf_counter()
        res["mc_logprobs"] = [[score_request(model, it["context"], c) for c in it["continuations"]] for it in job["mc"]]
        res["mc_seconds"] = time.perf_counter() - t0
        res["mc_items"] = len(job["mc"])
        ex = job["extract"]
        greedy_cached(model, ex["prompts"][0], 2)  # warm-up
        t0 = time.perf_counter()
        res["generated"] = [greedy_cached(model, p, ex["suffix_len"]) for p in ex["prompts"]]
        res["extract_seconds"] = time.perf_counter() - t0
        res["extract_sequences"] = len(ex["prompts"])
    with open(a.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
