// Truncated sampling on CPU without sorting the vocabulary.
//
// The textbook rules (sort by descending logit, ties by ascending id; keep the first k; keep while
// the mass before a token is < top_p; keep p >= min_p * p_max; draw by inverse CDF in that order)
// only ever keep a PREFIX of the sorted order, and the draw is a position in it. So each row needs
// one histogram of its unnormalised probabilities e = exp((x - max) / T) over the top 11 bits of
// e's float bits (509 bins, 4 per octave; a token in a higher bin always comes earlier in the
// order, since e is monotone in the logit), and then the exact order only inside the bin where a
// cut or the draw falls: two more radix levels over that bin's members (e's bits 20..10, 9..0)
// leave a group of one exact e, which a small sort puts in order. A few passes over V per row,
// rows in parallel; the same tokens as the sort-based definition, ties included.
// Untruncated and min-p-only draws go in id order instead (two passes, no histogram).
#include "generate/truncated_sampler.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace resurface {

namespace {

constexpr int kBins = 512;  // e in [0, 1]: bits(1.0f) >> 21 = 508 is the top bin (4 bins an octave)
constexpr int kSubBins = 2048;

inline uint32_t bits_of(float e) {
  uint32_t b;
  std::memcpy(&b, &e, 4);
  return b;
}

inline int bin_of(float e) {
  return std::min(static_cast<int>(bits_of(e) >> 21), kBins - 1);  // e >= 0: the bits order like the value (NaN: top)
}

// One row and its histogram.
struct Row {
  const float* x;  // [V] logits (after valid-vocab narrowing)
  const float* e;  // [V] exp((x - max) / T), max 1
  int64_t V;
  std::vector<uint16_t> bin;  // [V] each token's histogram bin
  int32_t count[kBins];
  double mass[kBins];

  // a comes before b in the sampling order: higher logit first, lower id among equal logits
  bool before(int64_t a, int64_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }

  int32_t count4[4][kBins];
  double mass4[4][kBins];

  // Four interleaved copies: on a flat row neighbours share a bin, and one copy would chain every
  // update through a store and a reload of the same slot.
  void histogram() {
    std::memset(count4, 0, sizeof count4);
    std::memset(mass4, 0, sizeof mass4);
    bin.resize(static_cast<size_t>(V));
    uint16_t* bp = bin.data();
    for (int64_t i = 0; i < V; ++i) bp[i] = static_cast<uint16_t>(bin_of(e[i]));  // vectorises
    int64_t i = 0;
    for (; i + 4 <= V; i += 4) {
      for (int c = 0; c < 4; ++c) {
        count4[c][bp[i + c]] += 1;
        mass4[c][bp[i + c]] += e[i + c];
      }
    }
    for (; i < V; ++i) {
      count4[0][bp[i]] += 1;
      mass4[0][bp[i]] += e[i];
    }
    for (int b = 0; b < kBins; ++b) {
      count[b] = (count4[0][b] + count4[1][b]) + (count4[2][b] + count4[3][b]);
      mass[b] = (mass4[0][b] + mass4[1][b]) + (mass4[2][b] + mass4[3][b]);
    }
  }

  // the tokens of bin b, in id order (a branch-free compaction: on flat rows half the tests match)
  void members(int b, std::vector<int64_t>& out) const {
    out.resize(static_cast<size_t>(count[b]) + 1);
    int64_t* op = out.data();
    const uint16_t* bp = bin.data();
    size_t n = 0;
    for (int64_t i = 0; i < V; ++i) {
      op[n] = i;
      n += bp[i] == b;
    }
    out.resize(n);
  }
};

// The kept prefix: every token of a bin above `bin`, plus the members of `bin` up to and including
// token `last` in the order (none when last < 0), whose mass is `bin_mass`. bin = -1: nothing cut.
struct Cut {
  int bin = -1;
  int64_t last = -1;
  double bin_mass = 0.0;

