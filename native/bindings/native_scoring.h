// N-API entry points of the scoring kernels (score/scoring.h): evaluation, perplexity, extraction,
// embeddings. Each copies and validates its arguments on the JS thread, then runs the kernel on the
// libuv pool with the model locked (with_model) and resolves a Promise.
#pragma once

#include <napi.h>

namespace resurface {

// scoreContinuations(model, ctxIds, ctxOffsets[G+1], contIds, contOffsets[R+1], groupStart[G+1], {batchSize, shareContext})
//   -> Promise<{logprobs: Float64Array[R], greedy: Uint8Array[R]}>
Napi::Value ScoreContinuations(const Napi::CallbackInfo& info);

// tokenLogprobs(model, ids, offsets[N+1], scoreFrom: Int32Array[N], {batchSize})
//   -> Promise<Float32Array[sum_i (len_i - scoreFrom_i)]>
Napi::Value TokenLogprobs(const Napi::CallbackInfo& info);

// greedyExtract(model, prompts: Int32Array[N*P], N, P, suffixLen, {batchSize}) -> Promise<Int32Array[N*suffixLen]>
Napi::Value GreedyExtract(const Napi::CallbackInfo& info);

// embed(model, ids, offsets[N+1], {batchSize}) -> Promise<Float32Array[N*H]>
Napi::Value Embed(const Napi::CallbackInfo& info);

}  // namespace resurface
