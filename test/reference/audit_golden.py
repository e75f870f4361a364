#!/usr/bin/env python3
"""Golden values for `corpus audit`: the reference pipeline's decontamination rule, in plain stdlib.

Written from VITA-Group/latent-capability-resurfacing, src/audit.py (`normalize`, `get_ngrams`,
`build_fingerprint_sets`, `scan_corpus` with min_cutoff = 1), not from resurface's TypeScript. N-grams
are kept as tuples of words (no hashing). A benchmark item's text is its fields joined by single
spaces, as the reference's `load_*` functions join question / choices / answer:
    multiple choice  context + " " + " ".join(choices)
    partial          context + " " + " ".join(choices) + " " + continuation
    loglikelihood    context + " " + continuation

Usage: audit_golden.py N CORPUS_DIR TASK.jsonl [TASK.jsonl ...]
Prints {"flagged": [ids], "per_benchmark": {task_file_path: [ids]}, "normalized": {id: str}}.

       audit_golden.py --classes
Prints, for every code point this Python's Unicode database assigns (not a surrogate), what
`normalize` does to it: {"unicode": version, "assigned": base64 bitset, "word": bitset of \w,
"space": bitset of \s, "lower": {code point: lower()} where lower() changes it}.
"""
import json
import os
import re
import sys


def normalize(text: str) -> str:
    text = text.lower()
    text = re.sub(r'[^\w\s]', '', text)
    text = re.sub(r'\s+', ' ', text).strip()
    return text


def get_ngrams(text: str, n: int) -> set:
    tokens = text.split()
    if len(tokens) < n:
        return set()
    return set(zip(*[tokens[i:] for i in range(n)]))


def item_text(rec: dict) -> str:
    if 'choices' in rec or 'gold' in rec:
        parts = [rec.get('context', '')] + list(rec['choices'])
        if 'continuation' in rec:
            parts.append(rec['continuation'])
        return ' '.join(parts)
    return rec['context'] + ' ' + rec['continuation']


def read_jsonl(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def classes():
    import unicodedata
    out = {}
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000 or unicodedata.category(chr(c)) == 'Cn':
            continue
        out[c] = normalize('A' + chr(c) + 'b')
    json.dump({'unicode': unicodedata.unidata_version, 'normalized': out}, sys.stdout, ensure_ascii=False)


def main():
    if sys.argv[1] == '--classes':
        return classes()
    n = int(sys.argv[1])
    corpus_dir = sys.argv[2]
    task_files = sys.argv[3:]
    per_bench = {}
    global_set = set()
    for tf in task_files:
        s = set()
        for rec in read_jsonl(tf):
            s.update(get_ngrams(normalize(item_text(rec)), n))
        per_bench[tf] = s
        global_set |= s
    with open(os.path.join(corpus_dir, 'manifest.json'), encoding='utf-8') as f:
        manifest = json.load(f)
    flagged, per_flags, normalized = [], {tf: [] for tf in task_files}, {}
    for shard in manifest['shards']:
        for rec in read_jsonl(os.path.join(corpus_dir, shard['file'])):
            normalized[rec['id']] = normalize(rec['text'])
            grams = get_ngrams(normalize(rec['text']), n)
            if not grams:
                continue
            if grams & global_set:
                flagged.append(rec['id'])
                for tf, s in per_bench.items():
                    if grams & s:
                        per_flags[tf].append(rec['id'])
    json.dump({'flagged': flagged, 'per_benchmark': per_flags, 'normalized': normalized}, sys.stdout, ensure_ascii=False)


if __name__ == '__main__':
    main()
