// Numbers as people read them in reports (quality/report.h) and in the rule classes' parts of
// it (quality/rules/rule.h).
#pragma once

#include <cstdint>
#include <string>

#include "sluice/types.h"

namespace sluice::quality {

// 1234567 -> "1,234,567".
std::string Thousands(int64_t n);
// A percentage (0..100) with up to two decimals, never rounded to 0 or 100 when it is not.
std::string Percent(double p);
// Six significant digits.
std::string Number(double x);
// A double holding microseconds, rounded and clamped (0 when not finite).
Micros AsMicros(double x);

}  // namespace sluice::quality
