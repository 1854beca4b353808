#include "common/env.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "sluice/error.h"

namespace sluice {

int64_t PositiveEnv(const char* name, int64_t fallback) {
  const char* env = std::getenv(name);
  if (env == nullptr || *env == '\0') return fallback;
  const std::string_view text(env);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
    const std::string shown = text.size() > 40 ? std::string(text.substr(0, 40)) + "..."
                                               : std::string(text);
    throw InputError(fmt::format("environment variable {}={}: must be a positive integer{}", name,
                                 shown,
                                 ec == std::errc::result_out_of_range ? " (too large)" : ""));
  }
  return v;
}

void CheckEnvironment() {
  for (const char* name : {"SLUICE_THREADS", "SLUICE_QUARANTINE_PART_ROWS", "SLUICE_KEY_SET_LIMIT",
                           "SLUICE_SEGMENT_ROWS", "SLUICE_SLICE_ROWS"}) {
    PositiveEnv(name, 1);
  }
}

}  // namespace sluice
