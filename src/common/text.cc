#include "common/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "common/time.h"

namespace sluice {

std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // Levenshtein distance, two rows.
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] != c[j - 1])});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_distance) {
      best_distance = prev[c.size()];
      best = c;
    }
  }
  return best;
}

std::string NameRule(NameKind kind) {
  return kind == NameKind::kDefinition
             ? fmt::format("a name is 1-{} letters, digits and '_', not starting with a digit",
                           kMaxNameLength)
             : fmt::format("a dataset name is 1-{} letters, digits, '_', '-' and '.', not "
                           "starting with '.' or '-'",
                           kMaxNameLength);
}

std::string ShownName(std::string_view name) {
  std::string shown(name.substr(0, 40));
  if (name.size() > 40) shown += "...";
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return shown;
}

std::string NameProblem(std::string_view name, NameKind kind) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameLength) {
    return fmt::format("is {} characters long (at most {})", name.size(), kMaxNameLength);
  }
  const auto allowed = [&](char c) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') return true;
    return kind == NameKind::kDataset && (c == '-' || c == '.');
  };
  for (const char c : name) {
    if (allowed(c)) continue;
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ') return "holds a space";
    if (u < 0x20 || u == 0x7f) return fmt::format("holds the control character 0x{:02x}", u);
    if (u >= 0x80) return "holds a character outside ASCII";
    return fmt::format("holds '{}'", c);
  }
  if (kind == NameKind::kDefinition && std::isdigit(static_cast<unsigned char>(name[0]))) {
    return "starts with a digit";
  }
  if (kind == NameKind::kDataset && (name[0] == '.' || name[0] == '-')) {
    return fmt::format("starts with '{}'", name[0]);
  }
  return "";
}

std::optional<Value> ParseScalar(std::string_view text, DataType type) {
  switch (type) {
    case DataType::kInt64: {
      int64_t v = 0;
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
      return Value::Int(v);
    }
    case DataType::kFloat64: {
      double v = 0;
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v)) {
        return std::nullopt;
      }
      return Value::Float(v);
    }
    case DataType::kBool:
      if (text == "true") return Value::Bool(true);
      if (text == "false") return Value::Bool(false);
      return std::nullopt;
    case DataType::kTimestamp: {
      const auto t = ParseTimestamp(text);
      if (!t) return std::nullopt;
      return Value::Timestamp(*t);
    }
    case DataType::kString: return Value::String(std::string(text));
    case DataType::kFloat64List: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace sluice
