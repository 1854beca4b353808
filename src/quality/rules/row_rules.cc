// The row-level rules: not_null, range, accepted_values, regex, unique, referential.
#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <unordered_set>

#include "common/hash.h"
#include "common/key.h"
#include "common/text.h"
#include "quality/hash_set.h"
#include "quality/rules/rule_kinds.h"
#include "repo/yaml_reader.h"

namespace sluice::quality {
namespace {

constexpr size_t kRegexMemo = 4096;  // distinct values whose regex answer is kept

double AsDouble(const Column& c, size_t r) {
  return c.type == DataType::kFloat64 ? c.f64[r] : static_cast<double>(c.i64[r]);
}

bool IsNumber(DataType t) { return t == DataType::kInt64 || t == DataType::kFloat64; }

// A rule over one column.
class ColumnRowRule : public RowRule {
 public:
  std::vector<std::string> columns() const override { return {column_}; }

 protected:
  std::string column_;
};

class NotNullRule final : public ColumnRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    ReadMostly(in, p);
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    LoadMostly(p);
  }
  bool judges_nulls_of(const std::string& column) const override { return column == column_; }
  bool judges_every_row() const override { return true; }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    const Column& c = b.Get(column_);
    elements_ += static_cast<int64_t>(b.num_rows);
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (!c.IsNull(r)) continue;
      bad[r] = 1;
      Example(first_row + static_cast<int64_t>(r), nullptr);
    }
  }
  std::string Failing() const override { return "null"; }
};

class RangeRule final : public ColumnRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    ReadBounds(in, p, /*mostly=*/true);
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    min_ = OptionalNumber(p, "min");
    max_ = OptionalNumber(p, "max");
    LoadMostly(p);
  }
  void CheckSource(const SourceTarget& t) const override {
    const DataType type = t.ColumnType(column_);
    if (!IsNumber(type)) {
      t.Fail(fmt::format("{}: column '{}' is {}, not a number", t.what, column_, TypeName(type)),
             "range, mean, stddev and quantile take int64 or float64 columns");
    }
  }
  void Bind(const Binding& b) override {
    if (!IsNumber(b.TypeOf(column_))) throw b.WrongType(column_, "a number");
  }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    const Column& c = b.Get(column_);
    const double lo = min_.value_or(-HUGE_VAL), hi = max_.value_or(HUGE_VAL);
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (c.IsNull(r)) continue;
      ++elements_;
      const double v = AsDouble(c, r);
      if (v >= lo && v <= hi) continue;
      bad[r] = 1;
      Example(first_row + static_cast<int64_t>(r), ValueJson(c.Get(r)));
    }
  }
  std::string Failing() const override { return "outside the range " + BoundsText(min_, max_); }

 private:
  std::optional<double> min_, max_;
};

class AcceptedValuesRule final : public ColumnRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    ReadMostly(in, p);
    const YAML::Node v = in.node()["values"];
    if (!v || !v.IsSequence() || v.size() == 0) {
      in.Fail("values", in.what() + " needs a non-empty list of values", "values: [a, b, c]");
    }
    std::vector<std::string> values;
    for (const auto& x : v) {
      if (!x.IsScalar()) in.doc().Fail(x, in.what() + ": values must be scalars", "");
      values.push_back(x.as<std::string>());
    }
    p["values"] = values;
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    values_ = p.value("values", std::vector<std::string>{});
    LoadMostly(p);
  }
  void CheckSource(const SourceTarget& t) const override {
    const DataType type = t.ColumnType(column_);
    if (type != DataType::kString && type != DataType::kInt64 && type != DataType::kBool) {
      t.Fail(fmt::format("{}: column '{}' is {}", t.what, column_, TypeName(type)),
             "accepted_values takes string, int64 or bool columns");
    }
    for (const std::string& v : values_) {
      if (type == DataType::kString) continue;
      if (!ParseScalar(v, type)) {
        t.Fail(fmt::format("{}: value '{}' is not a {}", t.what, v, TypeName(type)),
               "list values of the column's type");
      }
    }
  }
  void Bind(const Binding& b) override {
    const DataType type = b.TypeOf(column_);
    for (const std::string& v : values_) {
      if (type == DataType::kString) {
        strings_.Add(v, true);
      } else if (auto parsed = ParseScalar(v, type);
                 parsed && (type == DataType::kInt64 || type == DataType::kBool)) {
        ints_.insert(parsed->i);
      } else {
        throw InputError(
            fmt::format("check suite '{}', rule '{}': '{}' is not a value of column '{}' ({})",
                        b.suite, b.kind, v, column_, TypeName(type)));
      }
    }
  }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    const Column& c = b.Get(column_);
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (c.IsNull(r)) continue;
      ++elements_;
      const bool ok = c.type == DataType::kString ? strings_.Find(c.str[r]) == StringVerdicts::kPass
                                                  : ints_.count(c.i64[r]) > 0;
      if (ok) continue;
      bad[r] = 1;
      Example(first_row + static_cast<int64_t>(r), ValueJson(c.Get(r)));
    }
  }
  std::string Failing() const override { return "not an accepted value"; }

 private:
  std::vector<std::string> values_;  // as written, typed by the column at Bind
  StringVerdicts strings_;           // every accepted string passes; others are unknown
  std::unordered_set<int64_t> ints_;
};

