// The schema rule: the columns a delivery arrived with, before conversion.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "quality/report_text.h"
#include "quality/rules/rule_kinds.h"
#include "repo/yaml_reader.h"

namespace sluice::quality {
namespace {

class SchemaRule final : public Rule {
 public:
  nlohmann::json Read(const RuleReader& in) const override {
    if (!in.Has("columns")) {
      in.Fail("", in.what() + " has no columns", "columns: {user_id: int64, ...}");
    }
    const Schema schema = in.doc().SchemaMap(in.node()["columns"], in.what() + " columns");
    bool allow_extra = true;
    if (in.Has("allow_extra")) {
      const YAML::Node a = in.node()["allow_extra"];
      if (!a.IsScalar() || !YAML::convert<bool>::decode(a, allow_extra)) {
        in.Fail("allow_extra", fmt::format("'allow_extra' of {} must be true or false", in.what()),
                "");
      }
    }
    return {{"schema", repo::SchemaToJson(schema)}, {"allow_extra", allow_extra}};
  }
  void Load(const nlohmann::json& p) override {
    if (p.contains("schema")) expected_ = repo::SchemaFromJson(p["schema"]);
    allow_extra_ = p.value("allow_extra", true);
  }
  bool reads_profile() const override { return false; }
  bool counts_rows() const override { return false; }
  std::vector<std::string> columns() const override { return {}; }
  void Judge(const Evidence& e, Judgement& out) override {
    std::vector<std::string> problems;
    for (const Field& f : expected_) {
      auto it = std::find_if(e.delivered.begin(), e.delivered.end(),
                             [&](const DeliveredColumn& x) { return x.name == f.name; });
      if (it == e.delivered.end()) {
        problems.push_back(fmt::format("column '{}' is missing", f.name));
      } else if (it->type != TypeName(f.type)) {
        problems.push_back(
            fmt::format("column '{}' is {}, expected {}", f.name, it->type, TypeName(f.type)));
      }
    }
    if (!allow_extra_) {
      for (const DeliveredColumn& x : e.delivered) {
        if (FindField(expected_, x.name) < 0) {
          problems.push_back(fmt::format("unexpected column '{}'", x.name));
        }
      }
    }
    out.element_count = static_cast<int64_t>(expected_.size());
    out.unexpected_count = static_cast<int64_t>(problems.size());
    out.ok = problems.empty();
    out.message = out.ok ? fmt::format("{} columns as expected", expected_.size())
                         : fmt::format("{}", fmt::join(problems, "; "));
  }
  std::string UnexpectedHtml(const CheckResult& c) const override {
    return fmt::format("{} of {} columns", Thousands(c.unexpected_count),
                       Thousands(c.element_count));
  }

 private:
  Schema expected_;
  bool allow_extra_ = true;  // other columns are allowed
};

}  // namespace

std::unique_ptr<Rule> MakeSchemaRule() { return std::make_unique<SchemaRule>(); }

}  // namespace sluice::quality
