#include "common/cpu_block_cache.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace resurface {

// The Allocator interface: libtorch 1.x has `allocate(size_t) const`; from 2.3 on (the first 2.x that
// this was compiled against is 2.13, the torch2-cpu variant) `allocate` is non-const and `copy_data`
// must be defined. 2.0-2.2 sit between the two and keep libtorch's allocator.
#if TORCH_VERSION_MAJOR < 2
#define RESURFACE_BLOCK_CACHE 1
#define RESURFACE_ALLOCATE_CONST const
#elif TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 3
#define RESURFACE_BLOCK_CACHE 2
#define RESURFACE_ALLOCATE_CONST
#endif

#ifdef RESURFACE_BLOCK_CACHE

namespace {

constexpr size_t kMinCached = size_t{1} << 20;  // smaller blocks: the default allocator
constexpr size_t kBlock = size_t{2} << 20;      // rounding and alignment: one huge page

class BlockCache final : public c10::Allocator {
 public:
  BlockCache(c10::Allocator* fallback, size_t limit) : fallback_(fallback), limit_(limit) {}

  c10::DataPtr allocate(size_t n) RESURFACE_ALLOCATE_CONST override {
    if (n < kMinCached) return fallback_->allocate(n);
    return const_cast<BlockCache*>(this)->take((n + kBlock - 1) / kBlock * kBlock);
  }

#if RESURFACE_BLOCK_CACHE == 2
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif

  // libtorch frees some buffers by pointer alone (raw_deallocate): context == data, and the
  // deleter tells our blocks from the default allocator's small ones.
  c10::DeleterFnPtr raw_deleter() const override { return &BlockCache::release; }

  void release_idle() {
    std::multimap<size_t, void*> idle;
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle.swap(free_);
      idle_ = 0;
    }
    for (auto& [size, p] : idle) std::free(p);
  }

  CpuBlockCacheStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    CpuBlockCacheStats s;
    s.installed = true;
    s.limit_bytes = static_cast<int64_t>(limit_);
    s.idle_bytes = static_cast<int64_t>(idle_);
    s.live_bytes = static_cast<int64_t>(live_);
    s.hits = hits_;
    s.misses = misses_;
    return s;
  }

 private:
  c10::DataPtr take(size_t size) {
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end()) {
        p = it->second;
        free_.erase(it);
        idle_ -= size;
        ++hits_;
        live_blocks_.emplace(p, size);
        live_ += size;
      } else {
        ++misses_;
      }
    }
    if (p == nullptr) {
      if (posix_memalign(&p, kBlock, size) != 0)
        throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                         "out of memory: could not allocate " + std::to_string(size >> 20) + " MiB on the CPU");
      // No MADV_HUGEPAGE hint: with THP's usual defrag=madvise the kernel compacts memory on each
      // hinted fault, which doubled a 70M float32 load here (230 -> 480 ms, the weights are fresh
      // blocks) and did not speed up steady-state forward, sampling or training (reused blocks).
      std::lock_guard<std::mutex> lock(mu_);
      live_blocks_.emplace(p, size);
      live_ += size;
    }
    return {p, p, &BlockCache::release, c10::Device(c10::DeviceType::CPU)};
  }

  static void release(void* p);

  // true when p is one of our blocks (now idle or freed)
  bool give_back(void* p) {
    size_t size = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_blocks_.find(p);
      if (it == live_blocks_.end()) return false;
      size = it->second;
      live_blocks_.erase(it);
      live_ -= size;
      if (idle_ + size <= limit_) {
        free_.emplace(size, p);
        idle_ += size;
        return true;
      }
    }
    std::free(p);
    return true;
  }

  c10::Allocator* fallback_;
  const size_t limit_;
  std::mutex mu_;
  std::multimap<size_t, void*> free_;               // rounded size -> idle block
  std::unordered_map<void*, size_t> live_blocks_;   // block in use -> rounded size
  size_t idle_ = 0, live_ = 0;
  int64_t hits_ = 0, misses_ = 0;
};

BlockCache* g_cache = nullptr;

void BlockCache::release(void* p) {
  if (!g_cache->give_back(p)) g_cache->fallback_->raw_deleter()(p);
}

size_t cache_limit() {
  if (const char* env = std::getenv("RESURFACE_CPU_CACHE_MB")) {
    char* end = nullptr;
    const long long mb = std::strtoll(env, &end, 10);
    if (end != env && mb >= 0) return static_cast<size_t>(mb) << 20;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const size_t ram = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : size_t{8} << 30;
  return std::min(ram / 8, size_t{4096} << 20);
}

}  // namespace

void install_cpu_block_cache() {
  static std::once_flag once;
  std::call_once(once, [] {
    const size_t limit = cache_limit();
    if (limit == 0) return;
    // never destroyed: tensors may be released during process exit, after static destructors
    g_cache = new BlockCache(c10::GetDefaultCPUAllocator(), limit);
    c10::SetCPUAllocator(g_cache, /*priority=*/1);
  });
}

CpuBlockCacheStats cpu_block_cache_stats() { return g_cache ? g_cache->stats() : CpuBlockCacheStats{}; }

void release_idle_cpu_blocks() {
  if (g_cache) g_cache->release_idle();
}

#else  // libtorch 2.0-2.2: not installed

void install_cpu_block_cache() {}
CpuBlockCacheStats cpu_block_cache_stats() { return {}; }
void release_idle_cpu_blocks() {}

#endif

}  // namespace resurface
