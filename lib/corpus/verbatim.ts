/**
 * Which of a set of strings occur verbatim (as substrings) in the corpus texts: Rabin–Karp with one
 * window length L = the shortest pattern (at most 64 UTF-16 units). Every pattern is keyed by the
 * hash of its first L units; each text is scanned once with a rolling hash and every hit is verified
 * with `startsWith`, so the answer is exact and the cost is O(total text length + verified hits).
 */

const BASE = 0x01000193;
const MAX_WINDOW = 64;

function powMod32(b: number, e: number): number {
  let r = 1;
  for (let i = 0; i < e; i++) r = Math.imul(r, b);
  return r;
}

export interface VerbatimHit {
  /** Pattern index. */
  pattern: number;
  /** Ids of the texts that contain it (capped at `maxIdsPerPattern`). */
  ids: number[];
  /** Distinct texts that contain it. */
  samples: number;
  occurrences: number;
}

export class VerbatimMatcher {
  private readonly window: number;
  private readonly byHash = new Map<number, number[]>();
  private readonly topPower: number;
  private readonly hits: { occurrences: number; samples: number; ids: number[]; lastId: number }[];

  constructor(
    private readonly patterns: readonly string[],
    private readonly maxIdsPerPattern = 100,
  ) {
    const nonEmpty = patterns.filter((p) => p.length > 0);
    this.window = nonEmpty.length ? Math.min(MAX_WINDOW, ...nonEmpty.map((p) => p.length)) : 0;
    this.topPower = powMod32(BASE, Math.max(0, this.window - 1));
    this.hits = patterns.map(() => ({ occurrences: 0, samples: 0, ids: [], lastId: -1 }));
    patterns.forEach((p, i) => {
      if (p.length === 0) return;
      const h = this.hashPrefix(p);
      const list = this.byHash.get(h);
      if (list) list.push(i);
      else this.byHash.set(h, [i]);
    });
  }

  private hashPrefix(s: string): number {
    let h = 0;
    for (let i = 0; i < this.window; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) | 0;
    return h;
  }

  /** Scans one text (`id` = its corpus id); counts every (pattern, position) occurrence. */
  scan(text: string, id: number): void {
    const L = this.window;
    if (L === 0 || text.length < L) return;
    let h = this.hashPrefix(text);
    for (let pos = 0; ; pos++) {
      const cands = this.byHash.get(h);
      if (cands) {
        for (const p of cands) {
          if (text.startsWith(this.patterns[p]!, pos)) {
            const hit = this.hits[p]!;
            hit.occurrences++;
            if (hit.lastId !== id) {
              hit.lastId = id;
              hit.samples++;
              if (hit.ids.length < this.maxIdsPerPattern) hit.ids.push(id);
            }
          }
        }
      }
      if (pos + L >= text.length) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(pos), this.topPower), BASE) + text.charCodeAt(pos + L)) | 0;
    }
  }

  /** Patterns found at least once. */
  found(): VerbatimHit[] {
    return this.hits.flatMap((h, pattern) =>
      h.occurrences > 0 ? [{ pattern, ids: h.ids, samples: h.samples, occurrences: h.occurrences }] : [],
    );
  }
}
