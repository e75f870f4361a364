// Everything a loaded model owns. Shared (shared_ptr) between the JS wrapper and any native task in
// flight, so dispose() during a running task frees memory only after the task finishes.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "common/cpu_block_cache.h"
#include "model/decoder.h"
#include "model/weights.h"

namespace resurface {

// Declared first in ModelState, so destroyed last: once the model's tensors are gone, the CPU block
// cache hands its idle blocks back to the system (a disposed model's memory is really released).
struct ReleaseIdleCpuBlocksLast {
  ~ReleaseIdleCpuBlocksLast() { release_idle_cpu_blocks(); }
};

struct ModelState {
  ReleaseIdleCpuBlocksLast release_idle_blocks_last;
  ArchSpec arch;
  LoadPlan plan;  // kept for exporting weights back to Hugging Face names
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kFloat32;
  int threads = 1;
  std::unique_ptr<Decoder> decoder;
  std::mutex mu;  // one native task at a time per model
  std::atomic<bool> disposed{false};
};

using ModelHandle = std::shared_ptr<ModelState>;

}  // namespace resurface
