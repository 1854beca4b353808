#include "common/env.h"

#include <cstdlib>

namespace sluice {

int64_t PositiveEnv(const char* name, int64_t fallback) {
  const char* env = std::getenv(name);
  const long long v = env ? std::atoll(env) : 0;
  return v > 0 ? static_cast<int64_t>(v) : fallback;
}

}  // namespace sluice
