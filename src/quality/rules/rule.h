// One class per kind of check rule (SPEC §7; docs/guide.md "Data quality"; docs/architecture.md
// "Data quality"). A rule class owns everything about its kind: reading its keys from YAML
// (and from the canonical JSON the registry stores), its checks at apply, judging a delivery
// (a batch at a time for row-level rules, on the kept rows' profile and the source's history
// for whole-delivery rules) and its parts of the HTML report. The kinds are registered in one
// table (rule_table.h); nothing else compares rule names.
//
// A Rule object is made fresh for each use (MakeRule): per-delivery state lives in it. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "quality/profile.h"
#include "quality/suite.h"
#include "repo/definitions.h"
#include "sluice/column.h"
#include "sluice/error.h"

namespace YAML {
class Node;
}
namespace sluice::repo {
struct YamlReader;
}

namespace sluice::quality {

// Reads one rule's YAML mapping (whose keys the table already checked). Every error is a
// DefinitionError at the file and line of the offending node, naming the rule (`what`:
// "rule 'range' of check suite 'gate'").
class RuleReader {
 public:
  RuleReader(const repo::YamlReader& doc, const YAML::Node& node, std::string what);

  const std::string& what() const { return what_; }
  const repo::YamlReader& doc() const { return doc_; }
  const YAML::Node& node() const { return node_; }
  bool Has(const std::string& key) const;

  // As repo::YamlReader's, on this rule's mapping.
  std::string Str(const std::string& key, bool required = true) const;
  std::vector<std::string> StrList(const std::string& key) const;
  std::optional<double> Number(const std::string& key) const;
  std::optional<Micros> Duration(const std::string& key) const;
  // Fails at the node of `key` (at the rule when the key is absent).
  [[noreturn]] void Fail(const std::string& key, const std::string& message,
                         const std::string& hint) const;

 private:
  const repo::YamlReader& doc_;
  const YAML::Node& node_;
  std::string what_;
};

// What a source suite's rule is checked against at apply.
class SourceTarget {
 public:
  SourceTarget(const repo::RepoDefinition& repo, const repo::SourceDef& source,
               const repo::RuleDef& def, std::string what)
      : repo(repo), source(source), def(def), what(std::move(what)) {}
  const repo::RepoDefinition& repo;
  const repo::SourceDef& source;
  const repo::RuleDef& def;
  const std::string what;  // "rule 'range' of check suite 'gate'"

  // The type of the source's column `name`; DefinitionError naming it when it has none.
  DataType ColumnType(const std::string& name) const;
  // DefinitionError at the rule.
  [[noreturn]] void Fail(const std::string& message, const std::string& hint) const;
};

// What a rule is bound to when a delivery check is built.
class Binding {
 public:
  Binding(const Schema& schema, const std::string& suite, const std::string& kind,
          const DeliveryCheck::KeyLoader& keys)
      : schema(schema), suite(suite), kind(kind), keys(keys) {}
  const Schema& schema;  // the delivered columns (by name), after conversion
  const std::string& suite;
  const std::string& kind;
  const DeliveryCheck::KeyLoader& keys;  // referential rules: the other source's keys

  // The type of column `name`, which is in the schema (DeliveryCheck checked).
  DataType TypeOf(const std::string& name) const;
  // InputError "check suite 'S', rule 'K': column 'C' is T, not <expected>".
  InputError WrongType(const std::string& column, const char* expected) const;
};

// What whole-delivery rules judge.
struct Evidence {
  const Profile& kept;  // the rows not quarantined
  History& history;
  const std::vector<DeliveredColumn>& delivered;
  Micros now;
  std::optional<Micros> newest_committed;
};

// The part of a result a rule fills in Judge (CheckResult without delivery, suite, rule,
// column and the status text, which DeliveryCheck sets).
struct Judgement {
  repo::Severity severity;  // in: the rule's; a rule may change it (freshness)
  bool ok = true;           // out: whether the rule passed
  std::optional<double> observed;
  int64_t element_count = 0;
  int64_t unexpected_count = 0;
  double unexpected_percent = 0;
  int64_t quarantined = 0;
  nlohmann::json examples = nlohmann::json::array();
  std::string message;
};

class Rule {
 public:
  virtual ~Rule() = default;

  // --- Definition ---
  // The rule's own keys, read from YAML, in canonical JSON (repo::RuleDef::params). Throws
  // DefinitionError (file:line, hint) for a missing or malformed key. The keys must stay those
  // of the released encoding: they are hashed into the suite's version.
  virtual nlohmann::json Read(const RuleReader& in) const = 0;
  // Sets the rule from canonical params (Read's, or the registry's).
  virtual void Load(const nlohmann::json& params) = 0;

