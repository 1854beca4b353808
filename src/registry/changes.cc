#include "registry/changes.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/json.h"
#include "common/time.h"

namespace sluice::registry {

using nlohmann::json;

namespace {

// What a list of named objects calls one member: features, schema fields, rules.
std::string MemberWord(const std::string& list) {
  if (list == "features") return "feature";
  if (list == "schema" || list == "request") return "field";
  if (list == "rules") return "rule";
  return list;
}

}  // namespace

std::string FieldName(const std::string& key) {
  return key.ends_with("_us") ? key.substr(0, key.size() - 3) : key;
}

std::string FieldText(const std::string& key, const json& v) {
  if (v.is_null()) return "(none)";
  if (key.ends_with("_us") && v.is_number_integer()) return DurationLiteral(v.get<int64_t>());
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) {
        return x.is_string();
      })) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i].get<std::string>();
    return out + "]";
  }
  return JsonText(v);
}

namespace {

// Whether every element of `v` is an object with a string "name" (or, for rules, "rule").
const char* NameKey(const json& v) {
  if (!v.is_array() || v.empty()) return nullptr;
  for (const char* key : {"name", "rule"}) {
    if (std::all_of(v.begin(), v.end(), [&](const json& x) {
          return x.is_object() && x.contains(key) && x[key].is_string();
        })) {
      return key;
    }
  }
  return nullptr;
}

void Diff(const std::string& prefix, const json& before, const json& after,
          std::vector<std::string>& out);

// Lists of named members: added, removed, changed (matched by name; a rule by its kind and
// position among rules of that kind).
void DiffNamed(const std::string& prefix, const std::string& list, const json& before,
               const json& after, std::vector<std::string>& out) {
  const std::string word = MemberWord(list);
  const char* key = NameKey(before.empty() ? after : before);
  auto label = [&](const json& m, const json& all, size_t index) {
    std::string name = m.value(key, std::string());
    if (std::string(key) == "rule") {
      // rules have no name: the n-th rule of its kind
      size_t n = 0;
      for (size_t i = 0; i < index; ++i) n += all[i].value(key, "") == name ? 1 : 0;
      if (n > 0) name += fmt::format(" #{}", n + 1);
    }
    return name;
  };
  std::vector<std::string> before_names, after_names;
  for (size_t i = 0; i < before.size(); ++i) before_names.push_back(label(before[i], before, i));
  for (size_t i = 0; i < after.size(); ++i) after_names.push_back(label(after[i], after, i));
  for (size_t i = 0; i < after.size(); ++i) {
    const auto it = std::find(before_names.begin(), before_names.end(), after_names[i]);
    const std::string what = fmt::format("{}{} '{}'", prefix, word, after_names[i]);
    if (it == before_names.end()) {
      out.push_back(what + " added");
    } else {
      Diff(what + " ", before[it - before_names.begin()], after[i], out);
    }
  }
  for (size_t i = 0; i < before.size(); ++i) {
    if (std::find(after_names.begin(), after_names.end(), before_names[i]) == after_names.end()) {
      out.push_back(fmt::format("{}{} '{}' removed", prefix, word, before_names[i]));
    }
  }
  // Same members in another order: the order matters (output columns).
  if (before_names != after_names && before_names.size() == after_names.size() &&
      std::is_permutation(before_names.begin(), before_names.end(), after_names.begin())) {
    out.push_back(fmt::format("{}{} order: {} -> {}", prefix, list, FieldText("", before_names),
                              FieldText("", after_names)));
  }
}

void Diff(const std::string& prefix, const json& before, const json& after,
          std::vector<std::string>& out) {
  if (!before.is_object() || !after.is_object()) return;
  auto field = [&](const std::string& k, const json& b, const json& a) {
    if (b == a) return;
    const char* named = NameKey(b.is_array() && !b.empty() ? b : a);
    if (named != nullptr && (b.is_array() || b.is_null()) && (a.is_array() || a.is_null())) {
      return DiffNamed(prefix, k, b.is_null() ? json::array() : b, a.is_null() ? json::array() : a,
                       out);
    }
    if (b.is_object() && a.is_object()) return Diff(prefix + FieldName(k) + " ", b, a, out);
    out.push_back(
        fmt::format("{}{}: {} -> {}", prefix, FieldName(k), FieldText(k, b), FieldText(k, a)));
  };
  for (const auto& [k, a] : after.items()) {
    if (k == "version" || k == "name") continue;
    field(k, before.contains(k) ? before[k] : json(), a);
  }
  for (const auto& [k, b] : before.items()) {
    if (k == "version" || k == "name" || after.contains(k)) continue;
    field(k, b, json());
  }
}

}  // namespace

std::vector<std::string> DefinitionChanges(const json& before, const json& after) {
  std::vector<std::string> out;
  Diff("", before, after, out);
  return out;
}

}  // namespace sluice::registry
