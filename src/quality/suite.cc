#include "quality/suite.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_set>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/key.h"
#include "common/text.h"
#include "common/time.h"
#include "quality/drift.h"
#include "quality/profile.h"
#include "sluice/error.h"

namespace sluice::quality {
namespace {

constexpr size_t kMaxExamples = 20;
constexpr size_t kRegexMemo = 4096;  // distinct values whose regex answer is kept

std::string Bounds(const repo::RuleDef& d) {
  if (d.min && d.max) return fmt::format("[{}, {}]", *d.min, *d.max);
  if (d.min) return fmt::format(">= {}", *d.min);
  return fmt::format("<= {}", *d.max);
}

double AsDouble(const Column& c, size_t r) {
  return c.type == DataType::kFloat64 ? c.f64[r] : static_cast<double>(c.i64[r]);
}

const ColumnProfile& ProfileOf(const Profile& p, const std::string& name) {
  const ColumnProfile* c = p.Find(name);
  if (!c) throw InternalError("check suites: the profile has no column '" + name + "'");
  return *c;
}

}  // namespace

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

struct DeliveryCheck::Rule {
  enum class Kind { kNotNull, kRange, kAccepted, kRegex, kUnique, kReferential, kWhole };
  std::string suite;
  repo::RuleDef def;
  Kind kind = Kind::kWhole;
  std::string label;  // "range(amount)", the reason written next to quarantined rows
  // Row-level rules.
  int64_t elements = 0;
  int64_t unexpected = 0;
  int64_t quarantined = 0;
  nlohmann::json examples = nlohmann::json::array();
  std::unique_ptr<RE2> regex;
  // Regex answers by value, while few: categorical columns repeat their values, and a hash
  // lookup is cheaper than a match.
  StringVerdicts regex_memo;
  StringVerdicts accepted_strings;  // every accepted string passes; others are unknown
  std::unordered_set<int64_t> accepted_ints;
  HashSet seen;                       // unique: hashes of the keys seen so far;
                                      // referential: the other source's keys
  std::string key;                    // unique: scratch

  bool quarantines() const { return def.severity == "quarantine"; }

  void Example(int64_t row, nlohmann::json value) {
    if (examples.size() < kMaxExamples) examples.push_back({{"row", row + 1}, {"value", value}});
  }

