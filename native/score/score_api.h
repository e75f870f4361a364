// N-API entry points of the scoring kernels (evaluation, perplexity, extraction, embeddings).
// Each lives in its own file; all return Promises and run on the libuv pool (run_async).
#pragma once

#include <napi.h>

namespace resurface {

// scoreContinuations(model, ctxIds, ctxOffsets[G+1], contIds, contOffsets[R+1], groupStart[G+1], {batchSize, shareContext})
//   -> Promise<{logprobs: Float64Array[R], greedy: Uint8Array[R]}>            (score_continuations.cc)
Napi::Value ScoreContinuations(const Napi::CallbackInfo& info);

// tokenLogprobs(model, ids, offsets[N+1], scoreFrom: Int32Array[N], {batchSize})
//   -> Promise<Float32Array[sum_i (len_i - scoreFrom_i)]>                       (token_logprobs.cc)
Napi::Value TokenLogprobs(const Napi::CallbackInfo& info);

// greedyExtract(model, prompts: Int32Array[N*P], N, P, suffixLen, {batchSize})
//   -> Promise<Int32Array[N*suffixLen]>                                          (greedy_extract.cc)
Napi::Value GreedyExtract(const Napi::CallbackInfo& info);

// embed(model, ids, offsets[N+1], {batchSize}) -> Promise<Float32Array[N*H]>     (embed.cc)
Napi::Value Embed(const Napi::CallbackInfo& info);

}  // namespace resurface
