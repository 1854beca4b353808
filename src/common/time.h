// Conversions between Micros and the text forms users write.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sluice/types.h"

namespace sluice {

constexpr Micros kMicrosPerSecond = 1'000'000;

// "2024-01-02T03:04:05Z", with ".123456" when the fraction is not zero.
std::string FormatTimestamp(Micros t);
// A duration of SPEC §3: integer + unit (ms, s, m, h, d, w); nullopt when malformed.
std::optional<Micros> ParseDuration(std::string_view text);
// Wall-clock now.
Micros NowMicros();

}  // namespace sluice
