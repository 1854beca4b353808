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

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<Micros> ParseTimestamp(std::string_view s) {
  // YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z]
  auto num = [&](size_t pos, size_t len, int64_t& out) {
    if (pos + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (s.size() < 10 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d)) {
    return std::nullopt;
  }
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!num(pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !num(pos + 4, 2, mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!num(pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t digits = 0;
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits < 6) frac = frac * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (size_t i = digits; i < 6; ++i) frac *= 10;
      }
    }
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) * kMicrosPerSecond) + frac;
}

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
  if (y < 0 || y > 9999) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                          static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                          static_cast<long long>(secs / 60 % 60),
                          static_cast<long long>(secs % 60));
    if (frac != 0) {
      n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
    }
    std::snprintf(buf + n, sizeof buf - n, "Z");
    return buf;
  }
  // The common case without printf (serving formats one per feature value).
  char buf[28] = "0000-00-00T00:00:00";
  auto put = [&buf](int at, int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, secs / 3600, 2);
  put(14, secs / 60 % 60, 2);
  put(17, secs % 60, 2);
  size_t n = 19;
  if (frac != 0) {
    buf[n++] = '.';
    put(static_cast<int>(n), frac, 6);
    n += 6;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
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

std::string DurationLiteral(Micros d) {
  if (d == 0) return "0";
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"d", 86400 * kMicrosPerSecond}, {"h", 3600 * kMicrosPerSecond},
      {"m", 60 * kMicrosPerSecond},    {"s", kMicrosPerSecond},
      {"ms", 1000}};
  for (const auto& [unit, size] : kUnits) {
    if (d % size == 0) return std::to_string(d / size) + unit;
  }
  return std::to_string(d) + "us";
}

std::string FormatDuration(Micros d) {
  if (d < 0) return "-" + FormatDuration(-d);
  if (d < kMicrosPerSecond) return std::to_string(d / 1000) + "ms";
  static const std::pair<const char*, int64_t> kUnits[] = {{"d", 86400}, {"h", 3600}, {"m", 60},
                                                          {"s", 1}};
  int64_t s = d / kMicrosPerSecond;
  std::string out;
  int parts = 0;
  for (const auto& [unit, secs] : kUnits) {
    if (s < secs && out.empty()) continue;
    if (parts == 2) break;
    out += (out.empty() ? "" : " ") + std::to_string(s / secs) + unit;
    s %= secs;
    ++parts;
  }
  return out;
}

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
