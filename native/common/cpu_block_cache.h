// A caching allocator for large CPU tensors.
//
// libtorch's CPU allocator hands every tensor to malloc, and glibc serves anything above 32 MB (and,
// on worker threads, much below) with a fresh mmap: every training step, every [B, T, V] logits
// tensor and every optimizer temporary is page-faulted in and zeroed by the kernel again. Measured
// on the 2-core EPYC: a Pythia-70m training step spent ~40% of its CPU time in the kernel (1.6 M
// page faults for 3 steps). PyTorch's CPU tuning guides answer this with jemalloc or tcmalloc via
// LD_PRELOAD, which a Node addon cannot do for its host process; this is the contained version:
// blocks of 1 MiB and more are rounded up to 2 MiB (2 MiB-aligned) and on release kept for reuse
// by the next allocation of the same rounded size, up to a cap on idle bytes (RESURFACE_CPU_CACHE_MB,
// default 1/8 of RAM up to 4096; 0 disables).
// After a model is loaded, and when one is destroyed, the idle blocks are freed (loading's conversion
// buffers do not recur, and disposing a model really returns its memory).
// Smaller allocations go to the default allocator unchanged.
#pragma once

#include <cstddef>
#include <cstdint>

namespace resurface {

struct CpuBlockCacheStats {
  bool installed = false;
  int64_t limit_bytes = 0;     // idle bytes kept at most
  int64_t idle_bytes = 0;      // cached blocks not in use
  int64_t live_bytes = 0;      // blocks handed out and not yet released
  int64_t hits = 0, misses = 0;
};

// Installs the cache as libtorch's CPU allocator (once; later calls do nothing). libtorch 1.x and
// 2.3+; a no-op on 2.0-2.2, whose Allocator interface is neither.
void install_cpu_block_cache();
CpuBlockCacheStats cpu_block_cache_stats();
// Frees every idle block (called after a model is loaded and when one is destroyed).
void release_idle_cpu_blocks();

}  // namespace resurface
