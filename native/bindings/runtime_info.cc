#include "bindings/runtime_info.h"

#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>

#include "bindings/async_task.h"
#include "bindings/js_convert.h"
#include "common/cpu_block_cache.h"
#include "common/cpu_features.h"
#include "common/peak_flops.h"

namespace resurface {

// Which BLAS/OpenMP libraries this process really mapped: the OpenMP OpenBLAS is 3.5x faster here
// than the pthread one, and Debian's alternatives can silently switch between them.
static std::vector<std::string> mapped_libraries() {
  std::set<std::string> seen;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    auto path = line.substr(slash);
    if (path.find("blas") != std::string::npos || path.find("libgomp") != std::string::npos || path.find("libomp") != std::string::npos ||
        path.find("libtorch") != std::string::npos || path.find("libmkl") != std::string::npos)
      seen.insert(path);
  }
  return {seen.begin(), seen.end()};
}

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
#ifdef TORCH_VERSION_MAJOR
  out.Set("torchVersion", Napi::String::New(env, std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                                     std::to_string(TORCH_VERSION_PATCH)));
#endif
#if defined(RESURFACE_WITH_CUDA)
  out.Set("cudaCompiled", Napi::Boolean::New(env, true));
#else
  out.Set("cudaCompiled", Napi::Boolean::New(env, false));
#endif
  out.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
  out.Set("cudaDeviceCount", Napi::Number::New(env, torch::cuda::is_available() ? torch::cuda::device_count() : 0));
  out.Set("defaultThreads", Napi::Number::New(env, at::get_num_threads()));
  auto libs = mapped_libraries();
  auto arr = Napi::Array::New(env, libs.size());
  for (size_t i = 0; i < libs.size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, libs[i]));
  out.Set("libraries", arr);
  out.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  const auto cache = cpu_block_cache_stats();
  auto c = Napi::Object::New(env);
  c.Set("installed", Napi::Boolean::New(env, cache.installed));
  c.Set("limitBytes", Napi::Number::New(env, static_cast<double>(cache.limit_bytes)));
  c.Set("idleBytes", Napi::Number::New(env, static_cast<double>(cache.idle_bytes)));
  c.Set("liveBytes", Napi::Number::New(env, static_cast<double>(cache.live_bytes)));
  c.Set("hits", Napi::Number::New(env, static_cast<double>(cache.hits)));
  c.Set("misses", Napi::Number::New(env, static_cast<double>(cache.misses)));
  out.Set("cpuBlockCache", c);
  const auto& f = cpu_features();
  auto cpu = Napi::Object::New(env);
  cpu.Set("vendor", Napi::String::New(env, f.vendor));
  cpu.Set("brand", Napi::String::New(env, f.brand));
  const auto names = f.names();
  auto feats = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) feats.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  cpu.Set("features", feats);
  cpu.Set("nativeBf16", Napi::Boolean::New(env, f.native_bf16()));
  out.Set("cpu", cpu);
  return out;
}

// measurePeakFlops(threads, seconds) -> Promise<{ threads, seconds, float32: { isa, gflops } | null,
// bfloat16: { isa, gflops } | null }>: the sustained multiply-add rate (common/peak_flops.h).
Napi::Value MeasurePeakFlops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    check_arg(info.Length() >= 2 && info[0].IsNumber() && info[1].IsNumber(), "measurePeakFlops(threads, seconds) takes two numbers");
    const int threads = info[0].As<Napi::Number>().Int32Value();
    const double seconds = info[1].As<Napi::Number>().DoubleValue();
    check_arg(threads >= 1 && threads <= 1024, "threads must be in [1, 1024]");
    check_arg(seconds > 0.0 && seconds <= 10.0, "seconds must be in (0, 10]");
    return run_async<MeasuredPeaks>(
        env, [threads, seconds] { return measure_peak_flops(threads, seconds); },
        [](Napi::Env env, MeasuredPeaks& p) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("threads", Napi::Number::New(env, p.threads));
          out.Set("seconds", Napi::Number::New(env, p.seconds));
          auto one = [&](const MeasuredPeak& m) -> Napi::Value {
            if (m.isa.empty()) return env.Null();
            auto o = Napi::Object::New(env);
            o.Set("isa", Napi::String::New(env, m.isa));
            o.Set("gflops", Napi::Number::New(env, m.gflops));
            return o;
          };
          out.Set("float32", one(p.float32));
          out.Set("bfloat16", one(p.bfloat16));
          return out;
        });
  });
}

}  // namespace resurface
