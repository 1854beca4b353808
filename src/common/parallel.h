// A minimal parallel loop for bucket-at-a-time work.
#pragma once

#include <cstddef>
#include <functional>

namespace sluice {

// Worker threads to use by default: SLUICE_THREADS if set (>= 1), else the hardware's.
int DefaultThreads();

// Calls fn(i, worker) for every i in [0, n) on up to `threads` threads (worker in
// [0, threads)); each i exactly once, in no fixed order. Returns when all are done; rethrows
// the first exception a call threw (the remaining items are skipped).
void ParallelFor(size_t n, int threads, const std::function<void(size_t i, int worker)>& fn);

}  // namespace sluice
