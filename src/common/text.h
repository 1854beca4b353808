// Small text helpers shared by error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The closest of `candidates` to `word` by edit distance, if close enough to be a likely typo;
// "" otherwise. Used for "did you mean" hints.
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sluice
