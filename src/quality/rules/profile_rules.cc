// The whole-delivery rules judged on the kept rows' profile: row_count, null_rate, mean,
// stddev, quantile, freshness.
#include <fmt/format.h>

#include <cmath>

#include "common/time.h"
#include "quality/report_text.h"
#include "quality/rules/rule_kinds.h"

namespace sluice::quality {
namespace {

const ColumnProfile& ProfileOf(const Profile& p, const std::string& name) {
  const ColumnProfile* c = p.Find(name);
  if (!c) throw InternalError("check suites: the profile has no column '" + name + "'");
  return *c;
}

bool InBounds(double x, std::optional<double> min, std::optional<double> max) {
  return (!min || x >= *min) && (!max || x <= *max);
}

class RowCountRule final : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadBounds(in, p, /*mostly=*/false);
    return p;
  }
  void Load(const nlohmann::json& p) override {
    min_ = OptionalNumber(p, "min");
    max_ = OptionalNumber(p, "max");
  }
  std::vector<std::string> columns() const override { return {}; }
  void Judge(const Evidence& e, Judgement& out) override {
    const double rows = static_cast<double>(e.kept.rows());
    out.observed = rows;
    out.element_count = e.kept.rows();
    out.ok = InBounds(rows, min_, max_);
    out.message = fmt::format("{} rows, expected {}", e.kept.rows(), BoundsText(min_, max_));
  }
  std::string ObservedText(double x, const ColumnProfile*) const override {
    return Thousands(std::llround(x)) + " rows";
  }

 private:
  std::optional<double> min_, max_;
};

// A rule bounding a statistic of one column.
class ColumnBoundRule : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    ReadBounds(in, p, /*mostly=*/false);
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    min_ = OptionalNumber(p, "min");
    max_ = OptionalNumber(p, "max");
  }
  std::vector<std::string> columns() const override { return {column_}; }

 protected:
  std::string column_;
  std::optional<double> min_, max_;
};

class NullRateRule final : public ColumnBoundRule {
 public:
  void Judge(const Evidence& e, Judgement& out) override {
    const ColumnProfile& col = ProfileOf(e.kept, column_);
    out.element_count = col.count;
    out.unexpected_count = col.nulls;
    const double rate = col.count ? static_cast<double>(col.nulls) / col.count : 0.0;
    out.observed = rate;
    out.ok = InBounds(rate, min_, max_);
    out.message = fmt::format("{} of {} values null ({:.4g}), expected {}", col.nulls, col.count,
                              rate, BoundsText(min_, max_));
  }
  std::string ObservedText(double x, const ColumnProfile*) const override {
    return Percent(100 * x) + " null";
  }
  std::string UnexpectedHtml(const CheckResult& c) const override {
    const double percent =
        c.element_count ? 100.0 * static_cast<double>(c.unexpected_count) / c.element_count : 0.0;
    return fmt::format("{} of {}<span class=\"sub\">{}</span>", Thousands(c.unexpected_count),
                       Thousands(c.element_count), Percent(percent));
  }
};

// mean, stddev and quantile: a statistic of a numeric column's non-null values.
class StatisticRule : public ColumnBoundRule {
 public:
  void CheckSource(const SourceTarget& t) const override {
    const DataType type = t.ColumnType(column_);
    if (type != DataType::kInt64 && type != DataType::kFloat64) {
      t.Fail(fmt::format("{}: column '{}' is {}, not a number", t.what, column_, TypeName(type)),
             "range, mean, stddev and quantile take int64 or float64 columns");
    }
  }
  void Bind(const Binding& b) override {
    const DataType type = b.TypeOf(column_);
    if (type != DataType::kInt64 && type != DataType::kFloat64) {
      throw b.WrongType(column_, "a number");
    }
  }
  void Judge(const Evidence& e, Judgement& out) override {
    const ColumnProfile& col = ProfileOf(e.kept, column_);
    out.element_count = col.count - col.nulls;
    const bool empty = out.element_count == 0;
    if (!empty) out.observed = Statistic(col);
    out.ok = !empty && InBounds(*out.observed, min_, max_);
    out.message = empty ? fmt::format("no non-null values to take the {} of", Name())
                        : fmt::format("{} {:.6g}, expected {}", Name(), *out.observed,
                                      BoundsText(min_, max_));
  }

 protected:
  virtual double Statistic(const ColumnProfile& col) const = 0;
  // How the message names the statistic: "mean", "quantile 0.99".
  virtual std::string Name() const = 0;
};

class MeanRule final : public StatisticRule {
  double Statistic(const ColumnProfile& col) const override { return col.moments.mean; }
  std::string Name() const override { return "mean"; }
};

class StddevRule final : public StatisticRule {
 public:
  std::string ObservedText(double x, const ColumnProfile* col) const override {
    if (col && col->type == DataType::kTimestamp) return FormatDuration(AsMicros(x));
    return Number(x);
  }

