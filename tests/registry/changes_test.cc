// `sluice plan`'s field-level changes (registry::DefinitionChanges).
#include <gtest/gtest.h>

#include "registry/changes.h"

namespace sluice::registry {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

TEST(DefinitionChanges, NamesFieldsDurationsAndNamedMembers) {
  const json before = json::parse(R"({"name": "v", "entities": ["user"], "source": "tx",
      "ttl_us": 2592000000000, "features": [
        {"name": "a", "expr": "amount", "type": "float64"},
        {"name": "b", "expr": "x", "type": "int64", "aggregate": "sum",
         "window_us": 3600000000, "hop_us": 60000000},
        {"name": "gone", "expr": "y", "type": "string"}]})");
  const json after = json::parse(R"({"name": "v", "entities": ["user", "merchant"],
      "source": "tx", "ttl_us": 1209600000000, "features": [
        {"name": "a", "expr": "amount * 100", "type": "float64"},
        {"name": "b", "expr": "x", "type": "int64", "aggregate": "sum",
         "window_us": 5400000000, "hop_us": 0},
        {"name": "new", "expr": "z", "type": "bool", "where": "z"}]})");
  EXPECT_EQ(DefinitionChanges(before, after),
            (Lines{"entities: [user] -> [user, merchant]",
                   "feature 'a' expr: 'amount' -> 'amount * 100'",
                   "feature 'b' hop: 1m -> 0",
                   "feature 'b' window: 1h -> 90m",
                   "feature 'new' added",
                   "feature 'gone' removed",
                   "ttl: 30d -> 14d"}));
  EXPECT_EQ(DefinitionChanges(before, before), Lines{});
}

TEST(DefinitionChanges, FieldsAppearingDisappearingAndReordered) {
  const json before = json::parse(R"({"name": "s", "type": "file", "path": "a.csv",
      "schema": [{"name": "id", "type": "int64"}, {"name": "v", "type": "float64"}]})");
  const json after = json::parse(R"({"name": "s", "type": "file", "query": "SELECT 1",
      "created_timestamp_field": "c",
      "schema": [{"name": "v", "type": "string"}, {"name": "id", "type": "int64"}]})");
  EXPECT_EQ(DefinitionChanges(before, after),
            (Lines{"created_timestamp_field: (none) -> 'c'", "query: (none) -> 'SELECT 1'",
                   "field 'v' type: 'float64' -> 'string'", "schema order: [id, v] -> [v, id]",
                   "path: 'a.csv' -> (none)"}));
}

TEST(DefinitionChanges, RulesAreMatchedByKindAndPosition) {
  const json before = json::parse(R"({"name": "c", "source": "tx", "rules": [
      {"rule": "not_null", "column": "a", "severity": "fail"},
      {"rule": "not_null", "column": "b", "severity": "fail"},
      {"rule": "range", "column": "x", "min": 0.0, "severity": "warn"}]})");
  const json after = json::parse(R"({"name": "c", "source": "tx", "rules": [
      {"rule": "not_null", "column": "a", "severity": "fail"},
      {"rule": "not_null", "column": "c", "severity": "quarantine"}]})");
  EXPECT_EQ(DefinitionChanges(before, after),
            (Lines{"rule 'not_null #2' column: 'b' -> 'c'",
                   "rule 'not_null #2' severity: 'fail' -> 'quarantine'",
                   "rule 'range' removed"}));
}

}  // namespace
}  // namespace sluice::registry
