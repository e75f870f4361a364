#include "generate/generation_engine.h"

#include <algorithm>

#include "common/errors.h"
#include "generate/counter_rng.h"

namespace resurface {

GenerationEngine::GenerationEngine(ModelHandle model, GenerationConfig config, std::vector<int64_t> sample_ids)
    : model_(std::move(model)), cfg_(std::move(config)), pending_(sample_ids.begin(), sample_ids.end()) {
  const auto& arch = model_->arch;
  check_arg(cfg_.max_new_tokens >= 1, "max_new_tokens must be >= 1");
  check_arg(cfg_.max_new_tokens <= arch.max_position_embeddings,
            "max_new_tokens " + std::to_string(cfg_.max_new_tokens) + " exceeds the model's max_position_embeddings " +
                std::to_string(arch.max_position_embeddings));
  check_arg(cfg_.start_token >= 0 && cfg_.start_token < arch.vocab_size, "start token outside the vocabulary");
  const int64_t B = std::max<int64_t>(1, std::min<int64_t>(cfg_.batch_size, static_cast<int64_t>(pending_.size())));
  rows_.resize(B);
  // Positions 0 .. max_new_tokens-1 are fed (the start token, then each generated token but the last).
  cache_ = KvCache(arch, B, cfg_.max_new_tokens, model_->dtype, model_->device);
  for (auto& row : rows_) refill(row);
}

void GenerationEngine::refill(Row& row) {
  if (row.active) --active_;
  row = Row{};
  if (pending_.empty()) return;
  row.active = true;
  row.sample = pending_.front();
  pending_.pop_front();
  row.position = 0;
  row.next_token = cfg_.start_token;
  row.tokens.reserve(cfg_.max_new_tokens);
  ++active_;
}

void GenerationEngine::step(std::vector<FinishedSample>& out) {
  const int64_t B = static_cast<int64_t>(rows_.size());
  std::vector<int64_t> ids(B), pos(B);
  std::vector<double> uniforms(B);
  int64_t kv_len = 1;
  for (int64_t b = 0; b < B; ++b) {
    const Row& r = rows_[b];
    ids[b] = r.active ? r.next_token : cfg_.start_token;  // idle rows recompute position 0, harmlessly
    pos[b] = r.active ? r.position : 0;
    // the uniform for this sample's token number `position` depends only on (seed, sample, step)
    uniforms[b] = r.active ? Philox4x32::uniform(cfg_.seed, static_cast<uint64_t>(r.sample), static_cast<uint64_t>(r.position)) : 0.0;
    kv_len = std::max(kv_len, pos[b] + 1);
  }
  const auto dev = model_->device;
  ForwardArgs args;
  args.ids = torch::tensor(ids, torch::kInt64).view({B, 1}).to(dev);
  args.positions = torch::tensor(pos, torch::kInt64).view({B, 1}).to(dev);
  args.cache = &cache_;
  args.kv_len = kv_len;
  auto hidden = model_->decoder->hidden(args);                     // [B, 1, H]
  auto logits = model_->decoder->logits(hidden).select(1, 0);       // [B, V]
  auto next = sample_tokens(logits, torch::tensor(uniforms, torch::kFloat64), cfg_.sampling).to(torch::kCPU);  // [B]
  auto next_acc = next.accessor<int64_t, 1>();

  for (int64_t b = 0; b < B; ++b) {
    Row& r = rows_[b];
    if (!r.active) continue;
    const int64_t tok = next_acc[b];
    ++tokens_generated_;
    const bool is_eos = std::find(cfg_.eos_ids.begin(), cfg_.eos_ids.end(), tok) != cfg_.eos_ids.end();
    if (!is_eos) r.tokens.push_back(static_cast<int32_t>(tok));
    const bool full = static_cast<int64_t>(r.tokens.size()) >= cfg_.max_new_tokens;
    if (is_eos || full) {
      out.push_back(FinishedSample{r.sample, std::move(r.tokens), is_eos});
      refill(r);
    } else {
      r.next_token = tok;
      r.position += 1;
    }
  }
}

std::vector<FinishedSample> GenerationEngine::run(int64_t max_steps, int64_t min_finished) {
  std::vector<FinishedSample> out;
  torch::InferenceMode guard;
  for (int64_t s = 0; s < max_steps && !done(); ++s) {
    step(out);
    if (min_finished > 0 && static_cast<int64_t>(out.size()) >= min_finished) break;
  }
  return out;
}

}  // namespace resurface
