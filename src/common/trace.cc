#include "common/trace.h"

#include <cstdio>
#include <cstdlib>

namespace sluice {

namespace {
bool TraceEnabled() {
  static const bool enabled = std::getenv("SLUICE_TRACE") != nullptr;
  return enabled;
}
}  // namespace

ScopedPhase::ScopedPhase(std::string name)
    : name_(std::move(name)), start_(std::chrono::steady_clock::now()), enabled_(TraceEnabled()) {}

ScopedPhase::~ScopedPhase() {
  if (!enabled_) return;
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "trace: %-28s %8.3f s\n", name_.c_str(), s);
}

}  // namespace sluice
