#include "repo/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "common/time.h"
#include "sluice/error.h"

namespace sluice::repo {

int YamlReader::Line(const YAML::Node& n) const {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

void YamlReader::Fail(const YAML::Node& n, const std::string& message,
                      const std::string& hint) const {
  throw DefinitionError(file, Line(n), message, hint);
}

void YamlReader::ExpectMap(const YAML::Node& n, const std::string& what) const {
  if (!n.IsMap()) Fail(n, what + " must be a mapping", "write it as {key: value, ...}");
}

void YamlReader::CheckKeys(const YAML::Node& n, const std::string& what,
                           const std::vector<std::string>& allowed) const {
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) Fail(kv.first, fmt::format("a key of {} must be a name", what), "");
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string near = ClosestName(key, allowed);
    Fail(kv.first, fmt::format("unknown key '{}' in {}", key, what),
         near.empty() ? "allowed keys: " + fmt::format("{}", fmt::join(allowed, ", "))
                      : "did you mean '" + near + "'?");
  }
}

std::string YamlReader::Str(const YAML::Node& parent, const std::string& key,
                            const std::string& what, bool required) const {
  const YAML::Node n = parent[key];
  if (!n) {
    if (required) Fail(parent, fmt::format("{} has no '{}'", what, key), "add " + key + ": ...");
    return "";
  }
  if (!n.IsScalar()) Fail(n, fmt::format("'{}' of {} must be a string", key, what), "");
  return n.as<std::string>();
}

std::string YamlReader::Name(const YAML::Node& parent, const std::string& key,
                             const std::string& what) const {
  std::string name = Str(parent, key, what);
  const std::string problem = NameProblem(name, NameKind::kDefinition);
  if (!problem.empty()) {
    Fail(parent[key], fmt::format("the name '{}' of {} {}", ShownName(name), what, problem),
         NameRule(NameKind::kDefinition));
  }
  return name;
}

std::vector<std::string> YamlReader::StrList(const YAML::Node& parent, const std::string& key,
                                             const std::string& what) const {
  const YAML::Node n = parent[key];
  if (!n) Fail(parent, fmt::format("{} has no '{}'", what, key), "add " + key + ": [...]");
  if (!n.IsSequence() || n.size() == 0) {
    Fail(n, fmt::format("'{}' of {} must be a non-empty list", key, what),
         "write it as " + key + ": [a, b]");
  }
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) Fail(item, fmt::format("'{}' of {} must list names", key, what), "");
    out.push_back(item.as<std::string>());
  }
  return out;
}

std::optional<Micros> YamlReader::Duration(const YAML::Node& parent, const std::string& key,
                                           const std::string& what) const {
  const YAML::Node n = parent[key];
  if (!n) return std::nullopt;
  const char* kHint = "write an integer and a unit: ms, s, m, h, d or w (e.g. 30d, 1h, 90s)";
  if (!n.IsScalar()) {
    Fail(n, fmt::format("'{}' of {} must be a duration, not a {}", key, what,
                        n.IsSequence() ? "list" : "mapping"),
         kHint);
  }
  const std::string text = n.as<std::string>();
  if (text == "0") return 0;
  auto d = ParseDuration(text);
  if (!d) {
    // Digits and a known unit that do not fit: say so rather than "bad".
    const size_t digits = text.find_first_not_of("0123456789");
    const std::string unit = digits == std::string::npos ? "" : text.substr(digits);
    const bool known = unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d" ||
                       unit == "w";
    if (digits != 0 && digits != std::string::npos && known) {
      Fail(n, fmt::format("duration '{}' for '{}' of {} is too large", text, key, what),
           "durations go up to about 292,000 years (9,223,372,036,854 s)");
    }
    Fail(n, fmt::format("bad duration '{}' for '{}' of {}", text, key, what), kHint);
  }
  return d;
}

std::optional<double> YamlReader::Number(const YAML::Node& parent, const std::string& key,
                                         const std::string& what) const {
  const YAML::Node n = parent[key];
  if (!n) return std::nullopt;
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
    Fail(n, fmt::format("'{}' of {} must be a number", key, what), "");
  }
  return v;
}

Schema YamlReader::SchemaMap(const YAML::Node& n, const std::string& what) const {
  Schema schema;
  ExpectMap(n, what);
  for (const auto& kv : n) {
    const std::string type_name = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
    auto type = ParseTypeName(type_name);
    if (!type) {
      Fail(kv.second,
           fmt::format("unknown type '{}' for '{}' in {}", type_name, kv.first.as<std::string>(),
                       what),
           "types: int64, float64, bool, string, timestamp, list<float64>");
    }
    schema.push_back({kv.first.as<std::string>(), *type});
  }
  return schema;
}

}  // namespace sluice::repo
