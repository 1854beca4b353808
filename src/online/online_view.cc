#include "online/online_view.h"

#include <fmt/format.h>

#include "common/time.h"
#include "engine/point_in_time.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

namespace sluice::online {

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kPresent:
      return "PRESENT";
    case Status::kNullValue:
      return "NULL_VALUE";
    case Status::kNotFound:
      return "NOT_FOUND";
    case Status::kOutsideMaxAge:
      return "OUTSIDE_MAX_AGE";
  }
  return "NOT_FOUND";
}

OnlineView::OnlineView(const repo::RepoDefinition& defs, const repo::FeatureViewDef& view)
    : view_(view),
      compiled_(repo::CompileView(defs, view)),
      columns_(engine::SourceColumns(compiled_.spec)) {}

OnlineView::Prepared OnlineView::Prepare(const Batch& rows) const {
  Prepared p;
  p.rows = &rows;
  const Column& ts = rows.Get(compiled_.spec.timestamp_field);
  for (const engine::WindowFeature& w : compiled_.spec.windows) p.windows.emplace_back(w, rows, ts);
  return p;
}

ViewRecord OnlineView::NewRecord() const {
  ViewRecord r;
  r.view_version = view_.version;
  r.last_values.assign(compiled_.spec.features.size(), Value::Null(DataType::kInt64));
  for (size_t f = 0; f < compiled_.spec.features.size(); ++f) {
    r.last_values[f] = Value::Null(compiled_.spec.features[f].type());
  }
  r.windows.resize(compiled_.spec.windows.size());
  return r;
}

RowKey OnlineView::RowKeyOf(const Batch& rows, uint32_t r) const {
  const engine::LastValueSpec& spec = compiled_.spec;
  const Column* created =
      spec.created_timestamp_field.empty() ? nullptr : &rows.Get(spec.created_timestamp_field);
  return RowKey::Of(rows.Get(spec.timestamp_field), created,
                    rows.Get(offline::kSeqColumn).i64.data(), r);
}

void OnlineView::Append(ViewRecord& rec, const Prepared& p, const uint32_t* rows, size_t n) const {
  if (n == 0) return;
  const engine::LastValueSpec& spec = compiled_.spec;
  const Column& ts = p.rows->Get(spec.timestamp_field);
  for (size_t k = 0; k < spec.windows.size(); ++k) {
    rec.windows[k].Append(spec.windows[k], p.windows[k], ts, rows, n);
  }
  rec.has_row = true;
  rec.newest = RowKeyOf(*p.rows, rows[n - 1]);
}

void OnlineView::SetLastValues(const std::vector<ViewRecord*>& recs, const Batch& rows,
                               const std::vector<uint32_t>& newest) const {
  if (recs.empty() || compiled_.spec.features.empty()) return;
  const Batch chosen = rows.Gather(newest);
  for (size_t f = 0; f < compiled_.spec.features.size(); ++f) {
    const Column values = compiled_.spec.features[f].Evaluate(chosen);
    for (size_t i = 0; i < recs.size(); ++i) recs[i]->last_values[f] = values.Get(i);
  }
}

void OnlineView::Expire(ViewRecord& rec) const {
  if (!rec.has_row) return;
  for (size_t k = 0; k < compiled_.spec.windows.size(); ++k) {
    rec.windows[k].Expire(compiled_.spec.windows[k], rec.newest.ts);
  }
}

void OnlineView::Read(const std::vector<const std::string*>& records, Micros t,
                      std::vector<std::vector<FeatureValue>>& out) const {
  const engine::LastValueSpec& spec = compiled_.spec;
  const size_t n = records.size();
  out.assign(view_.features.size(), std::vector<FeatureValue>(n));

  // Parse every record once; found[r]: entity r has a row of this view version.
  std::vector<RecordView> recs(n);
  std::vector<char> found(n, 0);
  for (size_t r = 0; r < n; ++r) {
    if (records[r] == nullptr) continue;
    recs[r].Parse(*records[r], view_.name);
    found[r] = recs[r].view_version == view_.version && recs[r].has_row;
  }

  for (size_t i = 0; i < view_.features.size(); ++i) {
    std::vector<FeatureValue>& values = out[i];
    for (size_t r = 0; r < n; ++r) values[r].event_ts = found[r] ? recs[r].newest.ts : 0;
    const size_t col = compiled_.column_of[i];
    if (col < spec.features.size()) {  // a last value (SPEC §5.1)
      const DataType type = spec.features[col].type();
      for (size_t r = 0; r < n; ++r) {
        FeatureValue& fv = values[r];
        if (!found[r]) {
          fv.value = Value::Null(type);
          fv.status = Status::kNotFound;
        } else if (!engine::WithinTtl(spec.ttl_us, recs[r].newest.ts, t)) {
          fv.value = Value::Null(type);
          fv.status = Status::kOutsideMaxAge;
        } else {
          fv.value = recs[r].last_values[col];
          fv.status = fv.value.is_null ? Status::kNullValue : Status::kPresent;
        }
      }
      continue;
    }
    // A window (SPEC §5.2): every entity finalized into one column, with states reused.
    const size_t k = col - spec.features.size();
    const engine::WindowFeature& w = spec.windows[k];
    Column result = Column::Nulls(w.fn->result_type(), n);
    engine::WindowReader reader(w);
    try {
      for (size_t r = 0; r < n; ++r)
        reader.ValueAt(found[r] ? &recs[r].windows[k] : nullptr, t, result, r);
    } catch (const InputError& e) {
      throw InputError(fmt::format("online record of view '{}', feature '{}': {}", view_.name,
                                   view_.features[i].name, e.what()));
    }
    for (size_t r = 0; r < n; ++r) {
      values[r].value = result.Get(r);
      values[r].status = !found[r]                 ? Status::kNotFound
                         : values[r].value.is_null ? Status::kNullValue
                                                   : Status::kPresent;
    }
  }
}

}  // namespace sluice::online