  // Marks bad[r] for the rows of `b` that break this row-level rule.
  void Judge(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) {
    const size_t n = b.num_rows;
    if (kind == Kind::kUnique || kind == Kind::kReferential) {
      std::vector<const Column*> cols;
      for (const std::string& c : def.columns) cols.push_back(&b.Get(c));
      for (size_t r = 0; r < n; ++r) {
        bool null = false;
        for (const Column* c : cols) null |= c->IsNull(r);
        if (null) continue;
        ++elements;
        key.clear();
        AppendKeyEncoding(cols, r, key);
        const uint64_t h = Xxh64(key.data(), key.size());
        if (kind == Kind::kUnique ? seen.Insert(h) : seen.Contains(h)) {
          if (kind == Kind::kUnique && seen.size() > KeySetLimit()) {
            throw InputError(fmt::format(
                "check suite '{}', rule '{}': more than {} distinct keys in the delivery, the "
                "most a unique rule holds in memory (16-32 bytes each); raise "
                "SLUICE_KEY_SET_LIMIT to judge more",
                suite, label, KeySetLimit()));
          }
          continue;
        }
        bad[r] = 1;
        nlohmann::json v = nlohmann::json::array();
        for (const Column* c : cols) v.push_back(ValueJson(c->Get(r)));
        if (cols.size() == 1) v = v[0];
        Example(first_row + static_cast<int64_t>(r), std::move(v));
      }
      return;
    }
    const Column& c = b.Get(def.column);
    auto fail = [&](size_t r, nlohmann::json value) {
      bad[r] = 1;
      Example(first_row + static_cast<int64_t>(r), std::move(value));
    };
    switch (kind) {
      case Kind::kNotNull:
        elements += static_cast<int64_t>(n);
        for (size_t r = 0; r < n; ++r) {
          if (c.IsNull(r)) fail(r, nullptr);
        }
        return;
      case Kind::kRange: {
        const double lo = def.min.value_or(-HUGE_VAL), hi = def.max.value_or(HUGE_VAL);
        for (size_t r = 0; r < n; ++r) {
          if (c.IsNull(r)) continue;
          ++elements;
          const double v = AsDouble(c, r);
          if (!(v >= lo && v <= hi)) fail(r, ValueJson(c.Get(r)));
        }
        return;
      }
      case Kind::kAccepted:
        for (size_t r = 0; r < n; ++r) {
          if (c.IsNull(r)) continue;
          ++elements;
          const bool ok = c.type == DataType::kString
                              ? accepted_strings.Find(c.str[r]) == StringVerdicts::kPass
                              : accepted_ints.count(c.i64[r]) > 0;
          if (!ok) fail(r, ValueJson(c.Get(r)));
        }
        return;
      case Kind::kRegex:
        for (size_t r = 0; r < n; ++r) {
          if (c.IsNull(r)) continue;
          ++elements;
          bool ok;
          if (const auto known = regex_memo.Find(c.str[r]); known != StringVerdicts::kUnknown) {
            ok = known == StringVerdicts::kPass;
          } else {
            ok = RE2::PartialMatch(c.str[r], *regex);
            if (regex_memo.size() < kRegexMemo) regex_memo.Add(c.str[r], ok);
          }
          if (!ok) fail(r, ValueJson(c.Get(r)));
        }
        return;
      default: return;
    }
  }

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
      std::vector<std::string> needed = def.columns;
      if (!def.column.empty()) needed.push_back(def.column);
      if (def.rule == "freshness" && def.column.empty()) {
        if (timestamp_field.empty()) {
          throw InputError(fmt::format("check suite '{}': freshness needs a column here",
                                       suite->name));
        }
        needed.push_back(timestamp_field);
      }
      auto wrong_type = [&](const std::string& col, const char* expected) {
        const DataType t = schema[FindField(schema, col)].type;
        return InputError(fmt::format("check suite '{}', rule '{}': column '{}' is {}, not {}",
                                      suite->name, def.rule, col, TypeName(t), expected));
      };
      for (const std::string& c : needed) {
        if (FindField(schema, c) < 0) {
          std::vector<std::string> names;
          for (const Field& f : schema) names.push_back(f.name);
          const std::string near = ClosestName(c, names);
          throw InputError(fmt::format("check suite '{}', rule '{}': no column '{}'{}",
                                       suite->name, def.rule, c,
                                       near.empty() ? fmt::format(" (columns: {})",
                                                                  fmt::join(names, ", "))
                                                    : "; did you mean '" + near + "'?"));
        }
      }
      auto rule = std::make_unique<Rule>();
      rule->suite = suite->name;
      rule->def = def;
      using Kind = Rule::Kind;
      rule->kind = def.rule == "not_null"          ? Kind::kNotNull
                   : def.rule == "range"           ? Kind::kRange
                   : def.rule == "accepted_values" ? Kind::kAccepted
                   : def.rule == "regex"           ? Kind::kRegex
                   : def.rule == "unique"          ? Kind::kUnique
                   : def.rule == "referential"     ? Kind::kReferential
                                                   : Kind::kWhole;
      if (rule->kind == Kind::kReferential) {
        if (!keys) throw InternalError("check suites: referential rules need a key loader");
        rule->seen = keys(def.source, def.columns);
        if (rule->seen.size() > KeySetLimit()) {
          throw InputError(fmt::format(
              "check suite '{}', rule 'referential': source '{}' has more than {} distinct keys, "
              "the most a referential rule holds in memory (16-32 bytes each); raise "
              "SLUICE_KEY_SET_LIMIT to judge more",
              suite->name, def.source, KeySetLimit()));
        }
      }
      if (def.rule == "freshness" && def.column.empty()) rule->def.column = timestamp_field;
      const std::string cols =
          def.columns.empty() ? rule->def.column : fmt::format("{}", fmt::join(def.columns, ","));
      rule->label = cols.empty() ? def.rule : def.rule + "(" + cols + ")";
      if (def.rule == "regex") {
        rule->regex = std::make_unique<RE2>(def.pattern, RE2::Quiet);
        if (!rule->regex->ok()) {
          throw InputError(fmt::format("check suite '{}': bad pattern '{}': {}", suite->name,
                                       def.pattern, rule->regex->error()));
        }
      }
      if (!def.column.empty()) {
        const DataType type = schema[FindField(schema, def.column)].type;
        const bool numeric = type == DataType::kInt64 || type == DataType::kFloat64;
        const bool needs_number = def.rule == "range" || def.rule == "mean" ||
                                  def.rule == "stddev" || def.rule == "quantile";
        if (needs_number && !numeric) throw wrong_type(def.column, "a number");
        if (def.rule == "regex" && type != DataType::kString) {
          throw wrong_type(def.column, "a string");
        }
        if (def.rule == "freshness" && type != DataType::kTimestamp) {
          throw wrong_type(def.column, "a timestamp");
        }
      }
      if (def.rule == "accepted_values") {
        const DataType type = schema[FindField(schema, def.column)].type;
        for (const std::string& v : def.values) {
          if (type == DataType::kString) {
            rule->accepted_strings.Add(v, true);
          } else if (auto parsed = ParseScalar(v, type);
                     parsed && (type == DataType::kInt64 || type == DataType::kBool)) {
            rule->accepted_ints.insert(parsed->i);
          } else {
            throw InputError(fmt::format("check suite '{}', rule '{}': '{}' is not a value of "
                                         "column '{}' ({})",
                                         suite->name, def.rule, v, def.column, TypeName(type)));
          }
        }
      }
      rules_.push_back(std::move(rule));
    }
  }
}

