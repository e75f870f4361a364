// Activation (gradient) checkpointing for one transformer block: the forward pass keeps only the
// block's input; backward recomputes the block with autograd on and differentiates it. Memory per
// layer drops from all intermediate activations ([B, T, 4H]-sized MLP and [B, nh, T, T] attention
// probabilities) to one [B, T, H] input, at the cost of one extra forward per layer.
#pragma once

#include <torch/torch.h>

#include "model/decoder.h"

namespace resurface {

// Matches CheckpointLayerFn (model/decoder.h). x: [B, T, H] -> [B, T, H].
torch::Tensor checkpoint_layer(Decoder& dec, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                               const torch::Tensor& mask);

}  // namespace resurface
