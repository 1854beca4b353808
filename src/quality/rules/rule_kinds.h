// The factories of the rule classes, one per kind, for the table (rule_table.cc). Internal to
// quality/rules/.
#pragma once

#include <memory>

#include "quality/rules/rule.h"

namespace sluice::quality {

// row_rules.cc
std::unique_ptr<Rule> MakeNotNullRule();
std::unique_ptr<Rule> MakeRangeRule();
std::unique_ptr<Rule> MakeAcceptedValuesRule();
std::unique_ptr<Rule> MakeRegexRule();
std::unique_ptr<Rule> MakeUniqueRule();
std::unique_ptr<Rule> MakeReferentialRule();
// profile_rules.cc
std::unique_ptr<Rule> MakeRowCountRule();
std::unique_ptr<Rule> MakeNullRateRule();
std::unique_ptr<Rule> MakeMeanRule();
std::unique_ptr<Rule> MakeStddevRule();
std::unique_ptr<Rule> MakeQuantileRule();
std::unique_ptr<Rule> MakeFreshnessRule();
// history_rules.cc
std::unique_ptr<Rule> MakeDriftRule();
std::unique_ptr<Rule> MakeVolumeRule();
// schema_rule.cc
std::unique_ptr<Rule> MakeSchemaRule();

}  // namespace sluice::quality
