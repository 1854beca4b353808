// What changed between two versions of one definition, field by field, in words a user reads
// in `sluice plan`: "ttl: 30d -> 14d", "feature 'spend_1h' removed", "feature 'amount': expr
// 'amount' -> 'amount * 100'". Definitions are compared in their registry JSON (repo::ToJson).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sluice::registry {

// One line per changed field, in the order of the new definition's fields (removed fields
// last). Members of a list of named objects (features, schema fields, rules) are matched by
// name; a field whose name ends in `_us` is a duration and shown as one without the suffix.
std::vector<std::string> DefinitionChanges(const nlohmann::json& before,
                                           const nlohmann::json& after);

// How plan and describe show a field of a definition: its name (`ttl_us` → "ttl") and its value
// (a duration as written, "30d"; a string quoted; a list of names as [a, b]; else JSON).
std::string FieldName(const std::string& key);
std::string FieldText(const std::string& key, const nlohmann::json& value);

}  // namespace sluice::registry
