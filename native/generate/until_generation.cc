#include "generate/until_generation.h"

#include <algorithm>
#include <deque>

#include "common/errors.h"
#include "generate/counter_rng.h"
#include "generate/prefill_groups.h"

namespace resurface {

const std::string& TokenBytes::piece(int64_t id) const {
  static const std::string empty;
  return id >= 0 && id < static_cast<int64_t>(pieces.size()) ? pieces[static_cast<size_t>(id)] : empty;
}

namespace {

struct Job {
  int64_t item = 0, repeat = 0;
};

struct Row {
  bool active = false;
  Job job;
  int64_t position = 0;  // position of the token fed at the next step
  int64_t next_token = 0;
  std::vector<int32_t> tokens;
  std::string text;  // decoded bytes so far
};

int64_t cache_capacity(const std::vector<UntilItem>& items) {
  int64_t cap = 1;
  // positions 0 .. L + G - 2 are fed (the context, then every generated token but the last)
  for (const auto& it : items) cap = std::max<int64_t>(cap, static_cast<int64_t>(it.context.size()) + it.max_gen_toks - 1);
  return cap;
}

class UntilRun {
 public:
  UntilRun(ModelState& m, const std::vector<UntilItem>& items, const UntilConfig& cfg, const TokenBytes& bytes)
      : m_(m), items_(items), cfg_(cfg), bytes_(bytes) {
    for (int64_t i = 0; i < static_cast<int64_t>(items.size()); ++i)
      for (int64_t r = 0; r < cfg.repeats; ++r) pending_.push_back({i, r});
    out_.resize(pending_.size());
    const int64_t B = std::max<int64_t>(1, std::min<int64_t>(cfg.batch_size, static_cast<int64_t>(pending_.size())));
    rows_.resize(B);
    cache_ = KvCache(m.arch, B, cache_capacity(items), m.dtype, m.device);
  }

  std::vector<UntilCompletion> run() {
    while (true) {
      refill();
      bool any = false;
      for (const auto& r : rows_) any = any || r.active;
      if (!any && pending_.empty()) break;
      if (any) decode_step();  // else every fresh row finished at its first token: refill again
    }
    return std::move(out_);
  }

 private:
  double uniform(const Job& j, int64_t step) const {
    const auto& it = items_[static_cast<size_t>(j.item)];
    return Philox4x32::uniform(cfg_.seed, static_cast<uint64_t>(it.sample_base + j.repeat), static_cast<uint64_t>(step));
  }

  // Appends a sampled token to a row; true when the row is finished (and its completion stored).
  bool accept(Row& row, int64_t tok) {
    const auto& it = items_[static_cast<size_t>(row.job.item)];
    const bool eos = std::find(cfg_.eos_ids.begin(), cfg_.eos_ids.end(), tok) != cfg_.eos_ids.end();
    FinishReason reason = FinishReason::length;
    bool finished = eos;
    if (eos) {
      reason = FinishReason::eos;
    } else {
      row.tokens.push_back(static_cast<int32_t>(tok));
      const size_t before = row.text.size();
      const std::string& p = bytes_.piece(tok);
      if (before == 0 && bytes_.strip_leading_space && !p.empty() && p[0] == ' ')
        row.text.append(p, 1, std::string::npos);
      else
        row.text += p;
      // a stop string that appears now ends within the new bytes: search only from there
      for (const auto& s : it.stops) {
        const size_t from = before >= s.size() ? before - s.size() + 1 : 0;
        if (row.text.size() > before && row.text.find(s, from) != std::string::npos) {
          finished = true;
          reason = FinishReason::stop;
          break;
        }
      }
      if (!finished && static_cast<int64_t>(row.tokens.size()) >= it.max_gen_toks) finished = true;
    }
    if (finished) {
      const size_t j = static_cast<size_t>(row.job.item * cfg_.repeats + row.job.repeat);
      out_[j] = UntilCompletion{row.job.item, row.job.repeat, std::move(row.tokens), reason};
      row = Row{};
      return true;
    }
    row.next_token = tok;
    return false;
  }

