// Per-token log-probabilities of windows for perplexity: row i is a window of tokens; targets
// row[scoreFrom_i ..] are scored (each given everything before it in the window), the tokens before
// scoreFrom_i are context only — the overlap of strided windows. Output: the scored tokens'
// log-probs concatenated in row order, float32 (sum them in float64).
#include "bindings/js_convert.h"
#include "common/async_task.h"
#include "model/model_state.h"
#include "score/ragged.h"
#include "score/score_api.h"
#include "score/target_scores.h"

namespace resurface {

Napi::Value TokenLogprobs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    auto windows = ragged_from_js(info[1], info[2], "windows", state->arch.vocab_size, 2);
    auto from = int32_vector(info[3], "scoreFrom");
    const int64_t N = windows.size();
    check_arg(static_cast<int64_t>(from.size()) == N, "scoreFrom needs one entry per window");
    auto rows = std::make_shared<std::vector<std::vector<int64_t>>>(N);
    auto cont = std::make_shared<std::vector<int64_t>>(N);
    for (int64_t i = 0; i < N; ++i) {
      check_arg(from[i] >= 1 && from[i] < windows.len(i), "scoreFrom of window " + std::to_string(i) + " must be in [1, length)");
      check_arg(windows.len(i) - 1 <= state->arch.max_position_embeddings, "window " + std::to_string(i) + " exceeds max_position_embeddings");
      (*rows)[i].assign(windows.row(i), windows.row(i) + windows.len(i));
      (*cont)[i] = windows.len(i) - from[i];
    }
    const int64_t batch = batch_size_from_js(info[4], 8);
    return run_async<std::vector<float>>(
        env,
        [state, rows, cont, batch]() {
          std::lock_guard<std::mutex> lock(state->mu);
          if (state->disposed) fail("ERR_DISPOSED", "the model was disposed");
          use_threads(state->threads);
          torch::InferenceMode guard;
          return score_flat(*state, *rows, *cont, batch, true).tokens;
        },
        [](Napi::Env env, std::vector<float>& v) -> Napi::Value {
          auto a = Napi::Float32Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        });
  });
}

}  // namespace resurface
