#include "bindings/native_scoring.h"

#include <algorithm>
#include <memory>

#include "bindings/async_task.h"
#include "bindings/js_convert.h"
#include "bindings/native_model.h"
#include "bindings/with_model.h"
#include "score/scoring.h"

namespace resurface {

namespace {

template <typename TypedArray, typename T>
Napi::Value copy_to_js(Napi::Env env, const std::vector<T>& v) {
  auto a = TypedArray::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

}  // namespace

Napi::Value ScoreContinuations(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    const int64_t V = state->arch.vocab_size;
    auto q = std::make_shared<ContinuationRequest>();
    q->ctx = ragged_from_js(info[1], info[2], "contexts", V, 1);
    q->cont = ragged_from_js(info[3], info[4], "continuations", V, 1);
    q->group_start = int32_vector(info[5], "groupStart");
    const int64_t G = q->ctx.size(), R = q->cont.size();
    check_arg(static_cast<int64_t>(q->group_start.size()) == G + 1 && q->group_start[0] == 0 && q->group_start[G] == R,
              "groupStart must have one entry per context plus one, from 0 to the number of continuations");
    for (int64_t g = 0; g < G; ++g) {
      check_arg(q->group_start[g + 1] > q->group_start[g], "every context needs at least one continuation");
      for (int64_t r = q->group_start[g]; r < q->group_start[g + 1]; ++r)
        check_arg(q->ctx.len(g) + q->cont.len(r) - 1 <= state->arch.max_position_embeddings,
                  "request " + std::to_string(r) + " is longer than max_position_embeddings; truncate it first");
    }
    q->batch_size = batch_size_from_js(info[6], 16);
    if (info[6].IsObject()) {
      auto s = info[6].As<Napi::Object>().Get("shareContext");
      if (s.IsBoolean()) q->share = s.As<Napi::Boolean>().Value();
    }
    return run_async<ContinuationScores>(
        env,
        [state, q]() {
          return with_model(state, [&] {
            torch::InferenceMode guard;
            return score_continuations(*state, *q);
          });
        },
        [](Napi::Env env, ContinuationScores& r) -> Napi::Value {
          auto o = Napi::Object::New(env);
          o.Set("logprobs", copy_to_js<Napi::Float64Array>(env, r.logprob));
          o.Set("greedy", copy_to_js<Napi::Uint8Array>(env, r.greedy));
          return o;
        });
  });
}

Napi::Value TokenLogprobs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    auto windows = std::make_shared<Ragged>(ragged_from_js(info[1], info[2], "windows", state->arch.vocab_size, 2));
    auto from = std::make_shared<std::vector<int64_t>>(int32_vector(info[3], "scoreFrom"));
    const int64_t N = windows->size();
    check_arg(static_cast<int64_t>(from->size()) == N, "scoreFrom needs one entry per window");
    for (int64_t i = 0; i < N; ++i) {
      check_arg((*from)[i] >= 1 && (*from)[i] < windows->len(i), "scoreFrom of window " + std::to_string(i) + " must be in [1, length)");
      check_arg(windows->len(i) - 1 <= state->arch.max_position_embeddings,
                "window " + std::to_string(i) + " exceeds max_position_embeddings");
    }
    const int64_t batch = batch_size_from_js(info[4], 8);
    return run_async<std::vector<float>>(
        env,
        [state, windows, from, batch]() {
          return with_model(state, [&] {
            torch::InferenceMode guard;
            return window_logprobs(*state, *windows, *from, batch);
          });
        },
        [](Napi::Env env, std::vector<float>& v) { return copy_to_js<Napi::Float32Array>(env, v); });
  });
}

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
          return with_model(state, [&] {
            torch::InferenceMode guard;
            return greedy_extract(*state, *prompts, N, P, S, batch);
          });
        },
        [](Napi::Env env, std::vector<int32_t>& v) { return copy_to_js<Napi::Int32Array>(env, v); });
  });
}

Napi::Value Embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    auto seqs = std::make_shared<Ragged>(ragged_from_js(info[1], info[2], "sequences", state->arch.vocab_size, 1));
    for (int64_t i = 0; i < seqs->size(); ++i)
      check_arg(seqs->len(i) <= state->arch.max_position_embeddings, "sequence " + std::to_string(i) + " exceeds max_position_embeddings");
    const int64_t batch = batch_size_from_js(info[3], 16);
    return run_async<std::vector<float>>(
        env,
        [state, seqs, batch]() {
          return with_model(state, [&] {
            torch::InferenceMode guard;
            return mean_embeddings(*state, *seqs, batch);
          });
        },
        [](Napi::Env env, std::vector<float>& v) { return copy_to_js<Napi::Float32Array>(env, v); });
  });
}

}  // namespace resurface
