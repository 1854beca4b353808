// Tuning knobs read from the environment (docs/guide.md, "Environment").
#pragma once

#include <cstdint>

namespace sluice {

// The positive integer in environment variable `name`, or `fallback` when it is unset, not a
// number or not positive.
int64_t PositiveEnv(const char* name, int64_t fallback);

}  // namespace sluice
