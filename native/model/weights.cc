#include "model/weights.h"

#include <algorithm>
#include <cstring>
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

// Checked view of one HF tensor where it lies in the mapped file (no copy; source dtype).
torch::Tensor source_view(const SourceTensor& src, const MappedFile& file) {
  const auto st = dtype_from_safetensors(src.dtype);
  int64_t numel = 1;
  for (auto d : src.shape) numel *= d;
  const int64_t nbytes = numel * static_cast<int64_t>(c10::elementSize(st));
  if (src.begin < 0 || src.end < src.begin || src.end - src.begin != nbytes || static_cast<size_t>(src.end) > file.size())
    fail("ERR_SAFETENSORS_RANGE", "tensor " + src.name + " has an invalid byte range in " + file.path());
  return torch::from_blob(const_cast<uint8_t*>(file.data() + src.begin), src.shape, torch::TensorOptions().dtype(st));
}

// About this many source bytes are converted at a time, so the mapped pages read (and dropped right
// after) never add more than one chunk to the resident set, however large the tensor.
constexpr int64_t kChunkBytes = int64_t{2} << 20;

// Whether every value of n elements of a float dtype, as stored, is finite (exponent not all ones).
// Read from the source bits, so the check allocates nothing (torch::isfinite made several chunk-sized
// temporaries per chunk, which the block cache then kept until the end of loading).
bool stored_values_finite(const uint8_t* p, int64_t n, torch::ScalarType st) {
  auto scan = [&](auto zero, auto mask) {
    using Bits = decltype(zero);
    for (int64_t i = 0; i < n; ++i) {
      Bits b;
      std::memcpy(&b, p + i * sizeof(Bits), sizeof(Bits));
      if ((b & mask) == mask) return false;
    }
    return true;
  };
  switch (st) {
    case torch::kFloat32: return scan(uint32_t{0}, uint32_t{0x7f800000u});
    case torch::kBFloat16: return scan(uint16_t{0}, uint16_t{0x7f80u});
    case torch::kFloat16: return scan(uint16_t{0}, uint16_t{0x7c00u});
    case torch::kFloat64: return scan(uint64_t{0}, uint64_t{0x7ff0000000000000ull});
    default: return true;
  }
}

// dst.copy_(src) in slices along dim 0 (src is a contiguous view into `file`, dst any view of the same
// shape in the final dtype and layout): each slice is checked for NaN/Inf, converted straight into the
// destination, then its source pages are dropped from this process (madvise on a read-only map).
void copy_in_chunks(torch::Tensor dst, const torch::Tensor& src, const MappedFile& file, const std::string& name, bool check_finite) {
  // The stored values are checked (as float32 was before: a narrowing conversion that overflows is
  // not an error), and for float64 sources also the converted ones, which may overflow to Inf.
  const bool narrowed = src.scalar_type() == torch::kFloat64 && dst.scalar_type() != torch::kFloat64;
  auto check = [&](const torch::Tensor& s, const torch::Tensor& d) {
    if (!check_finite) return;
    if (!stored_values_finite(static_cast<const uint8_t*>(s.data_ptr()), s.numel(), s.scalar_type()) ||
        (narrowed && !torch::isfinite(d).all().item<bool>()))
      fail("ERR_NONFINITE_WEIGHTS", "tensor " + name + " contains NaN or Inf values");
  };
  if (src.numel() == 0) return;
  const auto* base = static_cast<const uint8_t*>(src.data_ptr());
  if (src.dim() == 0) {
    check(src, dst.copy_(src));
    file.release(base, src.nbytes());
    return;
  }
  const int64_t rows = src.size(0);
  const int64_t row_bytes = static_cast<int64_t>(src.nbytes()) / rows;
  const int64_t step = std::max<int64_t>(1, kChunkBytes / row_bytes);
  for (int64_t r = 0; r < rows; r += step) {
    const int64_t n = std::min(step, rows - r);
    auto s = src.narrow(0, r, n);
    auto d = dst.narrow(0, r, n);
    check(s, d.copy_(s));  // copy_ converts dtype and lays out strides in one pass
    file.release(base + r * row_bytes, static_cast<size_t>(n * row_bytes));
  }
}

// q|k|v blocks [3*nh*hd, ...] -> the checkpoint's per-head layout [nh, 3, hd, ...] (for export)
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

// The tensor a slot's value lives in: final dtype, CPU, final strides (see in_compute_layout).
torch::Tensor allocate_slot(const WeightSlot& slot, torch::ScalarType dtype, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(dtype);
  if (device.is_cpu() && dtype == torch::kFloat32 && slot.kind == "linear_weight" && slot.shape.size() == 2)
    return torch::empty({slot.shape[1], slot.shape[0]}, opts).t();  // [out, in], column-major
  return torch::empty(slot.shape, opts);
}

}  // namespace