  bool keeps_in_bin(const Row& r, int64_t i) const { return last >= 0 && (i == last || r.before(i, last)); }
  double kept_mass(const Row& r, int b) const { return b > bin ? r.mass[b] : b == bin ? bin_mass : 0.0; }
  double total(const Row& r) const {
    double s = 0.0;
    for (int b = kBins - 1; b >= std::max(bin, 0); --b) s += kept_mass(r, b);
    return s;
  }
  // the kept members of bin b
  void members(const Row& r, int b, std::vector<int64_t>& out) const {
    r.members(b, out);
    if (b == bin) out.erase(std::remove_if(out.begin(), out.end(), [&](int64_t i) { return !keeps_in_bin(r, i); }), out.end());
  }
};

enum class Weight { kCount, kMass };

struct Found {
  int64_t id = -1;            // the first token whose running total crosses, or -1 (rounding: none did)
  double mass_through = 0.0;  // mass of the list's tokens up to and including it
};

struct Scratch {
  std::vector<int64_t> ids, tmp;
  double sub_w[kSubBins], sub_m[kSubBins];
};

// In `ids` (kept tokens of one histogram bin, any order; consumed), the first token in the sampling
// order at which the running total (count or mass), starting from `above`, crosses `target` (>
// when strict, >= otherwise).
Found find_in_bin(const Row& r, std::vector<int64_t>& ids, Weight w, double above, double target, bool strict, Scratch& s) {
  auto crosses = [&](double cum) { return strict ? cum > target : cum >= target; };
  Found f;
  double mass_ahead = 0.0;  // mass of the list's tokens ahead of the group still searched
  // bits 20..10, then 9..0 (the level-0 bin fixed bits 31..21)
  for (const auto& [shift, mask] : {std::pair<int, uint32_t>{10, 0x7FF}, std::pair<int, uint32_t>{0, 0x3FF}}) {
    if (ids.size() <= 64) break;
    const int n = static_cast<int>(mask) + 1;
    std::fill(s.sub_w, s.sub_w + n, 0.0);
    std::fill(s.sub_m, s.sub_m + n, 0.0);
    for (int64_t i : ids) {
      const auto sb = (bits_of(r.e[i]) >> shift) & mask;
      s.sub_w[sb] += w == Weight::kCount ? 1.0 : r.e[i];
      s.sub_m[sb] += r.e[i];
    }
    int pick = -1;
    for (int sb = n - 1; sb >= 0; --sb) {
      if (s.sub_w[sb] > 0.0 && crosses(above + s.sub_w[sb])) {
        pick = sb;
        break;
      }
      above += s.sub_w[sb];
      mass_ahead += s.sub_m[sb];
    }
    if (pick < 0) return f;
    s.tmp.resize(ids.size() + 1);
    size_t kept = 0;
    for (int64_t i : ids) {
      s.tmp[kept] = i;
      kept += static_cast<int>((bits_of(r.e[i]) >> shift) & mask) == pick;
    }
    s.tmp.resize(kept);
    ids.swap(s.tmp);
  }
  // a small group (or one exact e): in order by logit, then id
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) { return r.before(a, b); });
  for (int64_t i : ids) {
    above += w == Weight::kCount ? 1.0 : r.e[i];
    mass_ahead += r.e[i];
    if (crosses(above)) {
      f.id = i;
      f.mass_through = mass_ahead;
      return f;
    }
  }
  return f;
}

// The last token in the order among ids, and the ids' mass.
Found last_of(const Row& r, const std::vector<int64_t>& ids) {
  Found f;
  for (int64_t i : ids) {
    f.mass_through += r.e[i];
    if (f.id < 0 || r.before(f.id, i)) f.id = i;
  }
  return f;
}

// Keep the first k tokens of the order.
void cut_top_k(const Row& r, int64_t k, Cut& cut, Scratch& s) {
  int64_t seen = 0;
  for (int b = kBins - 1; b >= 0; --b) {
    if (seen + r.count[b] < k) {
      seen += r.count[b];
      continue;
    }
    r.members(b, s.ids);
    const Found f = find_in_bin(r, s.ids, Weight::kCount, static_cast<double>(seen), static_cast<double>(k), /*strict=*/false, s);
    cut.bin = b;
    cut.last = f.id;
    cut.bin_mass = f.mass_through;
    return;
  }
}

// Among the kept tokens, keep while the mass before a token is < top_p of their total: the last
// kept token is the first whose inclusive running mass reaches top_p * total.
void cut_top_p(const Row& r, double top_p, Cut& cut, Scratch& s) {
  const double target = top_p * cut.total(r);
  double above = 0.0;
  for (int b = kBins - 1; b >= std::max(cut.bin, 0); --b) {
    const double m = cut.kept_mass(r, b);
    if (m <= 0.0 || !(above + m >= target)) {
      above += m;
      continue;
    }
    cut.members(r, b, s.ids);
    Found f = find_in_bin(r, s.ids, Weight::kMass, above, target, /*strict=*/false, s);
    if (f.id < 0) {  // rounding: the bin reached the target as a whole only; keep all of it
      cut.members(r, b, s.ids);
      f = last_of(r, s.ids);
    }
    cut.bin = b;
    cut.last = f.id;
    cut.bin_mass = f.mass_through;
    return;
  }
}

