#include "model/weights.h"

#include <memory>

#include "common/errors.h"
#include "io/mapped_file.h"

namespace resurface {

torch::ScalarType dtype_from_safetensors(const std::string& dtype) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "F64") return torch::kFloat64;
  fail("ERR_SAFETENSORS_DTYPE", "weights must be F32, F16, BF16 or F64, got " + dtype);
}

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// View of one HF tensor inside the mapped file, converted to float32 on CPU (a fresh copy).
torch::Tensor read_source(const SourceTensor& src, const MappedFile& file) {
  const auto st = dtype_from_safetensors(src.dtype);
  int64_t numel = 1;
  for (auto d : src.shape) numel *= d;
  const int64_t nbytes = numel * static_cast<int64_t>(c10::elementSize(st));
  if (src.begin < 0 || src.end < src.begin || src.end - src.begin != nbytes || static_cast<size_t>(src.end) > file.size())
    fail("ERR_SAFETENSORS_RANGE", "tensor " + src.name + " has an invalid byte range in " + file.path());
  auto view = torch::from_blob(const_cast<uint8_t*>(file.data() + src.begin), src.shape,
                               torch::TensorOptions().dtype(st));
  return view.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
}

// [nh*3*hd, ...] laid out per head as [nh, 3, hd, ...] -> q|k|v blocks [3*nh*hd, ...]
torch::Tensor neox_to_blocks(const torch::Tensor& t, int64_t nh) {
  auto rest = t.sizes().slice(1).vec();
  std::vector<int64_t> v{nh, 3, t.size(0) / (3 * nh)};
  v.insert(v.end(), rest.begin(), rest.end());
  auto blocks = t.reshape(v).transpose(0, 1).contiguous();  // [3, nh, hd, ...]
  std::vector<int64_t> out{t.size(0)};
  out.insert(out.end(), rest.begin(), rest.end());
  return blocks.reshape(out);
}

torch::Tensor blocks_to_neox(const torch::Tensor& t, int64_t nh) {
  auto rest = t.sizes().slice(1).vec();
  std::vector<int64_t> v{3, nh, t.size(0) / (3 * nh)};
  v.insert(v.end(), rest.begin(), rest.end());
  auto per_head = t.reshape(v).transpose(0, 1).contiguous();  // [nh, 3, hd, ...]
  std::vector<int64_t> out{t.size(0)};
  out.insert(out.end(), rest.begin(), rest.end());
  return per_head.reshape(out);
}

// Storage layout of a linear weight [out, in]. On CPU it is kept column-major (a transposed view of
// a contiguous [in, out] tensor): libtorch then hands OpenBLAS x @ W as a plain "nn" GEMM, whose
// packing is cheaper than that of the "tn" GEMM a row-major weight gives. Measured on the 2-core
// EPYC (Pythia-70m shapes, OpenBLAS 0.3.21): 1.3x faster at 32 rows (batched decoding), 1.4x for
// gemv on the vocabulary head, equal at 1024+ rows (training). The logical shape, the values, the
// export and the optimizer state are unchanged; only strides differ. float32 only: libtorch 1.13's
// CPU bfloat16 GEMM accumulates in bfloat16 for that orientation (logits drifted past the bf16
// parity tolerance), but in float for the row-major one. On CUDA, cuBLAS does not care.
torch::Tensor in_compute_layout(const torch::Tensor& value, const WeightSlot& slot, const torch::Device& device) {
  if (device.is_cpu() && value.scalar_type() == torch::kFloat32 && slot.kind == "linear_weight" && value.dim() == 2)
    return value.t().contiguous().t();
  return value.contiguous();
}

}  // namespace

std::vector<torch::Tensor> load_weights(const LoadPlan& plan, torch::ScalarType dtype, const torch::Device& device) {
  std::vector<std::unique_ptr<MappedFile>> files;
  for (const auto& path : plan.files) files.push_back(std::make_unique<MappedFile>(path));

  std::vector<torch::Tensor> out;
  out.reserve(plan.slots.size());
  for (const auto& slot : plan.slots) {
    std::vector<torch::Tensor> parts;
    for (const auto& src : slot.sources) {
      if (src.file < 0 || static_cast<size_t>(src.file) >= files.size())
        fail("ERR_INVALID_ARGUMENT", "bad file index for tensor " + src.name);
      auto t = read_source(src, *files[src.file]);
      if (plan.check_finite && !torch::isfinite(t).all().item<bool>())
        fail("ERR_NONFINITE_WEIGHTS", "tensor " + src.name + " contains NaN or Inf values");
      parts.push_back(std::move(t));
    }
    torch::Tensor value;
    if (slot.op == "copy") {
      check_arg(parts.size() == 1, "slot " + slot.name + ": copy needs one source");
      value = parts[0];
    } else if (slot.op == "concat0") {
      value = torch::cat(parts, 0);
    } else if (slot.op == "neox_qkv") {
      check_arg(parts.size() == 1 && plan.neox_heads > 0, "slot " + slot.name + ": neox_qkv needs one source");
      value = neox_to_blocks(parts[0], plan.neox_heads);
    } else {
      fail("ERR_INVALID_ARGUMENT", "unknown weight op " + slot.op);
    }
    if (value.sizes().vec() != slot.shape)
      fail("ERR_TENSOR_SHAPE", "parameter " + slot.name + " has shape " + shape_str(value.sizes().vec()) +
                                   ", expected " + shape_str(slot.shape));
    out.push_back(in_compute_layout(value.to(device, dtype), slot, device));
  }
  return out;
}

std::vector<torch::Tensor> export_slot(const WeightSlot& slot, const torch::Tensor& value, int64_t neox_heads) {
  auto v = value.detach().to(torch::kCPU).contiguous();
  if (slot.op == "copy") return {v};
  if (slot.op == "neox_qkv") return {blocks_to_neox(v, neox_heads)};
  // concat0: split by the sources' leading dims
  std::vector<int64_t> sizes;
  for (const auto& s : slot.sources) sizes.push_back(s.shape.at(0));
  std::vector<torch::Tensor> parts;
  for (auto& p : v.split_with_sizes(sizes, 0)) parts.push_back(p.contiguous());
  return parts;
}

}  // namespace resurface
