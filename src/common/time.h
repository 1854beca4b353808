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
// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" with an optional "Z" (UTC); nullopt when
// malformed.
std::optional<Micros> ParseTimestamp(std::string_view text);
// A duration of SPEC §3: integer + unit (ms, s, m, h, d, w); nullopt when malformed.
std::optional<Micros> ParseDuration(std::string_view text);
// A duration for people: "3d 4h", "2h 5m", "42s", "350ms" (the two largest units; negative
// durations get a leading '-').
std::string FormatDuration(Micros d);
// A duration as YAML writes it, exactly (ParseDuration reads it back): the largest unit it is a
// whole number of, "30d", "36h", "90s", "10ms"; "0" for zero; "1500us" below a millisecond.
std::string DurationLiteral(Micros d);
// Wall-clock now.
Micros NowMicros();

// floor(a / b) for b > 0, also for negative a (times before 1970): the tile of a time.
inline Micros FloorDiv(Micros a, Micros b) {
  const Micros q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace sluice