class RegexRule final : public ColumnRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    ReadMostly(in, p);
    const std::string pattern = in.Str("pattern");
    if (!pattern.empty()) p["pattern"] = pattern;
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    pattern_ = p.value("pattern", "");
    LoadMostly(p);
  }
  void CheckSource(const SourceTarget& t) const override {
    const DataType type = t.ColumnType(column_);
    if (type != DataType::kString) {
      t.Fail(fmt::format("{}: column '{}' is {}, not a string", t.what, column_, TypeName(type)),
             "regex takes string columns");
    }
    const RE2 re(pattern_, RE2::Quiet);
    if (!re.ok()) {
      t.Fail(fmt::format("{}: bad pattern '{}': {}", t.what, pattern_, re.error()),
             "patterns use RE2 syntax (no backreferences or lookaround)");
    }
  }
  void CheckDataset(const repo::RuleDef& def, const std::string& what) const override {
    if (!RE2(pattern_, RE2::Quiet).ok()) {
      throw DefinitionError(def.loc.file, def.loc.line,
                            fmt::format("{}: bad pattern '{}'", what, pattern_),
                            "patterns use RE2 syntax (no backreferences or lookaround)");
    }
  }
  void Bind(const Binding& b) override {
    regex_ = std::make_unique<RE2>(pattern_, RE2::Quiet);
    if (!regex_->ok()) {
      throw InputError(fmt::format("check suite '{}': bad pattern '{}': {}", b.suite, pattern_,
                                   regex_->error()));
    }
    if (b.TypeOf(column_) != DataType::kString) throw b.WrongType(column_, "a string");
  }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    const Column& c = b.Get(column_);
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (c.IsNull(r)) continue;
      ++elements_;
      bool ok;
      if (const auto known = memo_.Find(c.str[r]); known != StringVerdicts::kUnknown) {
        ok = known == StringVerdicts::kPass;
      } else {
        ok = RE2::PartialMatch(c.str[r], *regex_);
        if (memo_.size() < kRegexMemo) memo_.Add(c.str[r], ok);
      }
      if (ok) continue;
      bad[r] = 1;
      Example(first_row + static_cast<int64_t>(r), ValueJson(c.Get(r)));
    }
  }
  std::string Failing() const override { return "not matching the pattern"; }

 private:
  std::string pattern_;  // RE2 syntax, matched anywhere unless anchored
  std::unique_ptr<RE2> regex_;
  // Answers by value, while few: categorical columns repeat their values, and a hash lookup
  // is cheaper than a match.
  StringVerdicts memo_;
};

// unique and referential: a rule over a key of one or more columns, judged by XXH64 of the
// key's encoding (common/key.h).
class KeyRowRule : public RowRule {
 public:
  std::vector<std::string> columns() const override { return key_columns_; }

 protected:
  static void ReadKeyColumns(const RuleReader& in, nlohmann::json& p) {
    if (in.Has("column") && in.Has("columns")) {
      in.Fail("", in.what() + " has both column and columns", "keep one");
    }
    p["columns"] =
        in.Has("column") ? std::vector<std::string>{in.Str("column")} : in.StrList("columns");
  }
  // Calls `judge(hash)` (true: the row passes) for each row whose key has no null.
  template <typename Judge>
  void JudgeKeys(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad, Judge judge) {
    std::vector<const Column*> cols;
    for (const std::string& c : key_columns_) cols.push_back(&b.Get(c));
    for (size_t r = 0; r < b.num_rows; ++r) {
      bool null = false;
      for (const Column* c : cols) null |= c->IsNull(r);
      if (null) continue;
      ++elements_;
      key_.clear();
      AppendKeyEncoding(cols, r, key_);
      if (judge(Xxh64(key_.data(), key_.size()))) continue;
      bad[r] = 1;
      nlohmann::json v = nlohmann::json::array();
      for (const Column* c : cols) v.push_back(ValueJson(c->Get(r)));
      if (cols.size() == 1) v = v[0];
      Example(first_row + static_cast<int64_t>(r), std::move(v));
    }
  }

