// The one table of check rule kinds (quality/rules/rule.h): kind name → the keys it takes and
// its class. Loading, apply-time checks, delivery checks and reports find a rule's behaviour
// here and nowhere else.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quality/rules/rule.h"
#include "repo/definitions.h"

namespace sluice::repo {
struct YamlReader;
}

namespace sluice::quality {

struct RuleKind {
  std::string_view name;          // the `rule:` key
  std::vector<std::string> keys;  // its own keys (every rule also takes rule, severity,
                                  // description)
  std::unique_ptr<Rule> (*make)();
};

// Every kind, in the order the guide lists them (also the order of the "unknown rule" hint).
const std::vector<RuleKind>& RuleKinds();
// nullptr when `name` is no kind.
const RuleKind* FindRuleKind(std::string_view name);

// A fresh rule of `def.kind` loaded from `def.params`. Throws InputError for an unknown kind
// (a registry written by a newer sluice).
std::unique_ptr<Rule> MakeRule(const repo::RuleDef& def);

// repo::RuleParser (repo/loader.h): checks `rule.kind`, the keys and the severity, and reads
// the rule's own keys into rule.params. DefinitionError (file:line, hint) for the first
// problem.
void ParseRule(const repo::YamlReader& doc, const YAML::Node& rule_yaml, const std::string& suite,
               repo::RuleDef& rule);

// Checks every check suite of a checked repository (source schemas known, after
// repo::CheckRepo): the suite's source exists, each rule's columns exist with types it takes,
// sources it names exist, and severity and `mostly` fit the kind. A dataset suite is checked
// only for what does not depend on the dataset's columns. Throws DefinitionError at the suite
// or rule for the first problem.
void CheckSuites(const repo::RepoDefinition& repo);

}  // namespace sluice::quality
