// The prologue of every native task on a loaded model (or encoder): one task at a time per model,
// a clean ERR_DISPOSED once it was disposed, and the model's thread count on this worker thread.
//
//   run_async<R>(env, [state] { return with_model(state, [&] { return compute(*state); }); }, to_js);
#pragma once

#include <mutex>
#include <string>

#include "common/errors.h"
#include "common/threads.h"

namespace resurface {

// `state`: a shared_ptr to a ModelState-like struct (mu, disposed, threads). `what` names it in the error.
template <typename Handle, typename F>
auto with_model(const Handle& state, F&& fn, const char* what = "model") -> decltype(fn()) {
  std::lock_guard<std::mutex> lock(state->mu);
  if (state->disposed) fail("ERR_DISPOSED", std::string("the ") + what + " was disposed");
  use_threads(state->threads);
  return fn();
}

}  // namespace resurface