  std::vector<std::string> key_columns_;
  HashSet keys_;  // unique: the keys seen so far; referential: the other source's keys
  std::string suite_;

 private:
  std::string key_;  // scratch
};

class UniqueRule final : public KeyRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadKeyColumns(in, p);
    ReadMostly(in, p);
    return p;
  }
  void Load(const nlohmann::json& p) override {
    key_columns_ = p.value("columns", std::vector<std::string>{});
    LoadMostly(p);
  }
  void Bind(const Binding& b) override {
    suite_ = b.suite;
    label_ = fmt::format("{}({})", b.kind, fmt::join(key_columns_, ","));
  }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    JudgeKeys(b, first_row, bad, [&](uint64_t h) {
      if (!keys_.Insert(h)) return false;
      if (keys_.size() > DeliveryCheck::KeySetLimit()) {
        throw InputError(fmt::format(
            "check suite '{}', rule '{}': more than {} distinct keys in the delivery, the most a "
            "unique rule holds in memory (16-32 bytes each); raise SLUICE_KEY_SET_LIMIT to "
            "judge more",
            suite_, label_, DeliveryCheck::KeySetLimit()));
      }
      return true;
    });
  }
  std::string Failing() const override { return "repeating an earlier key"; }

 private:
  std::string label_;
};

class ReferentialRule final : public KeyRowRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    p["source"] = in.Str("source");
    ReadKeyColumns(in, p);
    ReadMostly(in, p);
    if (p["source"].get<std::string>().empty()) p.erase("source");
    return p;
  }
  void Load(const nlohmann::json& p) override {
    key_columns_ = p.value("columns", std::vector<std::string>{});
    source_ = p.value("source", "");
    LoadMostly(p);
  }
  bool for_datasets() const override { return false; }
  void CheckSource(const SourceTarget& t) const override {
    const repo::SourceDef* other = t.repo.FindSource(source_);
    if (!other) {
      std::vector<std::string> names;
      for (const auto& s : t.repo.sources) names.push_back(s.name);
      const std::string near = ClosestName(source_, names);
      t.Fail(fmt::format("{} names unknown source '{}'", t.what, source_),
             !near.empty()   ? "did you mean '" + near + "'?"
             : names.empty() ? std::string("no sources is defined")
                             : fmt::format("sources available: {}", fmt::join(names, ", ")));
    }
    for (const std::string& k : key_columns_) {
      const int i = FindField(other->schema, k);
      if (i < 0 || other->schema[i].type != t.ColumnType(k)) {
        t.Fail(fmt::format("{}: source '{}' has no {} column '{}'", t.what, other->name,
                           TypeName(t.ColumnType(k)), k),
               "the key columns must have the same names and types in both sources");
      }
    }
  }
  void Bind(const Binding& b) override {
    if (!b.keys) throw InternalError("check suites: referential rules need a key loader");
    keys_ = b.keys(source_, key_columns_);
    if (keys_.size() > DeliveryCheck::KeySetLimit()) {
      throw InputError(fmt::format(
          "check suite '{}', rule 'referential': source '{}' has more than {} distinct keys, "
          "the most a referential rule holds in memory (16-32 bytes each); raise "
          "SLUICE_KEY_SET_LIMIT to judge more",
          b.suite, source_, DeliveryCheck::KeySetLimit()));
    }
  }

 protected:
  void JudgeRows(const Batch& b, int64_t first_row, std::vector<uint8_t>& bad) override {
    JudgeKeys(b, first_row, bad, [&](uint64_t h) { return keys_.Contains(h); });
  }
  std::string Failing() const override { return "with a key missing from " + source_; }

 private:
  std::string source_;  // the source whose keys the rows' keys must be among
};

}  // namespace

std::unique_ptr<Rule> MakeNotNullRule() { return std::make_unique<NotNullRule>(); }
std::unique_ptr<Rule> MakeRangeRule() { return std::make_unique<RangeRule>(); }
std::unique_ptr<Rule> MakeAcceptedValuesRule() { return std::make_unique<AcceptedValuesRule>(); }
std::unique_ptr<Rule> MakeRegexRule() { return std::make_unique<RegexRule>(); }
std::unique_ptr<Rule> MakeUniqueRule() { return std::make_unique<UniqueRule>(); }
std::unique_ptr<Rule> MakeReferentialRule() { return std::make_unique<ReferentialRule>(); }

}  // namespace sluice::quality
