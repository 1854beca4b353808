#include "quality/rules/rule_table.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/text.h"
#include "quality/rules/rule_kinds.h"
#include "repo/yaml_reader.h"
#include "sluice/error.h"

namespace sluice::quality {

const std::vector<RuleKind>& RuleKinds() {
  static const std::vector<RuleKind> kinds = {
      {"schema", {"columns", "allow_extra"}, &MakeSchemaRule},
      {"not_null", {"column", "mostly"}, &MakeNotNullRule},
      {"range", {"column", "min", "max", "mostly"}, &MakeRangeRule},
      {"accepted_values", {"column", "values", "mostly"}, &MakeAcceptedValuesRule},
      {"regex", {"column", "pattern", "mostly"}, &MakeRegexRule},
      {"unique", {"columns", "column", "mostly"}, &MakeUniqueRule},
      {"row_count", {"min", "max"}, &MakeRowCountRule},
      {"null_rate", {"column", "min", "max"}, &MakeNullRateRule},
      {"mean", {"column", "min", "max"}, &MakeMeanRule},
      {"stddev", {"column", "min", "max"}, &MakeStddevRule},
      {"quantile", {"column", "q", "min", "max"}, &MakeQuantileRule},
      {"freshness", {"column", "warn_after", "error_after"}, &MakeFreshnessRule},
      {"drift", {"column", "method", "reference", "max"}, &MakeDriftRule},
      {"volume", {"last", "k"}, &MakeVolumeRule},
      {"referential", {"columns", "column", "source", "mostly"}, &MakeReferentialRule},
  };
  return kinds;
}

const RuleKind* FindRuleKind(std::string_view name) {
  for (const RuleKind& k : RuleKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::unique_ptr<Rule> MakeRule(const repo::RuleDef& def) {
  const RuleKind* kind = FindRuleKind(def.kind);
  if (!kind) throw InputError(fmt::format("unknown check rule '{}'", def.kind));
  std::unique_ptr<Rule> rule = kind->make();
  rule->Load(def.params);
  return rule;
}

void ParseRule(const repo::YamlReader& doc, const YAML::Node& n, const std::string& suite,
               repo::RuleDef& def) {
  const RuleKind* kind = FindRuleKind(def.kind);
  if (!kind) {
    std::vector<std::string> names;
    for (const RuleKind& k : RuleKinds()) names.emplace_back(k.name);
    const std::string near = ClosestName(def.kind, names);
    doc.Fail(n["rule"], fmt::format("unknown rule '{}' in check suite '{}'", def.kind, suite),
             near.empty() ? fmt::format("rules: {}", fmt::join(names, ", "))
                          : "did you mean '" + near + "'?");
  }
  const std::string what = fmt::format("rule '{}' of check suite '{}'", def.kind, suite);
  std::vector<std::string> allowed = {"rule", "severity", "description"};
  allowed.insert(allowed.end(), kind->keys.begin(), kind->keys.end());
  doc.CheckKeys(n, what, allowed);
  const std::string severity = n["severity"] ? doc.Str(n, "severity", what) : "fail";
  const std::optional<repo::Severity> parsed = repo::ParseSeverity(severity);
  if (!parsed) {
    doc.Fail(n["severity"], fmt::format("{} has unknown severity '{}'", what, severity),
             "severity: warn, fail or quarantine");
  }
  def.severity = *parsed;
  def.params = kind->make()->Read(RuleReader(doc, n, what));
}

namespace {

[[noreturn]] void Fail(const repo::Location& loc, const std::string& message,
                       const std::string& hint) {
  throw DefinitionError(loc.file, loc.line, message, hint);
}

// A dataset suite: its columns are known only when `dataset create` builds the dataset (it
// checks them then); here, what does not depend on them.
void CheckDatasetSuite(const repo::CheckSuiteDef& c) {
  for (const repo::RuleDef& def : c.rules) {
    const std::string what = fmt::format("rule '{}' of check suite '{}'", def.kind, c.name);
    const std::unique_ptr<Rule> rule = MakeRule(def);
    if (!rule->for_datasets()) {
      Fail(def.loc, fmt::format("{}: {} applies to sources, not datasets", what, def.kind),
           "attach it to the source the dataset reads (source: NAME)");
    }
    if (def.severity == repo::Severity::kQuarantine) {
      Fail(def.loc, what + ": a dataset cannot quarantine rows", "use severity: fail or warn");
    }
    rule->CheckDataset(def, what);
  }
}

void CheckSourceSuite(const repo::RepoDefinition& repo, const repo::CheckSuiteDef& c) {
  const repo::SourceDef* src = repo.FindSource(c.source);
  if (!src) {
    std::vector<std::string> names;
    for (const auto& s : repo.sources) names.push_back(s.name);
    const std::string near = ClosestName(c.source, names);
    Fail(c.loc, fmt::format("check suite '{}' names unknown source '{}'", c.name, c.source),
         !near.empty()   ? "did you mean '" + near + "'?"
         : names.empty() ? std::string("no sources is defined")
                         : fmt::format("sources available: {}", fmt::join(names, ", ")));
  }
  for (const repo::RuleDef& def : c.rules) {
    const SourceTarget target(repo, *src, def,
                              fmt::format("rule '{}' of check suite '{}'", def.kind, c.name));
    const std::unique_ptr<Rule> rule = MakeRule(def);
    if (def.severity == repo::Severity::kQuarantine && !rule->row_level()) {
      std::vector<std::string_view> row_level;
      for (const RuleKind& k : RuleKinds()) {
        if (k.make()->row_level()) row_level.push_back(k.name);
      }
      target.Fail(
          fmt::format("{} cannot quarantine: it judges the whole delivery, not rows", target.what),
          fmt::format("use severity: fail or warn (quarantine: {})", fmt::join(row_level, ", ")));
    }
    for (const std::string& column : rule->columns()) target.ColumnType(column);
    rule->CheckSource(target);
    if (def.params.contains("mostly") && !rule->row_level()) {
      target.Fail(target.what + " takes no 'mostly'", "mostly applies to row-level rules");
    }
  }
}

}  // namespace

void CheckSuites(const repo::RepoDefinition& repo) {
  for (const repo::CheckSuiteDef& c : repo.checks) {
    if (!c.dataset.empty()) {
      CheckDatasetSuite(c);
    } else {
      CheckSourceSuite(repo, c);
    }
  }
}

}  // namespace sluice::quality
