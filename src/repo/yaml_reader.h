// Reading definition files: typed values out of YAML nodes, every error a DefinitionError
// naming the file and line (and a hint). Knows YAML and sluice's value syntax (durations,
// type names), nothing about what the keys mean: the loader and the rule classes of
// `quality/rules/` (which read their own keys) both use it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "repo/definitions.h"
#include "sluice/types.h"

namespace sluice::repo {

struct YamlReader {
  std::string file;  // path relative to the repository root

  // 1-based line of `n` (0 when unknown).
  int Line(const YAML::Node& n) const;
  Location Loc(const YAML::Node& n) const { return {file, Line(n)}; }

  // Throws DefinitionError(file, line of n, message, hint).
  [[noreturn]] void Fail(const YAML::Node& n, const std::string& message,
                         const std::string& hint) const;

  void ExpectMap(const YAML::Node& n, const std::string& what) const;

  // Rejects keys outside `allowed`, suggesting the nearest allowed key.
  void CheckKeys(const YAML::Node& n, const std::string& what,
                 const std::vector<std::string>& allowed) const;

  // parent[key] as text; "" when absent and not required (absent and required: error).
  std::string Str(const YAML::Node& parent, const std::string& key, const std::string& what,
                  bool required = true) const;

  // parent[key] (required) as the name of a definition: NameProblem's rule (common/text.h).
  std::string Name(const YAML::Node& parent, const std::string& key, const std::string& what) const;

  // parent[key]: a non-empty list of scalars (required).
  std::vector<std::string> StrList(const YAML::Node& parent, const std::string& key,
                                   const std::string& what) const;

  // parent[key] as a duration ("30d", "1h", "0"); nullopt when absent.
  std::optional<Micros> Duration(const YAML::Node& parent, const std::string& key,
                                 const std::string& what) const;

  // parent[key] as a number; nullopt when absent.
  std::optional<double> Number(const YAML::Node& parent, const std::string& key,
                               const std::string& what) const;

  // A mapping of column name to type name ({user_id: int64, ...}), in written order.
  Schema SchemaMap(const YAML::Node& n, const std::string& what) const;
};

}  // namespace sluice::repo
