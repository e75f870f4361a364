// JS class NativeGenerator: a prompt-free generation run over a list of sample ids, advanced in
// async chunks so the caller can write shards, report progress and stop between chunks.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "generate/generation_engine.h"

namespace resurface {

class NativeGenerator : public Napi::ObjectWrap<NativeGenerator> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit NativeGenerator(const Napi::CallbackInfo& info);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  struct Shared {
    ModelHandle model;
    GenerationConfig config;
    std::vector<int64_t> sample_ids;
    std::unique_ptr<GenerationEngine> engine;  // created in the first run (allocates the KV cache)
    bool disposed = false;
  };
  std::shared_ptr<Shared> shared_;
  bool running_ = false;
};

}  // namespace resurface