// Each slot is assembled in one pass from the mapped bytes into its final tensor (dtype conversion,
// concatenation, the NeoX q|k|v reordering and the column-major layout all done by one copy_ per
// chunk), so loading holds the weights once plus a chunk, never a float32 staging copy. The result
// owns its memory: nothing refers to the files afterwards, so changing or deleting a checkpoint on
// disk cannot change a loaded model (while loading, the file must not be truncated: SIGBUS).
std::vector<torch::Tensor> load_weights(const LoadPlan& plan, torch::ScalarType dtype, const torch::Device& device) {
  std::vector<std::unique_ptr<MappedFile>> files;
  for (const auto& path : plan.files) files.push_back(std::make_unique<MappedFile>(path));

  std::vector<torch::Tensor> out;
  out.reserve(plan.slots.size());
  for (const auto& slot : plan.slots) {
    std::vector<torch::Tensor> views;
    for (const auto& src : slot.sources) {
      if (src.file < 0 || static_cast<size_t>(src.file) >= files.size())
        fail("ERR_INVALID_ARGUMENT", "bad file index for tensor " + src.name);
      views.push_back(source_view(src, *files[src.file]));
    }
    if (slot.op == "copy") {
      check_arg(views.size() == 1, "slot " + slot.name + ": copy needs one source");
    } else if (slot.op == "concat0") {
      check_arg(!views.empty(), "slot " + slot.name + ": concat0 needs sources");
    } else if (slot.op == "neox_qkv") {
      check_arg(views.size() == 1 && plan.neox_heads > 0, "slot " + slot.name + ": neox_qkv needs one source");
    } else {
      fail("ERR_INVALID_ARGUMENT", "unknown weight op " + slot.op);
    }
    // the value's shape, checked before anything is allocated or read
    std::vector<int64_t> shape = views[0].sizes().vec();
    if (slot.op == "concat0") {
      for (size_t i = 1; i < views.size(); ++i) {
        auto s = views[i].sizes().vec();
        if (s.empty() || shape.empty() || s.size() != shape.size() || !std::equal(s.begin() + 1, s.end(), shape.begin() + 1))
          fail("ERR_TENSOR_SHAPE",
               "parameter " + slot.name + ": sources " + shape_str(shape) + " and " + shape_str(s) + " cannot be concatenated");
        shape[0] += s[0];
      }
    }
    if (shape != slot.shape)
      fail("ERR_TENSOR_SHAPE", "parameter " + slot.name + " has shape " + shape_str(shape) + ", expected " + shape_str(slot.shape));
    if (slot.op == "neox_qkv" && (shape.empty() || shape[0] % (3 * plan.neox_heads) != 0))
      fail("ERR_TENSOR_SHAPE", "parameter " + slot.name + " has " + std::to_string(shape.empty() ? 0 : shape[0]) +
                                   " rows, not a multiple of 3 * " + std::to_string(plan.neox_heads) + " heads");

    auto value = allocate_slot(slot, dtype, device);
    if (slot.op == "copy") {
      copy_in_chunks(value, views[0], *files[slot.sources[0].file], slot.sources[0].name, plan.check_finite);
    } else if (slot.op == "concat0") {
      int64_t row = 0;
      for (size_t i = 0; i < views.size(); ++i) {
        copy_in_chunks(value.narrow(0, row, views[i].size(0)), views[i], *files[slot.sources[i].file], slot.sources[i].name,
                       plan.check_finite);
        row += views[i].size(0);
      }
    } else {  // neox_qkv: source rows per head [nh, 3, hd, ...] -> value's q|k|v blocks [3, nh, hd, ...]
      const int64_t nh = plan.neox_heads;
      auto rest = shape;
      rest.erase(rest.begin());
      std::vector<int64_t> per_head{nh, 3, shape[0] / (3 * nh)};
      per_head.insert(per_head.end(), rest.begin(), rest.end());
      std::vector<int64_t> blocks{3, nh, shape[0] / (3 * nh)};
      blocks.insert(blocks.end(), rest.begin(), rest.end());
      copy_in_chunks(value.view(blocks).transpose(0, 1), views[0].view(per_head), *files[slot.sources[0].file], slot.sources[0].name,
                     plan.check_finite);
    }
    out.push_back(device.is_cpu() ? value : in_compute_layout(value.to(device), slot, device));
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
