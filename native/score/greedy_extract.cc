// Verbatim extraction (Pythia memorization protocol): prompts of equal length P, no BOS added;
// prefill [B, P] into a static KV cache, then argmax-decode `suffixLen` tokens one step at a time.
// Returns the generated ids [N, suffixLen]; the TypeScript side compares them with the truth.
#include "bindings/js_convert.h"
#include "common/async_task.h"
#include "model/model_state.h"
#include "score/ragged.h"
#include "score/score_api.h"

namespace resurface {

namespace {

std::vector<int32_t> extract(ModelState& st, const std::vector<int64_t>& prompts, int64_t N, int64_t P, int64_t S, int64_t batch) {
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

}  // namespace

Napi::Value GreedyExtract(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    auto prompts = std::make_shared<std::vector<int64_t>>(int32_vector(info[1], "prompts"));
    const int64_t N = info[2].As<Napi::Number>().Int64Value();
    const int64_t P = info[3].As<Napi::Number>().Int64Value();
    const int64_t S = info[4].As<Napi::Number>().Int64Value();
    check_arg(N >= 1 && P >= 1 && S >= 1, "N, prefix length and suffix length must be >= 1");
    check_arg(static_cast<int64_t>(prompts->size()) == N * P, "prompts must hold N * prefixLen ids");
    check_arg(P + S - 1 <= state->arch.max_position_embeddings, "prefix + suffix exceeds max_position_embeddings");
    for (auto id : *prompts)
      check_arg(id >= 0 && id < state->arch.vocab_size, "prompt token id " + std::to_string(id) + " is outside the vocabulary");
    const int64_t batch = batch_size_from_js(info[5], 32);
    return run_async<std::vector<int32_t>>(
        env,
        [state, prompts, N, P, S, batch]() {
          std::lock_guard<std::mutex> lock(state->mu);
          if (state->disposed) fail("ERR_DISPOSED", "the model was disposed");
          use_threads(state->threads);
          torch::InferenceMode guard;
          return extract(*state, *prompts, N, P, S, batch);
        },
        [](Napi::Env env, std::vector<int32_t>& v) -> Napi::Value {
          auto a = Napi::Int32Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        });
  });
}

}  // namespace resurface
