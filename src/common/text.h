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

// The two kinds of names users give (docs/guide.md, "Names"). A definition's name (entity,
// source, view, feature, service, check suite) is also a column name and is referenced in
// expressions (`view.feature`): an identifier. A dataset's name is a directory: a little more
// is allowed. Both are at most kMaxNameLength characters.
enum class NameKind { kDefinition, kDataset };
inline constexpr size_t kMaxNameLength = 128;

// "" when `name` is a valid name of `kind`; otherwise what is wrong with it, as a clause
// ("is empty", "holds ' ' (a space)", ...). The rule itself: NameRule(kind).
std::string NameProblem(std::string_view name, NameKind kind);
std::string NameRule(NameKind kind);

// A name as an error quotes it: at most 40 characters (then "..."), control characters as '?'.
std::string ShownName(std::string_view name);

// A literal written in YAML as a value of `type`: int64 (decimal), float64, bool (true/false),
// timestamp (ISO 8601), string (as is). nullopt when it does not parse.
std::optional<Value> ParseScalar(std::string_view text, DataType type);

}  // namespace sluice
