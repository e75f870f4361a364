#pragma once

#include <napi.h>

namespace resurface {
Napi::Value DeviceMemory(const Napi::CallbackInfo& info);
}  // namespace resurface