DeliveryCheck::~DeliveryCheck() = default;

size_t DeliveryCheck::KeySetLimit() {
  static const size_t limit = [] {
    const char* env = std::getenv("SLUICE_KEY_SET_LIMIT");
    const long long v = env ? std::atoll(env) : 0;
    return v > 0 ? static_cast<size_t>(v) : size_t{1} << 27;
  }();
  return limit;
}

void DeliveryCheck::SetDeliveredColumns(std::vector<DeliveredColumn> columns) {
  delivered_ = std::move(columns);
}

bool DeliveryCheck::QuarantinesNulls(const std::string& column) const {
  for (const auto& r : rules_) {
    if (r->def.rule == "not_null" && r->def.column == column && r->quarantines()) return true;
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
  for (auto& rule : rules_) {
    if (!repo::IsRowLevelRule(rule->def.rule)) continue;
    bad.assign(n, 0);
    rule->Judge(batch, first_row, bad);
    for (size_t r = 0; r < n; ++r) {
      if (!bad[r]) continue;
      ++rule->unexpected;
      if (!rule->quarantines()) continue;
      ++rule->quarantined;
      quarantine[r] = 1;
      if (!reasons[r].empty()) reasons[r] += ", ";
      reasons[r] += rule->label;
    }
  }
}

bool DeliveryCheck::needs_profile() const {
  for (const auto& r : rules_) {
    if (r->kind == Rule::Kind::kWhole && r->def.rule != "schema") return true;
  }
  return false;
}

std::vector<CheckResult> DeliveryCheck::Finish(const Profile& kept, History& history) {
  std::vector<CheckResult> out;
  for (auto& rule : rules_) {
    const repo::RuleDef& d = rule->def;
    CheckResult c;
    c.suite = rule->suite;
    c.rule = d.rule;
    c.column = d.columns.empty() ? d.column : fmt::format("{}", fmt::join(d.columns, ","));
    c.severity = d.severity;
    bool ok = true;
    if (repo::IsRowLevelRule(d.rule)) {
      c.element_count = rule->elements;
      c.unexpected_count = rule->unexpected;
      c.quarantined = rule->quarantined;
      c.examples = std::move(rule->examples);
      c.unexpected_percent =
          c.element_count ? 100.0 * static_cast<double>(c.unexpected_count) / c.element_count : 0;
      c.observed = c.element_count
                       ? static_cast<double>(c.element_count - c.unexpected_count) / c.element_count
                       : 1.0;
      const std::string what = d.rule == "not_null"          ? "null"
                         : d.rule == "range"           ? "outside the range"
                         : d.rule == "accepted_values" ? "not an accepted value"
                         : d.rule == "regex"           ? "not matching the pattern"
                         : d.rule == "unique"          ? "repeating an earlier key"
                                                       : "with a key missing from " + d.source;
      c.message = fmt::format("{} of {} values {}", c.unexpected_count, c.element_count, what);
      if (d.rule == "range") c.message += " " + Bounds(d);
      if (rule->quarantines()) {
        // Bad rows are quarantined; an explicit `mostly` still rejects a delivery that is
        // mostly bad.
        ok = !d.mostly || *c.observed >= *d.mostly;
        if (c.quarantined) c.message += fmt::format("; {} rows quarantined", c.quarantined);
      } else {
        ok = *c.observed >= d.mostly.value_or(1.0);
      }
      if (d.mostly) c.message += fmt::format(" (passed {:.4g}, mostly {})", *c.observed, *d.mostly);
    } else if (d.rule == "row_count") {
      c.observed = static_cast<double>(kept.rows());
      c.element_count = kept.rows();
      ok = (!d.min || *c.observed >= *d.min) && (!d.max || *c.observed <= *d.max);
      c.message = fmt::format("{} rows, expected {}", kept.rows(), Bounds(d));
    } else if (d.rule == "null_rate") {
      const ColumnProfile& col = ProfileOf(kept, d.column);
      c.element_count = col.count;
      c.unexpected_count = col.nulls;
      c.observed = col.count ? static_cast<double>(col.nulls) / col.count : 0.0;
      ok = (!d.min || *c.observed >= *d.min) && (!d.max || *c.observed <= *d.max);
      c.message = fmt::format("{} of {} values null ({:.4g}), expected {}", col.nulls, col.count,
                              *c.observed, Bounds(d));
    } else if (d.rule == "mean" || d.rule == "stddev" || d.rule == "quantile") {
      const ColumnProfile& col = ProfileOf(kept, d.column);
      c.element_count = col.count - col.nulls;
      const bool empty = c.element_count == 0;
      if (!empty) {
        c.observed = d.rule == "mean"     ? col.moments.mean
                     : d.rule == "stddev" ? col.moments.Stddev()
                                          : col.quantiles.Quantile(d.q);
      }
      ok = !empty && (!d.min || *c.observed >= *d.min) && (!d.max || *c.observed <= *d.max);
      const std::string name = d.rule == "quantile" ? fmt::format("quantile {}", d.q) : d.rule;
      c.message = empty ? fmt::format("no non-null values to take the {} of", name)
                        : fmt::format("{} {:.6g}, expected {}", name, *c.observed, Bounds(d));
    } else if (d.rule == "freshness") {
      const ColumnProfile& col = ProfileOf(kept, d.column);
      std::optional<Micros> newest;
      if (col.moments.count > 0) newest = static_cast<Micros>(std::llround(col.moments.max));
      if (newest_committed_) newest = std::max(newest.value_or(*newest_committed_), *newest_committed_);
      c.severity = d.error_after_us ? "fail" : "warn";
      if (!newest) {
        c.message = "no timestamps: nothing to measure freshness on";
        ok = false;
      } else {
        const Micros lag = now_ - *newest;
        c.observed = static_cast<double>(lag) / 1e6;  // seconds
        const bool error = d.error_after_us && lag > *d.error_after_us;
        const bool warn = d.warn_after_us && lag > *d.warn_after_us;
        c.message = fmt::format("newest {} is {} old", FormatTimestamp(*newest),
                                FormatDuration(lag));
        if (error) {
          c.severity = "fail";
          ok = false;
        } else if (warn) {
          c.severity = "warn";
          ok = false;
        }
      }
    } else if (d.rule == "drift") {
      const ColumnProfile& col = ProfileOf(kept, d.column);
      const std::optional<Profile> ref = history.Reference(d.reference);
      const ColumnProfile* ref_col = ref ? ref->Find(d.column) : nullptr;
      const char* name = d.method == "psi" ? "PSI" : d.method == "ks" ? "KS" : "JS";
      if (!ref_col || ref_col->count == ref_col->nulls) {
        c.message = fmt::format("no {} reference to compare with yet", d.reference);
      } else {
        c.element_count = col.count - col.nulls;
        c.observed = d.method == "psi"  ? Psi(*ref_col, col)
                     : d.method == "ks" ? KolmogorovSmirnov(*ref_col, col)
                                        : JensenShannon(*ref_col, col);
        ok = *c.observed <= *d.max;
        c.message = fmt::format("{} {:.4g} against {}, expected <= {}", name, *c.observed,
                                d.reference, *d.max);
      }
    } else if (d.rule == "volume") {
      const std::vector<int64_t> past = history.RecentRows(d.last);
      c.observed = static_cast<double>(kept.rows());
      c.element_count = kept.rows();
      if (past.size() < 2) {
        c.message = fmt::format("{} rows; not enough history ({} earlier deliveries, 2 needed)",
                                kept.rows(), past.size());
      } else {
        sketch::Moments m;
        for (int64_t r : past) m.Update(static_cast<double>(r));
        const double lo = m.mean - d.k * m.Stddev(), hi = m.mean + d.k * m.Stddev();
        ok = *c.observed >= lo && *c.observed <= hi;
        c.message = fmt::format("{} rows; the last {} deliveries: mean {:.6g}, stddev {:.4g}, "
                                "expected [{:.6g}, {:.6g}]",
                                kept.rows(), past.size(), m.mean, m.Stddev(), lo, hi);
      }
    } else if (d.rule == "schema") {
      std::vector<std::string> problems;
      for (const Field& f : d.schema) {
        auto it = std::find_if(delivered_.begin(), delivered_.end(),
                               [&](const DeliveredColumn& x) { return x.name == f.name; });
        if (it == delivered_.end()) {
          problems.push_back(fmt::format("column '{}' is missing", f.name));
        } else if (it->type != TypeName(f.type)) {
          problems.push_back(fmt::format("column '{}' is {}, expected {}", f.name, it->type,
                                         TypeName(f.type)));
        }
      }
      if (!d.allow_extra) {
        for (const DeliveredColumn& x : delivered_) {
          if (FindField(d.schema, x.name) < 0) {
            problems.push_back(fmt::format("unexpected column '{}'", x.name));
          }
        }
      }
      c.element_count = static_cast<int64_t>(d.schema.size());
      c.unexpected_count = static_cast<int64_t>(problems.size());
      ok = problems.empty();
      c.message = ok ? fmt::format("{} columns as expected", d.schema.size())
                     : fmt::format("{}", fmt::join(problems, "; "));
    }
    c.status = ok ? (c.quarantined ? "warn" : "pass") : (c.severity == "warn" ? "warn" : "fail");
    if (c.status == "fail") failed_ = true;
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
