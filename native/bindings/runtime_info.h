#pragma once

#include <napi.h>

namespace resurface {
// runtimeInfo() -> {torchVersion, cudaAvailable, cudaDeviceCount, defaultThreads, libraries[], parallelInfo, cpuBlockCache, cpu}
Napi::Value RuntimeInfo(const Napi::CallbackInfo& info);
Napi::Value MeasurePeakFlops(const Napi::CallbackInfo& info);
}  // namespace resurface
