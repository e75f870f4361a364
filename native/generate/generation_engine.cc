#include "generate/generation_engine.h"

#include <algorithm>

#include "common/errors.h"
#include "generate/counter_rng.h"
#include "generate/min_length.h"
#include "generate/token_logprobs.h"

namespace resurface {

GenerationEngine::GenerationEngine(ModelHandle model, GenerationConfig config, std::vector<int64_t> sample_ids)
    : model_(std::move(model)), cfg_(std::move(config)), pending_(sample_ids.begin(), sample_ids.end()) {
  const auto& arch = model_->arch;
  context_ = cfg_.context.empty() ? std::vector<int64_t>{cfg_.start_token} : cfg_.context;
  const int64_t C = static_cast<int64_t>(context_.size());
  check_arg(cfg_.max_new_tokens >= 1, "max_new_tokens must be >= 1");
  check_arg(cfg_.min_new_tokens >= 0 && cfg_.min_new_tokens <= cfg_.max_new_tokens,
            "min_new_tokens " + std::to_string(cfg_.min_new_tokens) + " must be in [0, max_new_tokens " +
                std::to_string(cfg_.max_new_tokens) + "]");
  // Positions 0 .. C-1 hold the context; generated tokens but the last are fed at C .. C+max-2.
  const int64_t max_len = C - 1 + cfg_.max_new_tokens;
  check_arg(max_len <= arch.max_position_embeddings,
            "context (" + std::to_string(C) + " tokens) + max_new_tokens " + std::to_string(cfg_.max_new_tokens) +
                " exceeds the model's max_position_embeddings " + std::to_string(arch.max_position_embeddings));
  for (const int64_t t : context_) check_arg(t >= 0 && t < arch.vocab_size, "start token outside the vocabulary");
  // The batch size is the caller's, even when fewer samples are pending (idle rows): float32 GEMM
  // kernels depend on the batch size, so a resumed run or one part of a data-parallel run must use
  // the same one as a single uninterrupted run to reproduce it bit for bit. Callers clamp it to the
  // run's sample count.
  const int64_t B = std::max<int64_t>(1, cfg_.batch_size);
  rows_.resize(B);
  cache_ = KvCache(arch, B, max_len, model_->dtype, model_->device);
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
  row.next_token = context_[0];
  row.tokens.reserve(cfg_.max_new_tokens);
  if (cfg_.logprobs) row.logprobs.reserve(cfg_.max_new_tokens + 1);
  ++active_;
}

void GenerationEngine::step(std::vector<FinishedSample>& out) {
  const int64_t B = static_cast<int64_t>(rows_.size());
  const int64_t last_context = static_cast<int64_t>(context_.size()) - 1;  // position whose output is token 0
  std::vector<int64_t> ids(B), pos(B);
  std::vector<double> uniforms(B);
  std::vector<bool> blocked(B, false);
  int64_t kv_len = 1;
  for (int64_t b = 0; b < B; ++b) {
    const Row& r = rows_[b];
    const bool sampling = r.active && r.position >= last_context;
    ids[b] = r.active ? r.next_token : context_[0];  // idle rows recompute position 0, harmlessly
    pos[b] = r.active ? r.position : 0;
    // the uniform for generated token number t depends only on (seed, sample, t)
    const int64_t t = r.position - last_context;
    uniforms[b] = sampling ? Philox4x32::uniform(cfg_.seed, static_cast<uint64_t>(r.sample), static_cast<uint64_t>(t)) : 0.0;
    blocked[b] = sampling && static_cast<int64_t>(r.tokens.size()) < cfg_.min_new_tokens;
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
  torch::Tensor normalizer;
  if (cfg_.logprobs) normalizer = log_normalizer(logits);           // [B], of the raw (unmasked) logits
  mask_stop_tokens_(logits, blocked, cfg_.eos_ids);                 // stop tokens -inf in blocked rows
  auto next = sample_tokens(logits, torch::tensor(uniforms, torch::kFloat64), cfg_.sampling);  // [B]
  torch::Tensor lp;
  if (cfg_.logprobs) lp = token_logprobs(logits, next, normalizer); // [B] float32, untempered
  next = next.to(torch::kCPU);
  auto next_acc = next.accessor<int64_t, 1>();
  const float* lp_data = cfg_.logprobs ? lp.data_ptr<float>() : nullptr;

  for (int64_t b = 0; b < B; ++b) {
    Row& r = rows_[b];
    if (!r.active) continue;
    if (r.position < last_context) {  // still reading the context: its next token is given
      r.position += 1;
      r.next_token = context_[r.position];
      continue;
    }
    const int64_t tok = next_acc[b];
    ++tokens_generated_;
    if (cfg_.logprobs) r.logprobs.push_back(lp_data[b]);
    const bool is_eos = std::find(cfg_.eos_ids.begin(), cfg_.eos_ids.end(), tok) != cfg_.eos_ids.end();
    if (!is_eos) r.tokens.push_back(static_cast<int32_t>(tok));
    const bool full = static_cast<int64_t>(r.tokens.size()) >= cfg_.max_new_tokens;
    if (is_eos || full) {
      out.push_back(FinishedSample{r.sample, std::move(r.tokens), is_eos, std::move(r.logprobs)});
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
