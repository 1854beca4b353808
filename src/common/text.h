// Small text helpers shared by error messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/types.h"

namespace sluice {

// The closest of `candidates` to `word` by edit distance, if close enough to be a likely typo;
// "" otherwise. Used for "did you mean" hints.
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

// A literal written in YAML as a value of `type`: int64 (decimal), float64, bool (true/false),
// timestamp (ISO 8601), string (as is). nullopt when it does not parse.
std::optional<Value> ParseScalar(std::string_view text, DataType type);

}  // namespace sluice
