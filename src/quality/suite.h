// Check suites run on one delivery of a source (SPEC §7; docs/architecture.md "Data quality";
// the rules' exact semantics are in docs/guide.md "Data quality").
//
// One pass: ingest (and `validate`) hand every batch of the delivery to Consume, in delivery
// order, and get back which rows to quarantine; they profile the other rows, and Finish judges
// the whole-delivery rules on that profile and returns one result per rule. Memory: per rule
// a few counters and up to 20 examples; `unique` keeps one 64-bit hash per distinct key.
//
// Not thread-safe: one DeliveryCheck per delivery.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quality/hash_set.h"
#include "quality/profile.h"
#include "repo/definitions.h"
#include "sluice/column.h"

namespace sluice::quality {

// The verdict of one rule on one delivery. Text only in CheckResult (the output record).
enum class Status { kPass, kWarn, kFail };
// "pass", "warn", "fail".
std::string_view StatusName(Status status);
// nullopt for any other text.
std::optional<Status> ParseStatus(std::string_view text);

// The result of one rule on one delivery: an entry of the `checks` list of `ingest --json`
// and `validate --json` (docs/json.md).
struct CheckResult {
  std::string delivery;            // the file (or "query", "push") the rule judged
  std::string suite;
  std::string rule;
  std::string column;              // "" for whole-delivery rules; "a,b" for several columns
  std::string severity;            // warn | fail | quarantine (repo::SeverityName)
  std::string status;              // pass | warn | fail (StatusName)
  std::optional<double> observed;  // row rules: the fraction of judged values that passed
  int64_t element_count = 0;       // values judged (row rules: non-null values; not_null: rows)
  int64_t unexpected_count = 0;    // values that broke the rule
  double unexpected_percent = 0;   // 100 * unexpected_count / element_count
  int64_t quarantined = 0;         // rows this rule sent to quarantine
  nlohmann::json examples = nlohmann::json::array();  // up to 20 {"row": n, "value": v}
  std::string message;             // one line for people: what was expected, what was seen

  nlohmann::json ToJson() const;
};

// The columns a delivery arrived with (before conversion to the source's types), for the
// schema rule.
struct DeliveredColumn {
  std::string name;
  std::string type;  // sluice type name, or the reader's type when sluice has none
};

// What drift and volume rules compare a delivery with: the source's history, provided by the
// caller (ingest reads it from the source's log).
class History {
 public:
  virtual ~History() = default;
  // The reference profile of a drift rule: "previous" (the delivery before this one),
  // "last:N" (the previous N deliveries merged), "snapshot:N" (the source as of snapshot N)
  // or "file:PATH". nullopt when there is nothing to compare with yet (a first delivery).
  // Throws InputError when the reference cannot be read.
  virtual std::optional<Profile> Reference(const std::string& spec) = 0;
  // Committed rows of up to `n` deliveries before this one, oldest first.
  virtual std::vector<int64_t> RecentRows(int64_t n) = 0;
};

class DeliveryCheck {
 public:
  // The suites of `source` in `repo`. (Ingest's own rules — a value that does not parse, a
  // null timestamp or join key — stay ingest's; QuarantinesNulls tells it which of those
  // columns a suite quarantines instead.) `now`: the time freshness is measured at.
  // `newest_committed`: the newest timestamp already in the source's log, if any (freshness
  // takes the newer of it and the delivery's).
  // The keys of another source, for referential rules: XXH64 of each distinct key's encoding
  // (common/key.h) over `columns`.
  // A key set holds at most KeySetLimit() keys (SLUICE_KEY_SET_LIMIT; default 2^27, about
  // 2-4 GB): beyond it, InputError — memory stays bounded and the rule is never judged on a
  // partial set.
  using KeySet = HashSet;
  static size_t KeySetLimit();
  using KeyLoader =
      std::function<KeySet(const std::string& source, const std::vector<std::string>& columns)>;

  DeliveryCheck(const repo::RepoDefinition& repo, const repo::SourceDef& source, Micros now,
                std::optional<Micros> newest_committed, const KeyLoader& keys = nullptr);
  // `suites` over rows of `schema` (a dataset's columns): each rule's columns must be in it,
  // else InputError naming the suite, rule and column. `timestamp_field` is freshness's
  // default column ("" for none).
  DeliveryCheck(const std::vector<const repo::CheckSuiteDef*>& suites, const Schema& schema,
                const std::string& timestamp_field, Micros now, const KeyLoader& keys = nullptr);
  ~DeliveryCheck();
  DeliveryCheck(const DeliveryCheck&) = delete;
  DeliveryCheck& operator=(const DeliveryCheck&) = delete;

  // The schema rules compare these with what they expect.
  void SetDeliveredColumns(std::vector<DeliveredColumn> columns);

  // Judges the rows of `batch` (the source's columns by name), the rows numbered from
  // `first_row` (0-based, in delivery order). On return quarantine[r] != 0 for rows to
  // quarantine, with reasons[r] naming the rules they broke ("range(amount), regex(email)").
  void Consume(const Batch& batch, int64_t first_row, std::vector<uint8_t>& quarantine,
               std::vector<std::string>& reasons);

  // Whether the whole-delivery rules need the profile of the kept rows (row_count, null_rate,
  // mean, stddev, quantile, freshness, drift, volume).
  bool needs_profile() const;
  // Judges the whole-delivery rules on `kept`, the profile of the rows that were not
  // quarantined (quality/profile.h: the same sketches the stored profile holds), drift and
  // volume against `history`, and returns every rule's result, suites and rules in
  // definition order.
  std::vector<CheckResult> Finish(const Profile& kept, History& history);

  // After Finish: whether any rule failed (the delivery must not be committed).
  bool failed() const { return failed_; }
  // Whether a suite quarantines the rows where `column` is null.
  bool QuarantinesNulls(const std::string& column) const;

 private:
  struct Entry;  // a rule object and what it was defined with
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<DeliveredColumn> delivered_;
  Micros now_;
  std::optional<Micros> newest_committed_;
  bool failed_ = false;
};

// A value as JSON: null, number, bool, string, timestamps as ISO 8601 text, lists as arrays.
nlohmann::json ValueJson(const Value& v);

// Human-readable lines for a list of results ("FAIL  transactions_gate  range(amount)  …").
std::vector<std::vector<std::string>> CheckRows(const std::vector<CheckResult>& results);

}  // namespace sluice::quality
