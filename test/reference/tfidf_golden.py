"""Golden TF-IDF similarities for test/unit/proxies.test.ts (numpy only; sklearn's TfidfVectorizer
defaults: raw counts, smooth idf ln((1+N)/(1+df))+1, L2 rows). Run with /usr/bin/python3."""
import json, re
import numpy as np
corpus = ["the cat sat on the mat", "a dog ate the bone", "the cat ate fish"]
bench = ["the cat ate the fish", "dogs like bones"]
docs = corpus + bench
tok = [re.findall(r"[a-z]+|[0-9]+", d.lower()) for d in docs]
vocab = sorted({w for t in tok for w in t})
X = np.array([[t.count(w) for w in vocab] for t in tok], dtype=float)
df = (X > 0).sum(0)
idf = np.log((1 + len(docs)) / (1 + df)) + 1
X = X * idf
X = X / np.linalg.norm(X, axis=1, keepdims=True)
C, B = X[:3], X[3:]
mc, mb = C.mean(0), B.mean(0)
centroid = mc @ mb / (np.linalg.norm(mc) * np.linalg.norm(mb))
S = B @ C.T
top2 = np.mean([np.sort(r)[::-1][:2].mean() for r in S])
print(json.dumps({"centroid": centroid, "top2": top2, "top1": np.mean(S.max(1))}))
