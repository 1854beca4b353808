#include "common/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace sluice {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

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

bool ReadInt(std::string_view& s, size_t digits, int64_t& out) {
  if (s.size() < digits) return false;
  out = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(digits);
  return true;
}

bool Expect(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
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

std::optional<Micros> ParseTimestamp(std::string_view s) {
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (!ReadInt(s, 4, y) || !Expect(s, '-') || !ReadInt(s, 2, mo) || !Expect(s, '-') ||
      !ReadInt(s, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t offset_s = 0;
  if (!s.empty() && (s[0] == 'T' || s[0] == ' ')) {
    s.remove_prefix(1);
    if (!ReadInt(s, 2, h) || !Expect(s, ':') || !ReadInt(s, 2, mi)) return std::nullopt;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      if (!ReadInt(s, 2, sec)) return std::nullopt;
      if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        size_t n = 0;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
        if (n == 0) return std::nullopt;
        int64_t scale = 100000;
        for (size_t i = 0; i < n; ++i) {
          if (i < 6) frac += (s[i] - '0') * scale;
          scale /= 10;
        }
        s.remove_prefix(n);
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (!s.empty() && (s[0] == 'Z' || s[0] == 'z')) {
      s.remove_prefix(1);
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      const int sign = s[0] == '-' ? -1 : 1;
      s.remove_prefix(1);
      int64_t oh, om = 0;
      if (!ReadInt(s, 2, oh)) return std::nullopt;
      if (!s.empty() && s[0] == ':') s.remove_prefix(1);
      if (!s.empty() && !ReadInt(s, 2, om)) return std::nullopt;
      offset_s = sign * (oh * 3600 + om * 60);
    }
  }
  if (!s.empty()) return std::nullopt;
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_s) * kMicrosPerSecond + frac;
}

std::optional<Micros> ParseDuration(std::string_view s) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr == s.data() || n < 0) return std::nullopt;
  std::string_view unit(ptr, s.data() + s.size() - ptr);
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

std::string FormatDuration(Micros d) {
  struct Unit { const char* name; int64_t us; };
  static constexpr Unit kUnits[] = {{"w", 7 * 86400 * kMicrosPerSecond},
                                    {"d", 86400 * kMicrosPerSecond},
                                    {"h", 3600 * kMicrosPerSecond},
                                    {"m", 60 * kMicrosPerSecond},
                                    {"s", kMicrosPerSecond},
                                    {"ms", 1000}};
  for (const Unit& u : kUnits) {
    if (d != 0 && d % u.us == 0) return std::to_string(d / u.us) + u.name;
  }
  if (d == 0) return "0s";
  return std::to_string(d) + "us";
}

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
