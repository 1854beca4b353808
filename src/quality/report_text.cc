#include "quality/report_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sluice::quality {

std::string Thousands(int64_t n) {
  const std::string digits = n < 0 ? std::to_string(n).substr(1) : std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Percent(double p) {
  if (!std::isfinite(p)) return "—";
  if (p > 0 && p < 0.005) return "<0.01%";
  if (p < 100 && p >= 99.995) return ">99.99%";
  std::string s = fmt::format("{:.2f}", p);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

std::string Number(double x) { return fmt::format("{:.6g}", x); }

Micros AsMicros(double x) {
  if (!std::isfinite(x)) return 0;
  return static_cast<Micros>(std::llround(std::clamp(x, -9.2e18, 9.2e18)));
}

}  // namespace sluice::quality
