// Runs a C++ closure on the libuv thread pool and settles a JS Promise with its result.
// `on_settle` (optional) runs on the JS thread before the promise settles, on success or failure.
// Every slow native call goes through here, so the event loop never blocks on libtorch.
//
//   return run_async<Tensor>(env, [=] { return heavy(); }, [](Napi::Env env, Tensor& t) { return to_js(env, t); });
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>

#include "common/errors.h"

namespace resurface {

Napi::Error make_js_error(Napi::Env env, const std::string& code, const std::string& message);

template <typename R>
class AsyncTask : public Napi::AsyncWorker {
 public:
  using Work = std::function<R()>;
  using ToJs = std::function<Napi::Value(Napi::Env, R&)>;
  using Finally = std::function<void()>;

  AsyncTask(Napi::Env env, Work work, ToJs to_js, Finally on_settle = nullptr)
      : Napi::AsyncWorker(env, "resurface:native"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        to_js_(std::move(to_js)), finally_(std::move(on_settle)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = std::make_unique<R>(work_());
    } catch (...) {
      classify_exception(std::current_exception(), code_, message_);
      SetError(message_);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (finally_) finally_();
    try {
      deferred_.Resolve(to_js_(env, *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      std::string code, message;
      classify_exception(std::current_exception(), code, message);
      deferred_.Reject(make_js_error(env, code, message).Value());
    }
    result_.reset();
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    if (finally_) finally_();
    deferred_.Reject(make_js_error(Env(), code_, message_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs to_js_;
  Finally finally_;
  std::unique_ptr<R> result_;
  std::string code_, message_;
};

template <typename R>
Napi::Promise run_async(Napi::Env env, typename AsyncTask<R>::Work work, typename AsyncTask<R>::ToJs to_js,
                        typename AsyncTask<R>::Finally on_settle = nullptr) {
  auto* task = new AsyncTask<R>(env, std::move(work), std::move(to_js), std::move(on_settle));
  Napi::Promise promise = task->promise();
  task->Queue();  // libuv owns and deletes the worker after OnOK/OnError
  return promise;
}

// Calls `fn` and converts any native exception into a thrown JS error with a code (for sync calls).
template <typename F>
auto guard_sync(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    std::string code, message;
    classify_exception(std::current_exception(), code, message);
    throw make_js_error(env, code, message);
  }
}

}  // namespace resurface
