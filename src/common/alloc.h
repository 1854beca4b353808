// Allocator policy per workload. The sluice binary allocates through jemalloc (src/cli/main.cc)
// and by default never hands freed memory back, which suits bucket-at-a-time batch work that
// reuses the same sizes. Workloads that churn through many sizes (materialize, the server)
// return freed memory after a delay instead.
#pragma once

namespace sluice {

// Freed memory goes back to the kernel after `ms` milliseconds (-1: never). A no-op when the
// process does not run on jemalloc (tests, sanitizer builds).
void SetFreedMemoryDecay(long ms);

}  // namespace sluice
