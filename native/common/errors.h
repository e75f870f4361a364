// Errors thrown by native code carry a stable code (the same strings as lib/errors.ts), so that
// JavaScript callers can switch on `err.code` instead of parsing libtorch messages.
#pragma once

#include <stdexcept>
#include <string>

namespace resurface {

class NativeError : public std::runtime_error {
 public:
  NativeError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const std::string& code, const std::string& message) { throw NativeError(code, message); }

inline void check_arg(bool ok, const std::string& message) {
  if (!ok) fail("ERR_INVALID_ARGUMENT", message);
}

// Maps any exception escaping a native task to (code, message).
void classify_exception(std::exception_ptr ep, std::string& code, std::string& message);

}  // namespace resurface
