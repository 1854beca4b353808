// A feature view compiled for the online path: builds view records from source rows and
// answers its features from a record at a time t (docs/architecture.md, "The online path").
// Materialize, push and streams write records through Append/SetLastValues/Expire; serving
// reads them through Read. Expressions run on the vectorised evaluator and windows finalize
// through engine::FinalizeWindow, as in datasets, so online values equal dataset values.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "online/record.h"
#include "repo/compiled_view.h"
#include "sluice/column.h"

namespace sluice::online {

// Feast's per-value statuses.
enum class Status { kPresent, kNullValue, kNotFound, kOutsideMaxAge };
std::string_view StatusName(Status s);  // "PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE"

struct FeatureValue {
  Value value;
  Status status = Status::kNotFound;
  Micros event_ts = 0;  // the entity's newest event (0 when not found)
};

class OnlineView {
 public:
  OnlineView(const repo::RepoDefinition& defs, const repo::FeatureViewDef& view);

  const repo::FeatureViewDef& def() const { return view_; }
  const std::string& version() const { return view_.version; }
  const engine::LastValueSpec& spec() const { return compiled_.spec; }
  // Source columns the view reads: keys, times, the sequence, expression inputs (sorted).
  const std::vector<std::string>& columns() const { return columns_; }

  // Window inputs (expr values, where masks) evaluated once over a batch of source rows,
  // which must outlive it.
  struct Prepared {
    const Batch* rows = nullptr;
    std::vector<engine::WindowInput> windows;  // per window feature
  };
  Prepared Prepare(const Batch& rows) const;

  // Row r's place in the row order (rows: source columns with the sequence).
  RowKey RowKeyOf(const Batch& rows, uint32_t r) const;
  // A record of this view's version with no rows.
  ViewRecord NewRecord() const;
  // Appends rows `rows[0..n)` of p.rows — one key, in row order, each after rec.newest — to
  // rec's window states (engine::WindowState::Append), and makes the last of them rec's newest
  // row. The caller then sets last values with SetLastValues.
  void Append(ViewRecord& rec, const Prepared& p, const uint32_t* rows, size_t n) const;
  // Sets the last values of recs[i] to the features evaluated on row newest[i] of `rows`.
  void SetLastValues(const std::vector<ViewRecord*>& recs, const Batch& rows,
                     const std::vector<uint32_t>& newest) const;
  // Drops tiles and rows that no window ending at or after rec's newest event can reach
  // (engine::WindowState::Expire).
  void Expire(ViewRecord& rec) const;

  // The view's features (in view order) for n entities at time t: records[r] is entity r's
  // stored record (nullptr: none; a record of another view version counts as none, the view
  // changed since it was written). out[f][r] gets feature f of entity r. Meant for t at or
  // after the entities' newest events (SPEC §6): window partials later than t are not split.
  void Read(const std::vector<const std::string*>& records, Micros t,
            std::vector<std::vector<FeatureValue>>& out) const;

 private:
  repo::FeatureViewDef view_;
  repo::CompiledView compiled_;
  std::vector<std::string> columns_;
};

}  // namespace sluice::online
