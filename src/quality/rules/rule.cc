#include "quality/rules/rule.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/text.h"
#include "common/time.h"
#include "quality/report_text.h"
#include "repo/yaml_reader.h"

namespace sluice::quality {
namespace {

constexpr size_t kMaxExamples = 20;

std::vector<std::string> Names(const Schema& schema) {
  std::vector<std::string> out;
  for (const Field& f : schema) out.push_back(f.name);
  return out;
}

}  // namespace

RuleReader::RuleReader(const repo::YamlReader& doc, const YAML::Node& node, std::string what)
    : doc_(doc), node_(node), what_(std::move(what)) {}

bool RuleReader::Has(const std::string& key) const { return node_[key].IsDefined(); }

std::string RuleReader::Str(const std::string& key, bool required) const {
  return doc_.Str(node_, key, what_, required);
}
std::vector<std::string> RuleReader::StrList(const std::string& key) const {
  return doc_.StrList(node_, key, what_);
}
std::optional<double> RuleReader::Number(const std::string& key) const {
  return doc_.Number(node_, key, what_);
}
std::optional<Micros> RuleReader::Duration(const std::string& key) const {
  return doc_.Duration(node_, key, what_);
}
void RuleReader::Fail(const std::string& key, const std::string& message,
                      const std::string& hint) const {
  if (key.empty()) doc_.Fail(node_, message, hint);
  const YAML::Node n = node_[key];
  doc_.Fail(n ? n : node_, message, hint);
}

DataType SourceTarget::ColumnType(const std::string& name) const {
  const int i = FindField(source.schema, name);
  if (i < 0) {
    const std::vector<std::string> names = Names(source.schema);
    const std::string near = ClosestName(name, names);
    Fail(fmt::format("{}: source '{}' has no column '{}'", what, source.name, name),
         !near.empty()   ? "did you mean '" + near + "'?"
         : names.empty() ? std::string("no columns is defined")
                         : fmt::format("columns available: {}", fmt::join(names, ", ")));
  }
  return source.schema[i].type;
}

void SourceTarget::Fail(const std::string& message, const std::string& hint) const {
  throw DefinitionError(def.loc.file, def.loc.line, message, hint);
}

DataType Binding::TypeOf(const std::string& name) const {
  return schema[FindField(schema, name)].type;
}

InputError Binding::WrongType(const std::string& column, const char* expected) const {
  return InputError(fmt::format("check suite '{}', rule '{}': column '{}' is {}, not {}", suite,
                                kind, column, TypeName(TypeOf(column)), expected));
}

std::string Rule::ObservedText(double x, const ColumnProfile* column) const {
  if (column && column->type == DataType::kTimestamp) return FormatTimestamp(AsMicros(x));
  return Number(x);
}

std::string Rule::UnexpectedHtml(const CheckResult&) const { return "—"; }

std::string BoundsText(std::optional<double> min, std::optional<double> max) {
  if (min && max) return fmt::format("[{}, {}]", *min, *max);
  if (min) return fmt::format(">= {}", *min);
  return fmt::format("<= {}", *max);
}

void ReadColumn(const RuleReader& in, nlohmann::json& params) {
  const std::string column = in.Str("column");
  if (!column.empty()) params["column"] = column;
}

void ReadMostly(const RuleReader& in, nlohmann::json& params) {
  const std::optional<double> mostly = in.Number("mostly");
  if (!mostly) return;
  if (*mostly < 0 || *mostly > 1) {
    in.Fail("mostly", fmt::format("'mostly' of {} must be between 0 and 1", in.what()),
            "e.g. mostly: 0.99 (99% of non-null values must pass)");
  }
  params["mostly"] = *mostly;
}

void ReadBounds(const RuleReader& in, nlohmann::json& params, bool mostly) {
  const std::optional<double> min = in.Number("min"), max = in.Number("max");
  if (min) params["min"] = *min;
  if (max) params["max"] = *max;
  if (mostly) ReadMostly(in, params);
  if (!min && !max) in.Fail("", in.what() + " has neither min nor max", "add min: or max:");
  if (min && max && *min > *max) {
    in.Fail("", fmt::format("{} has min {} > max {}", in.what(), *min, *max), "swap them");
  }
}

std::optional<double> OptionalNumber(const nlohmann::json& params, const char* key) {
  if (!params.contains(key)) return std::nullopt;
  return params[key].get<double>();
}

void RowRule::Example(int64_t row, nlohmann::json value) {
  if (examples_.size() < kMaxExamples) examples_.push_back({{"row", row + 1}, {"value", value}});
}

void RowRule::Consume(const Batch& batch, int64_t first_row, std::vector<uint8_t>& bad,
                      bool quarantines) {
  JudgeRows(batch, first_row, bad);
  for (size_t r = 0; r < batch.num_rows; ++r) {
    if (!bad[r]) continue;
    ++unexpected_;
    if (quarantines) ++quarantined_;
  }
}

void RowRule::Judge(const Evidence&, Judgement& out) {
  out.element_count = elements_;
  out.unexpected_count = unexpected_;
  out.quarantined = quarantined_;
  out.examples = std::move(examples_);
  examples_ = nlohmann::json::array();
  out.unexpected_percent =
      elements_ ? 100.0 * static_cast<double>(unexpected_) / static_cast<double>(elements_) : 0;
  const double observed =
      elements_ ? static_cast<double>(elements_ - unexpected_) / static_cast<double>(elements_)
                : 1.0;
  out.observed = observed;
  out.message = fmt::format("{} of {} values {}", unexpected_, elements_, Failing());
  if (out.severity == repo::Severity::kQuarantine) {
    // Bad rows are quarantined; an explicit `mostly` still rejects a delivery that is mostly
    // bad.
    out.ok = !mostly_ || observed >= *mostly_;
    if (quarantined_) out.message += fmt::format("; {} rows quarantined", quarantined_);
  } else {
    out.ok = observed >= mostly_.value_or(1.0);
  }
  if (mostly_) out.message += fmt::format(" (passed {:.4g}, mostly {})", observed, *mostly_);
}

std::string RowRule::ObservedText(double x, const ColumnProfile*) const {
  return Percent(100 * x) + " passed";
}

std::string RowRule::UnexpectedHtml(const CheckResult& c) const {
  return fmt::format("{} of {}<span class=\"sub\">{}</span>", Thousands(c.unexpected_count),
                     Thousands(c.element_count), Percent(c.unexpected_percent));
}

}  // namespace sluice::quality