 private:
  double Statistic(const ColumnProfile& col) const override { return col.moments.Stddev(); }
  std::string Name() const override { return "stddev"; }
};

class QuantileRule final : public StatisticRule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = StatisticRule::Read(in);
    const std::optional<double> q = in.Number("q");
    if (!q || *q < 0 || *q > 1) in.Fail("", in.what() + " needs q between 0 and 1", "q: 0.99");
    p["q"] = *q;
    return p;
  }
  void Load(const nlohmann::json& p) override {
    StatisticRule::Load(p);
    q_ = p.value("q", 0.0);
  }

 private:
  double Statistic(const ColumnProfile& col) const override { return col.quantiles.Quantile(q_); }
  std::string Name() const override { return fmt::format("quantile {}", q_); }
  double q_ = 0;
};

class FreshnessRule final : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    const std::string column = in.Str("column", /*required=*/false);
    if (!column.empty()) p["column"] = column;
    const std::optional<Micros> warn = in.Duration("warn_after");
    const std::optional<Micros> error = in.Duration("error_after");
    if (!warn && !error) {
      in.Fail("", in.what() + " has neither warn_after nor error_after",
              "warn_after: 2h, error_after: 1d");
    }
    if (warn) p["warn_after_us"] = *warn;
    if (error) p["error_after_us"] = *error;
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    if (p.contains("warn_after_us")) warn_after_us_ = p["warn_after_us"].get<Micros>();
    if (p.contains("error_after_us")) error_after_us_ = p["error_after_us"].get<Micros>();
  }
  std::vector<std::string> columns() const override {
    return column_.empty() ? std::vector<std::string>{} : std::vector<std::string>{column_};
  }
  void CheckSource(const SourceTarget& t) const override {
    const std::string& col = column_.empty() ? t.source.timestamp_field : column_;
    if (t.ColumnType(col) != DataType::kTimestamp) {
      t.Fail(fmt::format("{}: column '{}' is not a timestamp", t.what, col),
             "freshness measures a timestamp column (default: the source's timestamp_field)");
    }
  }
  void UseDefaultTimestamp(const std::string& timestamp_field, const std::string& suite) override {
    if (!column_.empty()) return;
    if (timestamp_field.empty()) {
      throw InputError(fmt::format("check suite '{}': freshness needs a column here", suite));
    }
    column_ = timestamp_field;
    defaulted_ = true;
  }
  void Bind(const Binding& b) override {
    // The default column is the source's timestamp field, a timestamp by definition.
    if (!defaulted_ && b.TypeOf(column_) != DataType::kTimestamp) {
      throw b.WrongType(column_, "a timestamp");
    }
  }
  void Judge(const Evidence& e, Judgement& out) override {
    const ColumnProfile& col = ProfileOf(e.kept, column_);
    std::optional<Micros> newest;
    if (col.moments.count > 0) newest = static_cast<Micros>(std::llround(col.moments.max));
    if (e.newest_committed) {
      newest = std::max(newest.value_or(*e.newest_committed), *e.newest_committed);
    }
    // The severity is the threshold passed: error_after fails, warn_after warns.
    out.severity = error_after_us_ ? repo::Severity::kFail : repo::Severity::kWarn;
    if (!newest) {
      out.message = "no timestamps: nothing to measure freshness on";
      out.ok = false;
      return;
    }
    const Micros lag = e.now - *newest;
    out.observed = static_cast<double>(lag) / 1e6;  // seconds
    out.message = fmt::format("newest {} is {} old", FormatTimestamp(*newest), FormatDuration(lag));
    if (error_after_us_ && lag > *error_after_us_) {
      out.severity = repo::Severity::kFail;
      out.ok = false;
    } else if (warn_after_us_ && lag > *warn_after_us_) {
      out.severity = repo::Severity::kWarn;
      out.ok = false;
    }
  }
  std::string ObservedText(double x, const ColumnProfile*) const override {
    return FormatDuration(AsMicros(x * 1e6)) + " old";
  }

 private:
  std::string column_;  // "" in the definition: the source's timestamp_field
  bool defaulted_ = false;
  std::optional<Micros> warn_after_us_, error_after_us_;
};

}  // namespace

std::unique_ptr<Rule> MakeRowCountRule() { return std::make_unique<RowCountRule>(); }
std::unique_ptr<Rule> MakeNullRateRule() { return std::make_unique<NullRateRule>(); }
std::unique_ptr<Rule> MakeMeanRule() { return std::make_unique<MeanRule>(); }
std::unique_ptr<Rule> MakeStddevRule() { return std::make_unique<StddevRule>(); }
std::unique_ptr<Rule> MakeQuantileRule() { return std::make_unique<QuantileRule>(); }
std::unique_ptr<Rule> MakeFreshnessRule() { return std::make_unique<FreshnessRule>(); }

}  // namespace sluice::quality
