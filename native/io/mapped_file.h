// Read-only memory map of a whole file (RAII). Weights are viewed in place with from_blob and
// copied once into the model's dtype/device, so loading never holds two full copies in RAM.
// Mapped read-only (PROT_READ, MAP_PRIVATE): no page is ever copied-on-write, so release() can drop
// pages already read and a later read simply faults them in again from the page cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace resurface {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(addr_); }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops the pages covering [p, p + n) from this process's resident set (MADV_DONTNEED; the
  // contents stay readable). Used behind a sequential reader so that reading a large file adds at
  // most a chunk to peak RSS. Best effort: a failure only means the pages stay resident.
  void release(const void* p, size_t n) const;

 private:
  std::string path_;
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace resurface
