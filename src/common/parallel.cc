#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/env.h"

namespace sluice {

int DefaultThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  const int64_t n = PositiveEnv("SLUICE_THREADS", hw == 0 ? 1 : static_cast<int64_t>(hw));
  return static_cast<int>(std::min<int64_t>(n, 4096));
}

void ParallelFor(size_t n, int threads, const std::function<void(size_t, int)>& fn) {
  if (threads <= 1 || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](int worker) {
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  const int count = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(threads)));
  std::vector<std::thread> pool;
  for (int w = 1; w < count; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace sluice