  // Takes jobs for every free row and prefills their contexts in one batched forward.
  void refill() {
    std::vector<int64_t> fresh;  // row indices
    for (int64_t b = 0; b < static_cast<int64_t>(rows_.size()); ++b) {
      if (rows_[b].active || pending_.empty()) continue;
      rows_[b] = Row{};
      rows_[b].active = true;
      rows_[b].job = pending_.front();
      pending_.pop_front();
      fresh.push_back(b);
    }
    if (fresh.empty()) return;
    // one prefill per distinct item (its repeats share it), in groups of similar length
    // (generate/prefill_groups.h: little padding, attention scores within a memory budget)
    std::vector<int64_t> uitems;
    for (auto b : fresh) {
      const int64_t it = rows_[b].job.item;
      if (std::find(uitems.begin(), uitems.end(), it) == uitems.end()) uitems.push_back(it);
    }
    std::vector<int64_t> lengths;
    for (auto it : uitems) lengths.push_back(static_cast<int64_t>(items_[it].context.size()));
    for (const auto& group : prefill_groups(lengths, m_.arch.num_heads)) {
      std::vector<int64_t> part;
      for (auto g : group) part.push_back(uitems[g]);
      std::vector<int64_t> rows;
      for (auto b : fresh)
        if (std::find(part.begin(), part.end(), rows_[b].job.item) != part.end()) rows.push_back(b);
      prefill(part, rows);
    }
  }

  // Prefills the contexts of `items` [U] and starts the fresh rows `rows` whose jobs belong to them.
  void prefill(const std::vector<int64_t>& items, const std::vector<int64_t>& rows) {
    const int64_t U = static_cast<int64_t>(items.size());
    int64_t Lmax = 1;
    for (auto it : items) Lmax = std::max<int64_t>(Lmax, static_cast<int64_t>(items_[it].context.size()));
    std::vector<int64_t> ids(static_cast<size_t>(U * Lmax), 0), last(static_cast<size_t>(U));
    for (int64_t u = 0; u < U; ++u) {
      const auto& ctx = items_[items[u]].context;
      const int64_t L = static_cast<int64_t>(ctx.size());
      // right padding: repeats the last token; padded slots are never copied into the cache
      for (int64_t t = 0; t < Lmax; ++t) ids[u * Lmax + t] = ctx[std::min(t, L - 1)];
      last[u] = L - 1;
    }
    const auto dev = m_.device;
    const auto iopt = torch::TensorOptions().dtype(torch::kInt64).device(dev);
    KvCache tmp(m_.arch, U, Lmax, m_.dtype, dev);
    ForwardArgs a;
    a.ids = torch::tensor(ids, torch::kInt64).view({U, Lmax}).to(dev);
    a.positions = torch::arange(Lmax, iopt).unsqueeze(0).expand({U, Lmax}).contiguous();
    a.cache = &tmp;
    a.kv_len = Lmax;
    auto h = m_.decoder->hidden(a);                                                         // [U, Lmax, H]
    auto idx = torch::tensor(last, torch::kInt64).to(dev);                                   // [U]
    auto h_last = h.index({torch::arange(U, iopt), idx});                                    // [U, H]
    auto logits_u = m_.decoder->logits(h_last.unsqueeze(1)).select(1, 0);                    // [U, V]
    std::vector<int64_t> which(rows.size());
    std::vector<double> uni(rows.size());
    for (size_t k = 0; k < rows.size(); ++k) {
      Row& r = rows_[rows[k]];
      const int64_t u = std::find(items.begin(), items.end(), r.job.item) - items.begin();
      which[k] = u;
      uni[k] = uniform(r.job, 0);
      const int64_t L = static_cast<int64_t>(items_[r.job.item].context.size());
      for (size_t l = 0; l < cache_.k.size(); ++l) {
        cache_.k[l][rows[k]].narrow(1, 0, L).copy_(tmp.k[l][u].narrow(1, 0, L));  // [n_kv, L, hd]
        cache_.v[l][rows[k]].narrow(1, 0, L).copy_(tmp.v[l][u].narrow(1, 0, L));
      }
      r.position = L;
    }
    auto logits = logits_u.index_select(0, torch::tensor(which, torch::kInt64).to(dev));  // [F, V]
    auto next = sample_tokens(logits, torch::tensor(uni, torch::kFloat64), cfg_.sampling).to(torch::kCPU);
    auto acc = next.accessor<int64_t, 1>();
    for (size_t k = 0; k < rows.size(); ++k) accept(rows_[rows[k]], acc[static_cast<int64_t>(k)]);
  }

