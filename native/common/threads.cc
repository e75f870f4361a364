#include "common/threads.h"

#include <ATen/Parallel.h>

namespace resurface {

void use_threads(int threads) {
  if (threads <= 0) return;
  at::init_num_threads();
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

}  // namespace resurface
