// Next-token cross-entropy through the vocabulary head without materialising the [N, V] logits.
//
// The plain way (logits = h W^T, log_softmax, nll, and their backward) allocates four fresh [N, V]
// float32 tensors a step: 412 MB each for Pythia-70m at 8 x 256 tokens. On CPU their page faults
// alone cost as much as the head's matmuls. Here the rows are processed in chunks through one
// reusable [C, V] buffer, and the gradients with respect to h and W are computed in the forward
// pass (the loss is linear in its upstream gradient), as in fused linear cross-entropy kernels.
// Same GEMMs as autograd would run (h W^T, g W, g^T h); numerics differ only in summation order.
#pragma once

#include <torch/torch.h>

namespace resurface {

// hidden  [N, H]  final-normed hidden states (requires grad)
// weight  [V, H]  vocabulary head (requires grad; may be the tied embedding)
// targets [N]     int64 next-token ids, -100 = no target
// chunk_rows      rows per chunk C; 0 = about 128 MB of float32 logits (at least 64 rows)
// scratch         a tensor the function may resize and reuse across calls (one [C, V] chunk)
// Returns sum over targeted rows of -log softmax(h W^T)[target], divided by `normalizer`, as a
// float32 scalar whose backward yields d/dhidden and d/dweight.
torch::Tensor head_cross_entropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets, double normalizer,
                                 int64_t chunk_rows, torch::Tensor& scratch);

}  // namespace resurface
