#include "common/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace sluice {
namespace {

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

std::string FormatTimestamp(Micros t) {
  int64_t days = t / (86400 * kMicrosPerSecond);
  int64_t rem = t % (86400 * kMicrosPerSecond);
  if (rem < 0) {
    rem += 86400 * kMicrosPerSecond;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  const int64_t secs = rem / kMicrosPerSecond, frac = rem % kMicrosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  if (frac != 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
  }
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

std::optional<Micros> ParseDuration(std::string_view s) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr == s.data() || n < 0) return std::nullopt;
  std::string_view unit(ptr, s.data() + s.size() - ptr);
  if (unit.empty() && n == 0) return 0;  // `hop: 0` (SPEC §5.2); other durations need a unit
  int64_t scale;
  if (unit == "ms") scale = 1000;
  else if (unit == "s") scale = kMicrosPerSecond;
  else if (unit == "m") scale = 60 * kMicrosPerSecond;
  else if (unit == "h") scale = 3600 * kMicrosPerSecond;
  else if (unit == "d") scale = 86400 * kMicrosPerSecond;
  else if (unit == "w") scale = 7 * 86400 * kMicrosPerSecond;
  else return std::nullopt;
  if (n > INT64_MAX / scale) return std::nullopt;
  return n * scale;
}

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
