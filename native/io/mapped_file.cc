#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/errors.h"

namespace resurface {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("ERR_IO", "cannot open " + path + ": " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail("ERR_IO", "cannot stat " + path + ": " + std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr_ == MAP_FAILED) {
      int err = errno;
      addr_ = nullptr;
      ::close(fd);
      fail("ERR_IO", "cannot mmap " + path + ": " + std::strerror(err));
    }
  }
  ::close(fd);
}

void MappedFile::release(const void* p, size_t n) const {
  if (!addr_ || n == 0) return;
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(addr_), hi = lo + size_;
  // whole pages around the range (outward is safe: nothing here is ever written)
  uintptr_t b = std::max(lo, reinterpret_cast<uintptr_t>(p) & ~(page - 1));
  uintptr_t e = std::min(hi, (reinterpret_cast<uintptr_t>(p) + n + page - 1) & ~(page - 1));
  if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (addr_) ::munmap(addr_, size_);
}

}  // namespace resurface
