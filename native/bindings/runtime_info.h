#pragma once

#include <napi.h>

namespace resurface {
// runtimeInfo() -> {torchVersion, cudaAvailable, cudaDeviceCount, defaultThreads, libraries[], parallelInfo}
Napi::Value RuntimeInfo(const Napi::CallbackInfo& info);
}  // namespace resurface
