// Phase timings for performance work: with SLUICE_TRACE=1 in the environment, each
// ScopedPhase prints "trace: <name> <seconds>" to stderr when it ends. Free otherwise.
#pragma once

#include <chrono>
#include <string>

namespace sluice {

class ScopedPhase {
 public:
  explicit ScopedPhase(std::string name);
  ~ScopedPhase();
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  std::string name_;
  std::chrono::steady_clock::time_point start_;
  bool enabled_;
};

}  // namespace sluice
