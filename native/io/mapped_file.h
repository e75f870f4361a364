// Read-only memory map of a whole file (RAII). Weights are viewed in place with from_blob and
// copied once into the model's dtype/device, so loading never holds two full copies in RAM.
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

 private:
  std::string path_;
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace resurface
