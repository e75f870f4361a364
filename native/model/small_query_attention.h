// Attention for a few query rows per sequence against a KV cache (decoding, scoring continuations),
// on CPU, float32 or bfloat16 (bfloat16 inputs, float32 arithmetic). libtorch 1.13 runs the batched
// matmuls of that case as one tiny BLAS call per (sequence, head) in a serial loop: at batch 32 that
// was ~60% of a decoding step's layer time (float32; in bfloat16 each call also converts).
// This kernel walks (sequence, head, query row) in parallel and reads each cached key/value once.
#pragma once

#include <torch/torch.h>

namespace resurface {

// Whether small_query_attention_cpu serves this call: CPU float32 or bfloat16 (q and keys alike), no
// autograd, at most kMaxSmallQueryRows query rows per KV head.
constexpr int64_t kMaxSmallQueryRows = 64;
bool small_query_attention_applies(const torch::Tensor& q, const torch::Tensor& keys);

// q      [B, nkv, R, hd]  query rows of each KV head; row r is query token r % T (GQA groups outer)
// keys   [B, nkv, S, hd]  any strides with a contiguous last dimension (a slice of the cache)
// values [B, nkv, S, hd]  likewise
// mask   [B, 1, 1, T, S]  additive float32: 0 where a query may see a key, -inf elsewhere
// returns softmax(q k^T * scale + mask) v as [B, nkv, R, hd] in q's dtype (computed in float32); a query
// that sees no key gets zeros.
torch::Tensor small_query_attention_cpu(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                                        const torch::Tensor& mask, double scale);

}  // namespace resurface