// Keep p >= min_p * p_max, i.e. e >= min_p (the max has e = 1): a threshold, which only shortens
// the prefix when the current last kept token lies below it.
void cut_min_p(const Row& r, double min_p, Cut& cut, Scratch& s) {
  const auto e_min = static_cast<float>(min_p);
  const int b = bin_of(e_min);
  if (cut.bin > b) return;  // everything kept lies in higher bins: e > e_min already
  cut.members(r, b, s.ids);
  s.ids.erase(std::remove_if(s.ids.begin(), s.ids.end(), [&](int64_t i) { return r.e[i] < e_min; }), s.ids.end());
  const Found f = s.ids.empty() ? Found{} : last_of(r, s.ids);
  cut.bin = b;
  cut.last = f.id;
  cut.bin_mass = f.mass_through;
}

// Inverse CDF over the kept prefix, in the sampling order.
int64_t draw(const Row& r, const Cut& cut, double u, Scratch& s) {
  const double target = u * cut.total(r);
  double above = 0.0;
  int last_bin = -1;  // lowest bin with kept mass (for the rounding fallback)
  for (int b = kBins - 1; b >= std::max(cut.bin, 0); --b) {
    const double m = cut.kept_mass(r, b);
    if (m <= 0.0) continue;
    last_bin = b;
    if (!(above + m > target)) {
      above += m;
      continue;
    }
    cut.members(r, b, s.ids);
    const Found f = find_in_bin(r, s.ids, Weight::kMass, above, target, /*strict=*/true, s);
    if (f.id >= 0) return f.id;
    break;  // rounding: the bin crossed as a whole only; fall back to the last kept token
  }
  // u within rounding of the total: the last token of the kept prefix with positive mass
  if (last_bin < 0) return 0;
  cut.members(r, last_bin, s.ids);
  s.ids.erase(std::remove_if(s.ids.begin(), s.ids.end(), [&](int64_t i) { return !(r.e[i] > 0.0f); }), s.ids.end());
  return s.ids.empty() ? 0 : last_of(r, s.ids).id;
}

// Inverse CDF in id order over the tokens with e >= e_min (e_min = 0: every token), one row: the
// untruncated and the min-p-only draw. The total is summed in four chains (for speed).
int64_t draw_in_id_order(const float* row, int64_t V, float e_min, double u) {
  auto kept = [e_min](float v) { return e_min <= 0.0f || v >= e_min ? v : 0.0f; };
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= V; i += 4) {
    s[0] += kept(row[i]);
    s[1] += kept(row[i + 1]);
    s[2] += kept(row[i + 2]);
    s[3] += kept(row[i + 3]);
  }
  for (; i < V; ++i) s[0] += kept(row[i]);
  const double target = u * ((s[0] + s[1]) + (s[2] + s[3]));
  double acc = 0.0;
  int64_t last_nonzero = 0;
  for (int64_t j = 0; j < V; ++j) {
    const float v = kept(row[j]);
    if (v > 0.0f) last_nonzero = j;
    acc += v;
    if (acc > target) return j;  // v > 0 here: a zero entry cannot carry acc past target
  }
  return last_nonzero;  // u within rounding of the total: the last possible token
}

}  // namespace

torch::Tensor sample_cpu(const torch::Tensor& logits, const torch::Tensor& uniforms, const SamplingParams& p) {
  auto x = logits.to(torch::kFloat32).contiguous();  // [B, V]
  const int64_t B = x.size(0), V = x.size(1);
  auto e = x - x.amax(-1, /*keepdim=*/true);  // [B, V] <= 0
  if (p.temperature != 1.0) e.mul_(1.0 / p.temperature);
  e.exp_();  // [B, V] unnormalised probabilities, max 1
  auto u = uniforms.to(torch::kCPU, torch::kFloat64).contiguous();
  auto out = torch::empty({B}, torch::kInt64);
  const float* xp = x.data_ptr<float>();
  const float* ep = e.data_ptr<float>();
  const double* up = u.data_ptr<double>();
  int64_t* op = out.data_ptr<int64_t>();
  const bool use_top_k = p.top_k > 0 && p.top_k < V;
  const bool use_top_p = p.top_p < 1.0;
  const bool use_min_p = p.min_p > 0.0;
  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    auto row = std::make_unique<Row>();  // histograms (30 + 32 KiB): off the stack
    auto scratch = std::make_unique<Scratch>();
    for (int64_t b = b0; b < b1; ++b) {
      Row& r = *row;
      r.x = xp + b * V;
      r.e = ep + b * V;
      r.V = V;
      if (!use_top_k && !use_top_p) {
        op[b] = draw_in_id_order(r.e, V, use_min_p ? static_cast<float>(p.min_p) : 0.0f, up[b]);
        continue;
      }
      r.histogram();
      Cut cut;
      if (use_top_k) cut_top_k(r, p.top_k, cut, *scratch);
      if (use_top_p) cut_top_p(r, p.top_p, cut, *scratch);
      if (use_min_p) cut_min_p(r, p.min_p, cut, *scratch);
      op[b] = draw(r, cut, up[b], *scratch);
    }
  });
  return out;
}

}  // namespace resurface
