#include "quality/suite.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/env.h"
#include "common/hash.h"
#include "common/key.h"
#include "common/text.h"
#include "common/time.h"
#include "quality/drift.h"
#include "quality/profile.h"
#include "quality/rules/rule_table.h"
#include "sluice/error.h"

namespace sluice::quality {

nlohmann::json ValueJson(const Value& v) {
  if (v.is_null) return nullptr;
  switch (v.type) {
    case DataType::kInt64: return v.i;
    case DataType::kFloat64: return std::isfinite(v.d) ? nlohmann::json(v.d) : nlohmann::json(nullptr);
    case DataType::kBool: return v.i != 0;
    case DataType::kString: return v.s;
    case DataType::kTimestamp: return FormatTimestamp(v.i);
    case DataType::kFloat64List: return v.list;
  }
  return nullptr;
}

nlohmann::json CheckResult::ToJson() const {
  nlohmann::json j = {{"delivery", delivery},
                      {"suite", suite},
                      {"rule", rule},
                      {"column", column.empty() ? nlohmann::json(nullptr) : nlohmann::json(column)},
                      {"severity", severity},
                      {"status", status},
                      {"observed", observed ? nlohmann::json(*observed) : nlohmann::json(nullptr)},
                      {"element_count", element_count},
                      {"unexpected_count", unexpected_count},
                      {"unexpected_percent", unexpected_percent},
                      {"quarantined", quarantined},
                      {"examples", examples},
                      {"message", message}};
  return j;
}

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kPass: return "pass";
    case Status::kWarn: return "warn";
    case Status::kFail: return "fail";
  }
  return "fail";
}

std::optional<Status> ParseStatus(std::string_view text) {
  for (Status s : {Status::kPass, Status::kWarn, Status::kFail}) {
    if (StatusName(s) == text) return s;
  }
  return std::nullopt;
}

struct DeliveryCheck::Entry {
  std::string suite;
  std::string kind;
  repo::Severity severity;
  std::unique_ptr<Rule> rule;
  std::string column;  // the result's column: "amount", "a,b" or ""
  std::string label;   // "range(amount)", the reason written next to quarantined rows

  bool quarantines() const { return severity == repo::Severity::kQuarantine; }
};

DeliveryCheck::DeliveryCheck(const repo::RepoDefinition& repo, const repo::SourceDef& source,
                             Micros now, std::optional<Micros> newest_committed,
                             const KeyLoader& keys)
    : DeliveryCheck(repo.SuitesOf(source.name), source.schema, source.timestamp_field, now, keys) {
  newest_committed_ = newest_committed;
}

DeliveryCheck::DeliveryCheck(const std::vector<const repo::CheckSuiteDef*>& suites,
                             const Schema& schema, const std::string& timestamp_field, Micros now,
                             const KeyLoader& keys)
    : now_(now) {
  for (const repo::CheckSuiteDef* suite : suites) {
    for (const repo::RuleDef& def : suite->rules) {
      auto entry = std::make_unique<Entry>();
      entry->suite = suite->name;
      entry->kind = def.kind;
      entry->severity = def.severity;
      entry->rule = MakeRule(def);
      Rule& rule = *entry->rule;
      rule.UseDefaultTimestamp(timestamp_field, suite->name);
      const std::vector<std::string> columns = rule.columns();
      for (const std::string& c : columns) {
        if (FindField(schema, c) >= 0) continue;
        std::vector<std::string> names;
        for (const Field& f : schema) names.push_back(f.name);
        const std::string near = ClosestName(c, names);
        throw InputError(fmt::format(
            "check suite '{}', rule '{}': no column '{}'{}", suite->name, def.kind, c,
            near.empty() ? fmt::format(" (columns: {})", fmt::join(names, ", "))
                         : "; did you mean '" + near + "'?"));
      }
      entry->column = fmt::format("{}", fmt::join(columns, ","));
      entry->label = entry->column.empty() ? def.kind : def.kind + "(" + entry->column + ")";
      rule.Bind(Binding(schema, suite->name, def.kind, keys));
      entries_.push_back(std::move(entry));
    }
  }
}

DeliveryCheck::~DeliveryCheck() = default;

size_t DeliveryCheck::KeySetLimit() {
  static const size_t limit =
      static_cast<size_t>(PositiveEnv("SLUICE_KEY_SET_LIMIT", int64_t{1} << 27));
  return limit;
}

void DeliveryCheck::SetDeliveredColumns(std::vector<DeliveredColumn> columns) {
  delivered_ = std::move(columns);
}

bool DeliveryCheck::QuarantinesNulls(const std::string& column) const {
  for (const auto& e : entries_) {
    if (e->quarantines() && e->rule->judges_nulls_of(column)) return true;
  }
  return false;
}

void DeliveryCheck::Consume(const Batch& batch, int64_t first_row,
                            std::vector<uint8_t>& quarantine, std::vector<std::string>& reasons) {
  const size_t n = batch.num_rows;
  quarantine.assign(n, 0);
  reasons.resize(n);
  for (std::string& r : reasons) r.clear();
  thread_local std::vector<uint8_t> bad;
  for (auto& e : entries_) {
    if (!e->rule->row_level()) continue;
    bad.assign(n, 0);
    e->rule->Consume(batch, first_row, bad, e->quarantines());
    if (!e->quarantines()) continue;
    for (size_t r = 0; r < n; ++r) {
      if (!bad[r]) continue;
      quarantine[r] = 1;
      if (!reasons[r].empty()) reasons[r] += ", ";
      reasons[r] += e->label;
    }
  }
}

bool DeliveryCheck::needs_profile() const {
  for (const auto& e : entries_) {
    if (e->rule->reads_profile()) return true;
  }
  return false;
}

std::vector<CheckResult> DeliveryCheck::Finish(const Profile& kept, History& history) {
  const Evidence evidence{kept, history, delivered_, now_, newest_committed_};
  std::vector<CheckResult> out;
  for (auto& e : entries_) {
    Judgement j{e->severity};
    e->rule->Judge(evidence, j);
    const Status status = j.ok ? (j.quarantined ? Status::kWarn : Status::kPass)
                               : (j.severity == repo::Severity::kWarn ? Status::kWarn
                                                                      : Status::kFail);
    if (status == Status::kFail) failed_ = true;
    CheckResult c;
    c.suite = e->suite;
    c.rule = e->kind;
    c.column = e->column;
    c.severity = repo::SeverityName(j.severity);
    c.status = StatusName(status);
    c.observed = j.observed;
    c.element_count = j.element_count;
    c.unexpected_count = j.unexpected_count;
    c.unexpected_percent = j.unexpected_percent;
    c.quarantined = j.quarantined;
    c.examples = std::move(j.examples);
    c.message = std::move(j.message);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::vector<std::string>> CheckRows(const std::vector<CheckResult>& results) {
  std::vector<std::vector<std::string>> rows;
  for (const CheckResult& c : results) {
    std::string status = c.status;
    std::transform(status.begin(), status.end(), status.begin(), ::toupper);
    rows.push_back({status, c.suite, c.column.empty() ? c.rule : c.rule + "(" + c.column + ")",
                    c.severity, c.message});
  }
  return rows;
}

}  // namespace sluice::quality
