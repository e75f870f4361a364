// Assembling internal parameters from Hugging Face tensors and back (see lib/model/architectures.ts
// for the plan: which HF tensors make each internal slot, and how).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace resurface {

struct SourceTensor {
  int file = 0;            // index into the plan's file list
  std::string name;        // HF name (for messages and export)
  std::string dtype;       // safetensors dtype: F32 | F16 | BF16
  std::vector<int64_t> shape;
  int64_t begin = 0, end = 0;  // absolute byte range in the file
};

struct WeightSlot {
  std::string name;  // internal name, e.g. layers.3.qkv.weight
  std::vector<int64_t> shape;
  std::string op;    // copy | concat0 | neox_qkv
  std::string kind;  // embedding | linear_weight | bias | norm_weight | norm_bias
  std::vector<SourceTensor> sources;
};

struct LoadPlan {
  std::vector<std::string> files;
  std::vector<WeightSlot> slots;
  int64_t neox_heads = 0;  // for neox_qkv
  bool check_finite = true;
};

// Loads every slot, converted to dtype on device. Returns tensors in slot order.
std::vector<torch::Tensor> load_weights(const LoadPlan& plan, torch::ScalarType dtype, const torch::Device& device);

// Inverse of the slot op: split an internal tensor into its HF source tensors (CPU, contiguous).
std::vector<torch::Tensor> export_slot(const WeightSlot& slot, const torch::Tensor& value, int64_t neox_heads);

torch::ScalarType dtype_from_safetensors(const std::string& dtype);

}  // namespace resurface
