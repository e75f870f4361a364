#!/usr/bin/env python3
"""Baseline for bench/generate.js: lm-evaluation-harness-style generate_until with Hugging Face
transformers — left-padded batches, `model.generate(do_sample=False, stop_strings=until)`, decode
with skip_special_tokens, cut at each `until` — the loop HFLM.generate_until runs.

    python generate_until_baseline.py --model DIR --input JOB.json --threads N --batch-size B [--peer hf|hf-static-compile]
                                      [--dtype float32|bfloat16]
--peer hf-static-compile: `cache_implementation="static"` and `torch.compile(model.forward)` (the recipe transformers
documents for fast generation), prompts left-padded to the longest item so that every batch has one shape (one compile).
JOB.json: {"contexts": [str], "until": [str], "max_gen_toks": int}
Prints one JSON line: {"seconds", "cpu_seconds", "items", "texts", "torch", "transformers"}.
"""
import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
import torch  # noqa: E402
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer


def cut(s, until):
    for term in until:
        if term:
            s = s.split(term)[0]
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--peer", choices=["hf", "hf-static-compile"], default="hf")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    a = ap.parse_args()
    static = a.peer == "hf-static-compile"
    torch.set_num_threads(a.threads)
    job = json.load(open(a.input))
    tok = AutoTokenizer.from_pretrained(a.model)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=getattr(torch, a.dtype)).eval()
    if static:
        model.forward = torch.compile(model.forward)
    longest = max(len(tok(c)["input_ids"]) for c in job["contexts"])
    pad = {"padding": "max_length", "max_length": longest} if static else {"padding": True}
    extra = {"cache_implementation": "static"} if static else {}
    eos = tok.decode([tok.eos_token_id], skip_special_tokens=False)
    until = list(job["until"]) + ([eos] if eos not in job["until"] else [])
    G = int(job["max_gen_toks"])

    def run(contexts):
        texts = []
        for i in range(0, len(contexts), a.batch_size):
            enc = tok(contexts[i : i + a.batch_size], return_tensors="pt", **pad)
            with torch.inference_mode():
                out = model.generate(**enc, max_new_tokens=G, do_sample=False, stop_strings=until, tokenizer=tok,
                                     pad_token_id=tok.pad_token_id, **extra)
            cont = out[:, enc["input_ids"].shape[1]:]
            texts += [cut(s, until) for s in tok.batch_decode(cont.tolist(), skip_special_tokens=True)]
        return texts

    w0 = time.perf_counter()
    run(job["contexts"][: a.batch_size])  # warm-up (compiles, for the static-cache peer: one batch of the timed shape)
    warmup = time.perf_counter() - w0
    t0, c0 = time.perf_counter(), time.process_time()
    texts = run(job["contexts"])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"peer": a.peer, "dtype": a.dtype, "warmup_seconds": warmup, "seconds": seconds, "cpu_seconds": cpu, "items": len(texts), "texts": texts, "torch": torch.__version__,
                      "transformers": transformers.__version__}))


if __name__ == "__main__":
    main()
