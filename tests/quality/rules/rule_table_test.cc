// The rule classes through their table: reading YAML into canonical params (the encoding the
// suite versions hash), errors with file:line, and judging batches. Expected values by hand.
#include "quality/rules/rule_table.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "column_util.h"
#include "repo/yaml_reader.h"
#include "sluice/error.h"

namespace sluice::quality {
namespace {

repo::RuleDef Parse(const std::string& yaml) {
  const YAML::Node n = YAML::Load(yaml);
  repo::RuleDef def;
  def.kind = n["rule"].as<std::string>();
  ParseRule(repo::YamlReader{"defs.yaml"}, n, "gate", def);
  return def;
}

TEST(RuleTable, EveryKindOnceAndRowLevelOnlyTheRowRules) {
  std::vector<std::string> row_level;
  for (const RuleKind& k : RuleKinds()) {
    EXPECT_EQ(FindRuleKind(k.name), &k);
    if (k.make()->row_level()) row_level.emplace_back(k.name);
  }
  EXPECT_EQ(RuleKinds().size(), 15u);
  EXPECT_EQ(row_level, (std::vector<std::string>{"not_null", "range", "accepted_values", "regex",
                                                 "unique", "referential"}));
  EXPECT_EQ(FindRuleKind("rnage"), nullptr);
}

TEST(RuleTable, ParamsAreTheCanonicalEncoding) {
  EXPECT_EQ(Parse("{rule: range, column: amount, min: 0, mostly: 0.5, severity: quarantine}")
                .params.dump(),
            R"({"column":"amount","min":0.0,"mostly":0.5})");
  EXPECT_EQ(Parse("{rule: unique, column: id}").params.dump(), R"({"columns":["id"]})");
  EXPECT_EQ(Parse("{rule: drift, column: a, method: ks, max: 0.2}").params.dump(),
            R"({"column":"a","max":0.2,"method":"ks","reference":"previous"})");
  EXPECT_EQ(Parse("{rule: volume, last: 7}").params.dump(), R"({"k":3.0,"last":7})");
  EXPECT_EQ(Parse("{rule: freshness, warn_after: 2s}").params.dump(),
            R"({"warn_after_us":2000000})");
  EXPECT_EQ(Parse("{rule: schema, columns: {id: int64}}").params.dump(),
            R"({"allow_extra":true,"schema":[{"name":"id","type":"int64"}]})");
  EXPECT_EQ(Parse("{rule: not_null, column: id, severity: warn}").severity, repo::Severity::kWarn);
}

TEST(RuleTable, ErrorsNameTheRuleAndItsLine) {
  try {
    Parse("\n\n{rule: range, column: amount}");
    FAIL() << "no error";
  } catch (const DefinitionError& e) {
    EXPECT_EQ(e.file(), "defs.yaml");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.message(), "rule 'range' of check suite 'gate' has neither min nor max");
  }
  EXPECT_THROW(Parse("{rule: mean, column: a, max: 1, mostly: 0.5}"), DefinitionError);
  EXPECT_THROW(Parse("{rule: rnage, column: a}"), DefinitionError);
  EXPECT_THROW(Parse("{rule: not_null, column: a, severity: loud}"), DefinitionError);
}

TEST(RangeRule, JudgesNonNullValuesAgainstItsBounds) {
  // amount: 1, null, 50, -3, 10 with range [0, 10]: 4 judged, 50 and -3 fail.
  Batch b;
  b.AddColumn("amount", Floats({1.0, std::nullopt, 50.0, -3.0, 10.0}));
  const repo::RuleDef def = Parse("{rule: range, column: amount, min: 0, max: 10, mostly: 0.4}");
  std::unique_ptr<Rule> rule = MakeRule(def);
  const Schema schema = {{"amount", DataType::kFloat64}};
  const std::string suite = "gate";
  rule->Bind(Binding(schema, suite, def.kind, nullptr));
  std::vector<uint8_t> bad(b.num_rows, 0);
  rule->Consume(b, 0, bad, /*quarantines=*/false);
  EXPECT_EQ(bad, (std::vector<uint8_t>{0, 0, 1, 1, 0}));
  Judgement j{repo::Severity::kFail};
  const Profile none;
  struct NoHistory : History {
    std::optional<Profile> Reference(const std::string&) override { return std::nullopt; }
    std::vector<int64_t> RecentRows(int64_t) override { return {}; }
  } history;
  rule->Judge(Evidence{none, history, {}, 0, std::nullopt}, j);
  EXPECT_EQ(j.element_count, 4);
  EXPECT_EQ(j.unexpected_count, 2);
  EXPECT_DOUBLE_EQ(*j.observed, 0.5);
  EXPECT_TRUE(j.ok);  // 0.5 >= mostly 0.4
  EXPECT_EQ(j.message, "2 of 4 values outside the range [0, 10] (passed 0.5, mostly 0.4)");
  EXPECT_EQ(j.examples.size(), 2u);
  EXPECT_EQ(j.examples[0]["row"], 3);
}

TEST(RuleTable, AWholeDeliveryRuleCannotQuarantine) {
  repo::RepoDefinition repo;
  repo::SourceDef s;
  s.name = "tx";
  s.timestamp_field = "ts";
  s.schema = {{"ts", DataType::kTimestamp}, {"a", DataType::kFloat64}};
  repo.sources.push_back(s);
  repo::CheckSuiteDef c;
  c.name = "gate";
  c.source = "tx";
  c.rules.push_back(Parse("{rule: mean, column: a, max: 1, severity: quarantine}"));
  repo.checks.push_back(c);
  try {
    CheckSuites(repo);
    FAIL() << "no error";
  } catch (const DefinitionError& e) {
    EXPECT_NE(e.message().find("cannot quarantine"), std::string::npos);
    EXPECT_EQ(e.hint(),
              "use severity: fail or warn (quarantine: not_null, range, accepted_values, regex, "
              "unique, referential)");
  }
}

}  // namespace
}  // namespace sluice::quality