  // Row-level rules judge rows one at a time: they take `mostly` and may quarantine.
  virtual bool row_level() const { return false; }
  // Whether the rule can judge a training dataset (history and other sources are sources').
  virtual bool for_datasets() const { return true; }
  // Whether Judge reads Evidence::kept (the kept rows' profile).
  virtual bool reads_profile() const { return !row_level(); }
  // The columns the rule reads, as written (empty: none, or freshness's default).
  virtual std::vector<std::string> columns() const = 0;
  // Whether the rule judges nulls of `column` (a quarantining not_null rule takes over
  // ingest's own rejection of null keys and timestamps).
  virtual bool judges_nulls_of(const std::string& /*column*/) const { return false; }

  // --- Apply ---
  // Checks the rule against its source (column types, other sources); DefinitionError at the
  // rule. Existence of columns() is checked before.
  virtual void CheckSource(const SourceTarget& /*target*/) const {}
  // Checks a dataset suite's rule (its columns are known only when the dataset is built).
  virtual void CheckDataset(const repo::RuleDef& /*def*/, const std::string& /*what*/) const {}

  // --- Judge ---
  // Gives a rule that reads a timestamp column by default its default (freshness). Throws
  // InputError when it needs one and `timestamp_field` is "".
  virtual void UseDefaultTimestamp(const std::string& /*timestamp_field*/,
                                   const std::string& /*suite*/) {}
  // Prepares for a delivery: checks column types, compiles, loads keys. InputError naming the
  // suite, rule and column. columns() are all in the schema (checked before).
  virtual void Bind(const Binding& /*binding*/) {}
  // Row-level rules: marks bad[r] (bad has batch.num_rows entries, all 0) for the rows of
  // `batch` that break the rule, counting and keeping examples; `quarantines`: bad rows will
  // be quarantined. Rows are numbered from `first_row`.
  virtual void Consume(const Batch& /*batch*/, int64_t /*first_row*/, std::vector<uint8_t>& /*bad*/,
                       bool /*quarantines*/) {}
  // Judges the delivery (row-level rules: on what Consume saw).
  virtual void Judge(const Evidence& evidence, Judgement& out) = 0;

  // --- Report (quality/report.h) ---
  // The observed value of a result as people read it; `column`: the profile of the result's
  // column, when there is one.
  virtual std::string ObservedText(double observed, const ColumnProfile* column) const;
  // The "Unexpected" cell (HTML) of a result, without the quarantined count.
  virtual std::string UnexpectedHtml(const CheckResult& result) const;
  // Whether a result's element_count counts rows (schema's counts columns).
  virtual bool counts_rows() const { return true; }
  // Whether a result's element_count is exactly the rows judged (not_null judges every row).
  virtual bool judges_every_row() const { return false; }
};

// "[0, 10]", ">= 0" or "<= 10".
std::string BoundsText(std::optional<double> min, std::optional<double> max);
// Reads `column` (required) into params["column"] (left out when empty).
void ReadColumn(const RuleReader& in, nlohmann::json& params);
// Reads `mostly` (0..1) into params["mostly"] when present.
void ReadMostly(const RuleReader& in, nlohmann::json& params);
// Reads `min` and `max` into params (when present); with `mostly`, `mostly` too; then checks
// one of min and max is there and min <= max.
void ReadBounds(const RuleReader& in, nlohmann::json& params, bool mostly);
// params[key] as an optional double.
std::optional<double> OptionalNumber(const nlohmann::json& params, const char* key);

// A rule that judges rows (SPEC §7: takes `mostly`, may quarantine). Subclasses judge a batch
// in JudgeRows; this class counts, keeps examples and writes the verdict.
class RowRule : public Rule {
 public:
  bool row_level() const final { return true; }
  void Consume(const Batch& batch, int64_t first_row, std::vector<uint8_t>& bad,
               bool quarantines) final;
  void Judge(const Evidence& evidence, Judgement& out) final;
  std::string ObservedText(double observed, const ColumnProfile* column) const override;
  std::string UnexpectedHtml(const CheckResult& result) const override;

 protected:
  // Marks bad[r] for rows that break the rule, adding to elements_ the values judged and an
  // Example per bad row.
  virtual void JudgeRows(const Batch& batch, int64_t first_row, std::vector<uint8_t>& bad) = 0;
  // How the message names a bad value: "outside the range [0, 10]".
  virtual std::string Failing() const = 0;
  void LoadMostly(const nlohmann::json& params) { mostly_ = OptionalNumber(params, "mostly"); }
  void Example(int64_t row, nlohmann::json value);

  int64_t elements_ = 0;

 private:
  std::optional<double> mostly_;
  int64_t unexpected_ = 0;
  int64_t quarantined_ = 0;
  nlohmann::json examples_ = nlohmann::json::array();
};

}  // namespace sluice::quality
