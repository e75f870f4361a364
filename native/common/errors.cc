#include "common/errors.h"

#include <c10/util/Exception.h>

#include <new>

namespace resurface {

namespace {
bool looks_like_oom(const std::string& msg) {
  return msg.find("out of memory") != std::string::npos || msg.find("CUDA out of memory") != std::string::npos ||
         msg.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos ||
         msg.find("DefaultCPUAllocator: not enough memory") != std::string::npos;
}
}  // namespace

void classify_exception(std::exception_ptr ep, std::string& code, std::string& message) {
  try {
    std::rethrow_exception(ep);
  } catch (const NativeError& e) {
    code = e.code();
    message = e.what();
  } catch (const c10::Error& e) {
    message = e.what_without_backtrace();
    code = looks_like_oom(message) ? "ERR_OUT_OF_MEMORY" : "ERR_TORCH";
  } catch (const std::bad_alloc&) {
    code = "ERR_OUT_OF_MEMORY";
    message = "out of host memory";
  } catch (const std::exception& e) {
    message = e.what();
    code = looks_like_oom(message) ? "ERR_OUT_OF_MEMORY" : "ERR_INTERNAL";
  } catch (...) {
    code = "ERR_INTERNAL";
    message = "unknown native exception";
  }
}

}  // namespace resurface
