"""The sampling peers of bench/sample.js: prompt-free sampling from the start token, every row generating
N new tokens, in the dtype asked for, with PyTorch's usual tools. One peer per run:

  loop               a warmed KV-cached loop (eager_neox.py: `past_key_values` grown by torch.cat), logits
                     in float32, top-p the way transformers' TopPLogitsWarper does it, torch.multinomial;
                     runs under Debian's torch 1.13 and under pip torch 2.x (no transformers needed)
  hf                 Hugging Face `generate(do_sample=True)` with its default (dynamic) cache
  hf-static-compile  `generate` with `cache_implementation="static"` and the model's forward compiled by
                     `torch.compile` (inductor: the recipe transformers documents for fast generation)

  python sample_peer.py --peer loop --model DIR --threads N --dtype float32 --configs 1:1,32:0.95 \
      [--new-tokens 128] [--runs 1] [--warmup 1]          steady state: prints one JSON line
  python sample_peer.py ... --configs 1:0.95 --samples 3 --warmup 0 --runs 1   (what bench/sample.js times as a
      whole process: S samples in batches of B, load included)

A config is BATCH:TOP_P (top-p 1 = untruncated). Temperature 1, top-k off, no EOS stop (min_new_tokens = N for HF).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from eager_neox import cpu_seconds, current_rss_mib, load_model, peak_rss_mib, reset_peak_rss, runtime_facts, setup_threads  # noqa: E402


def top_p_filter(logits, top_p):
    """logits [B, V] float32 -> logits with the tokens outside the top-p nucleus at -inf (TopPLogitsWarper)."""
    if top_p >= 1.0:
        return logits
    sorted_logits, sorted_idx = torch.sort(logits, descending=False)  # [B, V]
    cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cum <= (1 - top_p)
    remove_sorted[..., -1:] = False  # keep at least the most likely token
    remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))


class LoopPeer:
    name = "loop"

    def __init__(self, model_dir, dtype):
        self.model, _ = load_model(model_dir, dtype)

    @torch.inference_mode()
    def generate(self, batch, new_tokens, top_p, start_token):
        ids = torch.full((batch, 1), start_token, dtype=torch.long)
        past = None
        out = []
        for _ in range(new_tokens):
            logits, past = self.model(ids, past_key_values=past)
            logits = top_p_filter(logits[:, -1, :].float(), top_p)  # [B, V] float32
            ids = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)  # [B, 1]
            out.append(ids)
        return torch.cat(out, dim=1)  # [B, new_tokens]


class HfPeer:
    name = "hf"
    static = False

    def __init__(self, model_dir, dtype):
        from transformers import AutoModelForCausalLM
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).eval()
        if self.static:
            self.model.forward = torch.compile(self.model.forward)

    @torch.inference_mode()
    def generate(self, batch, new_tokens, top_p, start_token):
        ids = torch.full((batch, 1), start_token, dtype=torch.long)
        kw = {"cache_implementation": "static"} if self.static else {}
        out = self.model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0, top_k=0, top_p=top_p,
            max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=start_token, **kw)
        return out[:, 1:]  # [B, new_tokens]


class HfStaticCompilePeer(HfPeer):
    name = "hf-static-compile"
    static = True


PEERS = {p.name: p for p in (LoopPeer, HfPeer, HfStaticCompilePeer)}


def versions():
    v = {"torch": torch.__version__, "python": sys.version.split()[0]}
    try:
        import transformers
        v["transformers"] = transformers.__version__
    except ImportError:
        pass
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=sorted(PEERS), required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--configs", default="1:1,32:1", help="BATCH:TOP_P,...")
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1, help="warm-up runs of the full length per config (compiles, fills caches)")
    ap.add_argument("--samples", type=int, default=0, help="whole-process mode: this many samples in batches of BATCH, once")
    ap.add_argument("--start-token", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    threads = setup_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    peer = PEERS[a.peer](a.model, a.dtype)
    load_seconds = time.perf_counter() - t0
    rss_loaded, peak_load = current_rss_mib(), peak_rss_mib()
    reset_peak_rss()  # from here on, the peak is that of generation (weights included)
    results = []
    for cfg in a.configs.split(","):
        b, p = cfg.split(":")
        batch, top_p = int(b), float(p)
        warm_secs = []
        for _ in range(a.warmup):
            w0 = time.perf_counter()
            peer.generate(batch, a.new_tokens, top_p, a.start_token)
            warm_secs.append(time.perf_counter() - w0)
        secs, cpu, tokens = [], [], []
        n_batches = -(-a.samples // batch) if a.samples else a.runs
        for i in range(n_batches):
            rows = min(batch, a.samples - i * batch) if a.samples else batch
            s0, c0 = time.perf_counter(), cpu_seconds()
            toks = peer.generate(rows, a.new_tokens, top_p, a.start_token)
            secs.append(time.perf_counter() - s0)
            cpu.append(cpu_seconds() - c0)
            assert toks.shape == (rows, a.new_tokens), toks.shape
            tokens.append(rows * a.new_tokens)
        results.append({"batch": batch, "topP": top_p, "seconds": secs, "cpuSeconds": cpu, "tokens": tokens, "warmupSeconds": warm_secs})
    print(json.dumps({
        "side": a.peer, "threads": threads, "dtype": a.dtype, "newTokens": a.new_tokens, "loadSeconds": load_seconds,
        "results": results, "rssAfterLoadMiB": rss_loaded, "peakRssLoadMiB": peak_load, "peakRssMiB": peak_rss_mib(),
        "versions": versions(), "runtime": runtime_facts(),
    }))


if __name__ == "__main__":
    main()
