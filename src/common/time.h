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
// Accepts "YYYY-MM-DD", "YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]]" with optional "Z" or "±hh:mm";
// a time without offset is UTC. nullopt when malformed.
std::optional<Micros> ParseTimestamp(std::string_view text);
// A duration of SPEC §3: integer + unit (ms, s, m, h, d, w); nullopt when malformed.
std::optional<Micros> ParseDuration(std::string_view text);
// Shortest exact rendering of a duration: "30d", "90m", "1500ms".
std::string FormatDuration(Micros d);
// Wall-clock now.
Micros NowMicros();

}  // namespace sluice
