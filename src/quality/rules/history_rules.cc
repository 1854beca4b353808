// The whole-delivery rules that compare a delivery with the source's history: drift, volume.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "quality/drift.h"
#include "quality/report_text.h"
#include "quality/rules/rule_kinds.h"
#include "repo/yaml_reader.h"

namespace sluice::quality {
namespace {

// "last:N", "snapshot:N": nullopt without the prefix, -1 when N is not a positive integer.
std::optional<int64_t> NumberAfter(const std::string& reference, const std::string& prefix) {
  if (reference.rfind(prefix, 0) != 0) return std::nullopt;
  int64_t v = 0;
  const std::string rest = reference.substr(prefix.size());
  const auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || p != rest.data() + rest.size() || v <= 0) return -1;
  return v;
}

class DriftRule final : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    nlohmann::json p = nlohmann::json::object();
    ReadColumn(in, p);
    const std::optional<double> max = in.Number("max");
    if (max) p["max"] = *max;
    const std::string method = in.Str("method");
    if (method != "psi" && method != "ks" && method != "js") {
      in.Fail("method", fmt::format("{} has unknown method '{}'", in.what(), method),
              "method: psi (population stability index), ks (Kolmogorov-Smirnov, numbers) or js "
              "(Jensen-Shannon, categories)");
    }
    const std::string reference = in.Has("reference") ? in.Str("reference") : "previous";
    const auto last = NumberAfter(reference, "last:");
    const auto snapshot = NumberAfter(reference, "snapshot:");
    const bool file = reference.rfind("file:", 0) == 0 && reference.size() > 5;
    if (!(reference == "previous" || (last && *last > 0) || (snapshot && *snapshot > 0) || file)) {
      in.Fail("reference", fmt::format("{} has a bad reference '{}'", in.what(), reference),
              "reference: previous, last:N (the previous N deliveries), snapshot:N or "
              "file:PATH");
    }
    if (!max) in.Fail("", in.what() + " has no max", "max: 0.2 (the highest score that passes)");
    p["method"] = method;
    p["reference"] = reference;
    return p;
  }
  void Load(const nlohmann::json& p) override {
    column_ = p.value("column", "");
    max_ = p.value("max", 0.0);
    method_ = p.value("method", "");
    reference_ = p.value("reference", "");
  }
  bool for_datasets() const override { return false; }
  std::vector<std::string> columns() const override { return {column_}; }
  void CheckSource(const SourceTarget& t) const override {
    const DataType type = t.ColumnType(column_);
    const bool categorical =
        type == DataType::kString || type == DataType::kBool || type == DataType::kInt64;
    const bool numeric =
        type == DataType::kInt64 || type == DataType::kFloat64 || type == DataType::kTimestamp;
    if (method_ == "ks" && !numeric) {
      t.Fail(fmt::format("{}: ks compares numbers; column '{}' is {}", t.what, column_,
                         TypeName(type)),
             "use method: js or psi for categories");
    }
    if (method_ == "js" && !categorical) {
      t.Fail(fmt::format("{}: js compares categories; column '{}' is {}", t.what, column_,
                         TypeName(type)),
             "use method: ks or psi for numbers");
    }
    if (type == DataType::kFloat64List) {
      t.Fail(fmt::format("{}: column '{}' is a list", t.what, column_), "");
    }
  }
  void Judge(const Evidence& e, Judgement& out) override {
    const ColumnProfile* col = e.kept.Find(column_);
    if (!col) throw InternalError("check suites: the profile has no column '" + column_ + "'");
    const std::optional<Profile> ref = e.history.Reference(reference_);
    const ColumnProfile* ref_col = ref ? ref->Find(column_) : nullptr;
    const char* name = method_ == "psi" ? "PSI" : method_ == "ks" ? "KS" : "JS";
    if (!ref_col || ref_col->count == ref_col->nulls) {
      out.message = fmt::format("no {} reference to compare with yet", reference_);
      return;
    }
    out.element_count = col->count - col->nulls;
    const double score = method_ == "psi"  ? Psi(*ref_col, *col)
                         : method_ == "ks" ? KolmogorovSmirnov(*ref_col, *col)
                                           : JensenShannon(*ref_col, *col);
    out.observed = score;
    out.ok = score <= max_;
    out.message =
        fmt::format("{} {:.4g} against {}, expected <= {}", name, score, reference_, max_);
  }
  std::string ObservedText(double x, const ColumnProfile*) const override {
    return fmt::format("{:.4g}", x);
  }

 private:
  std::string column_;
  double max_ = 0;         // the highest score that passes
  std::string method_;     // psi | ks | js
  std::string reference_;  // previous | last:N | snapshot:N | file:PATH
};

class VolumeRule final : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    const YAML::Node last = in.node()["last"];
    int64_t n = 0;
    if (!last || !last.IsScalar() || !YAML::convert<int64_t>::decode(last, n) || n < 2) {
      in.Fail("last", in.what() + " needs last: N (N >= 2 deliveries of history)", "last: 7");
    }
    double k = 3;
    if (const auto given = in.Number("k")) k = *given;
    if (k <= 0) in.Fail("k", in.what() + ": k must be positive", "k: 3");
    return {{"last", n}, {"k", k}};
  }
  void Load(const nlohmann::json& p) override {
    last_ = p.value("last", int64_t{0});
    k_ = p.value("k", 3.0);
  }
  bool for_datasets() const override { return false; }
  std::vector<std::string> columns() const override { return {}; }
  void Judge(const Evidence& e, Judgement& out) override {
    const std::vector<int64_t> past = e.history.RecentRows(last_);
    const int64_t rows = e.kept.rows();
    out.observed = static_cast<double>(rows);
    out.element_count = rows;
    if (past.size() < 2) {
      out.message = fmt::format("{} rows; not enough history ({} earlier deliveries, 2 needed)",
                                rows, past.size());
      return;
    }
    sketch::Moments m;
    for (int64_t r : past) m.Update(static_cast<double>(r));
    const double lo = m.mean - k_ * m.Stddev(), hi = m.mean + k_ * m.Stddev();
    out.ok = *out.observed >= lo && *out.observed <= hi;
    out.message = fmt::format(
        "{} rows; the last {} deliveries: mean {:.6g}, stddev {:.4g}, expected [{:.6g}, {:.6g}]",
        rows, past.size(), m.mean, m.Stddev(), lo, hi);
  }
  std::string ObservedText(double x, const ColumnProfile*) const override {
    return Thousands(std::llround(x)) + " rows";
  }

 private:
  int64_t last_ = 0;  // deliveries of history
  double k_ = 3;      // allowed deviations from their mean
};

}  // namespace

std::unique_ptr<Rule> MakeDriftRule() { return std::make_unique<DriftRule>(); }
std::unique_ptr<Rule> MakeVolumeRule() { return std::make_unique<VolumeRule>(); }

}  // namespace sluice::quality
