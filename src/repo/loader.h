// Reads a feature repository's YAML files into definitions (SPEC §3). Structural errors
// (invalid YAML, missing or unknown keys, bad durations, duplicate names) are DefinitionErrors
// with file:line and a hint; semantic checks are checker.h's.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/text.h"
#include "repo/definitions.h"

namespace YAML {
class Node;
}

namespace sluice::repo {

struct YamlReader;

// Reads the rest of one rule of check suite `suite` from its YAML mapping: `rule.kind` and
// `rule.loc` are set; the parser checks the kind, the keys, the severity and the rule's own
// keys, and sets `rule.severity` and `rule.params`, throwing DefinitionError (file:line, hint)
// for the first problem. repo knows no rule kind: the rules table above it does
// (quality::ParseRule, quality/rules/rule_table.h).
using RuleParser = std::function<void(const YamlReader& doc, const YAML::Node& rule_yaml,
                                      const std::string& suite, RuleDef& rule)>;

// Loads `root`/sluice.yaml and every other *.yaml / *.yml below `root` (skipping hidden
// directories and datasets/), in path order. Throws InputError when sluice.yaml is missing and
// DefinitionError for the first malformed definition. Types of features and schemas of
// sources are not yet known: run CheckRepo(). Every rule of every check suite is read by
// `parse_rule`, in file order.
RepoDefinition LoadRepo(const std::filesystem::path& root, const RuleParser& parse_rule);

// Loads only `root`/sluice.yaml (commands that work on applied definitions need no more).
// Throws InputError when it is missing, DefinitionError when malformed.
ProjectConfig LoadConfig(const std::filesystem::path& root);

}  // namespace sluice::repo
