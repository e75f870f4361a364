// Verbatim extraction (Pythia memorization protocol): prompts of equal length P, no BOS added;
// prefill [B, P] into a static KV cache, then argmax-decode `suffixLen` tokens one step at a time.
// Returns the generated ids [N, suffixLen]; the TypeScript side compares them with the truth.
#include <algorithm>

#include "score/scoring.h"

namespace resurface {

std::vector<int32_t> greedy_extract(ModelState& st, const std::vector<int64_t>& prompts, int64_t N, int64_t P, int64_t S, int64_t batch) {
  auto& dec = *st.decoder;
  const auto iopt = torch::TensorOptions().dtype(torch::kInt64).device(st.device);
  std::vector<int32_t> out(static_cast<size_t>(N * S));
  const int64_t cap = P + S - 1;  // the last generated token is never fed back
  for (int64_t i = 0; i < N; i += batch) {
    const int64_t B = std::min(batch, N - i);
    KvCache cache(st.arch, B, cap, st.dtype, st.device);
    auto ids = torch::from_blob(const_cast<int64_t*>(prompts.data() + i * P), {B, P}, torch::kInt64).clone().to(st.device);
    ForwardArgs a;
    a.ids = ids;
    a.positions = torch::arange(P, iopt).unsqueeze(0).expand({B, P}).contiguous();
    a.cache = &cache;
    a.kv_len = P;
    auto h = dec.hidden(a);  // [B, P, H]
    auto tok = dec.logits(h.select(1, P - 1)).to(torch::kFloat32).argmax(-1);  // [B]
    std::vector<torch::Tensor> steps{tok};
    for (int64_t s = 1; s < S; ++s) {
      ForwardArgs d;
      d.ids = tok.unsqueeze(1);                                         // [B, 1]
      d.positions = torch::full({B, 1}, P + s - 1, iopt);               // [B, 1]
      d.cache = &cache;
      d.kv_len = P + s;
      auto hs = dec.hidden(d);                                          // [B, 1, H]
      tok = dec.logits(hs.select(1, 0)).to(torch::kFloat32).argmax(-1);  // [B]
      steps.push_back(tok);
    }
    auto gen = torch::stack(steps, 1).to(torch::kCPU, torch::kInt32).contiguous();  // [B, S]
    std::copy(gen.data_ptr<int32_t>(), gen.data_ptr<int32_t>() + B * S, out.data() + i * S);
  }
  return out;
}

}  // namespace resurface