  void decode_step() {
    const int64_t B = static_cast<int64_t>(rows_.size());
    std::vector<int64_t> ids(B), pos(B);
    std::vector<double> uni(B);
    int64_t kv_len = 1;
    for (int64_t b = 0; b < B; ++b) {
      const Row& r = rows_[b];
      ids[b] = r.active ? r.next_token : 0;  // idle rows recompute slot 0 of their own row, harmlessly
      pos[b] = r.active ? r.position : 0;
      uni[b] = r.active ? uniform(r.job, static_cast<int64_t>(r.tokens.size())) : 0.0;
      kv_len = std::max(kv_len, pos[b] + 1);
    }
    const auto dev = m_.device;
    ForwardArgs a;
    a.ids = torch::tensor(ids, torch::kInt64).view({B, 1}).to(dev);
    a.positions = torch::tensor(pos, torch::kInt64).view({B, 1}).to(dev);
    a.cache = &cache_;
    a.kv_len = kv_len;
    auto hidden = m_.decoder->hidden(a);                                // [B, 1, H]
    auto logits = m_.decoder->logits(hidden).select(1, 0);              // [B, V]
    auto next = sample_tokens(logits, torch::tensor(uni, torch::kFloat64), cfg_.sampling).to(torch::kCPU);  // [B]
    auto acc = next.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b) {
      Row& r = rows_[b];
      if (!r.active) continue;
      if (!accept(r, acc[b])) r.position += 1;
    }
  }

  ModelState& m_;
  const std::vector<UntilItem>& items_;
  const UntilConfig& cfg_;
  const TokenBytes& bytes_;
  std::deque<Job> pending_;
  std::vector<Row> rows_;
  std::vector<UntilCompletion> out_;
  KvCache cache_;
};

}  // namespace

std::vector<UntilCompletion> generate_until(ModelState& model, const std::vector<UntilItem>& items, const UntilConfig& cfg,
                                            const TokenBytes& bytes) {
  check_arg(cfg.repeats >= 1, "repeats must be >= 1");
  check_arg(cfg.batch_size >= 1, "batchSize must be >= 1");
  for (const auto& it : items) {
    check_arg(!it.context.empty(), "every context must hold at least one token");
    check_arg(it.max_gen_toks >= 1, "max_gen_toks must be >= 1");
    check_arg(static_cast<int64_t>(it.context.size()) + it.max_gen_toks - 1 <= model.arch.max_position_embeddings,
              "context (" + std::to_string(it.context.size()) + " tokens) + max_gen_toks (" + std::to_string(it.max_gen_toks) +
                  ") exceeds max_position_embeddings " + std::to_string(model.arch.max_position_embeddings));
    for (auto id : it.context)
      check_arg(id >= 0 && id < model.arch.vocab_size, "context token id " + std::to_string(id) + " is outside the vocabulary");
  }
  if (items.empty()) return {};
  UntilRun run(model, items, cfg, bytes);
  return run.run();
}

}  // namespace resurface
