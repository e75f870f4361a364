#!/usr/bin/env python3
"""The reference pipeline's audit algorithm (VITA-Group/latent-capability-resurfacing, src/audit.py:
normalize, get_ngrams, build_fingerprint_sets, scan_corpus) on our corpus and task files, for timing
and memory: n-grams as Python tuples in sets, as there. Prints one JSON line.

Usage: audit_baseline.py N CORPUS_DIR TASK.jsonl [...]
"""
import json
import os
import re
import resource
import sys
import time


def normalize(text):
    text = text.lower()
    text = re.sub(r'[^\w\s]', '', text)
    return re.sub(r'\s+', ' ', text).strip()


def get_ngrams(text, n):
    tokens = text.split()
    if len(tokens) < n:
        return set()
    return set(zip(*[tokens[i:] for i in range(n)]))


def item_text(rec):
    if 'choices' in rec:
        return ' '.join([rec.get('context', '')] + rec['choices'] + ([rec['continuation']] if 'continuation' in rec else []))
    return rec['context'] + ' ' + rec['continuation']


def main():
    n, corpus_dir, task_files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    t0 = time.time()
    global_set, per_bench = set(), {}
    for tf in task_files:
        s = set()
        with open(tf, encoding='utf-8') as f:
            for line in f:
                s.update(get_ngrams(normalize(item_text(json.loads(line))), n))
        per_bench[tf] = s
        global_set.update(s)
    t1 = time.time()
    with open(os.path.join(corpus_dir, 'manifest.json'), encoding='utf-8') as f:
        manifest = json.load(f)
    flagged = 0
    for shard in manifest['shards']:
        with open(os.path.join(corpus_dir, shard['file']), encoding='utf-8') as f:
            for line in f:
                grams = get_ngrams(normalize(json.loads(line)['text']), n)
                if grams and grams & global_set:
                    flagged += 1
                    for s in per_bench.values():
                        _ = grams & s
    t2 = time.time()
    print(json.dumps({'fingerprintSeconds': t1 - t0, 'scanSeconds': t2 - t1, 'elapsed': t2 - t0, 'flagged': flagged,
                      'distinctNgrams': len(global_set), 'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == '__main__':
    main()
