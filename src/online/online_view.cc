#include "online/online_view.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/time.h"
#include "engine/point_in_time.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

namespace sluice::online {

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kPresent: return "PRESENT";
    case Status::kNullValue: return "NULL_VALUE";
    case Status::kNotFound: return "NOT_FOUND";
    case Status::kOutsideMaxAge: return "OUTSIDE_MAX_AGE";
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
  for (const engine::WindowFeature& w : compiled_.spec.windows) {
    p.values.push_back(w.expr ? w.expr->Evaluate(rows) : Column(DataType::kInt64));
    p.masks.push_back(w.where ? w.where->Evaluate(rows) : Column(DataType::kBool));
  }
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
  RowKey k;
  k.ts = rows.Get(spec.timestamp_field).i64[r];
  if (!spec.created_timestamp_field.empty()) {
    const Column& c = rows.Get(spec.created_timestamp_field);
    k.has_created = !c.IsNull(r);
    k.created = k.has_created ? c.i64[r] : 0;
  }
  k.seq = rows.Get(offline::kSeqColumn).i64[r];
  return k;
}

void OnlineView::Append(ViewRecord& rec, const Prepared& p, const uint32_t* rows, size_t n) const {
  if (n == 0) return;
  const engine::LastValueSpec& spec = compiled_.spec;
  const Batch& batch = *p.rows;
  const Column& ts = batch.Get(spec.timestamp_field);
  for (size_t k = 0; k < spec.windows.size(); ++k) {
    const engine::WindowFeature& w = spec.windows[k];
    const engine::AggregateFunction& fn = *w.fn;
    const Column& input = w.expr ? p.values[k] : ts;
    const Column& mask = p.masks[k];
    WindowState& ws = rec.windows[k];
    // The tile being extended, deserialized once while consecutive rows fall in it.
    std::unique_ptr<engine::AggregateState> open;
    int64_t open_tile = 0;
    auto close = [&] {
      if (!open) return;
      std::string bytes;
      fn.Serialize(open->get(), bytes);
      if (!ws.tiles.empty() && ws.tiles.back().tile == open_tile) {
        ws.tiles.back().state = std::move(bytes);
      } else {
        ws.tiles.push_back({open_tile, std::move(bytes)});
      }
      open.reset();
    };
    for (size_t i = 0; i < n; ++i) {
      const uint32_t r = rows[i];
      if (w.where && (mask.IsNull(r) || mask.i64[r] == 0)) continue;
      if (w.expr && input.IsNull(r)) continue;
      if (w.hop_us == 0) {
        ws.rows.emplace_back(ts.i64[r], w.expr ? input.Get(r) : Value::Null(DataType::kInt64));
        continue;
      }
      const int64_t tile = FloorDiv(ts.i64[r], w.hop_us);
      if (open && open_tile != tile) close();
      if (!open) {
        open = std::make_unique<engine::AggregateState>(fn);
        open_tile = tile;
        if (!ws.tiles.empty() && ws.tiles.back().tile == tile) {
          std::string_view bytes = ws.tiles.back().state;
          fn.Deserialize(bytes, open->get());
        }
      }
      fn.Update(open->get(), input, r);
    }
    close();
  }
  rec.has_row = true;
  rec.newest = RowKeyOf(batch, rows[n - 1]);
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
  const Micros newest = rec.newest.ts;
  for (size_t k = 0; k < compiled_.spec.windows.size(); ++k) {
    const engine::WindowFeature& w = compiled_.spec.windows[k];
    WindowState& ws = rec.windows[k];
    if (w.hop_us == 0) {
      auto keep = std::find_if(ws.rows.begin(), ws.rows.end(), [&](const auto& row) {
        return row.first > newest - w.window_us;
      });
      ws.rows.erase(ws.rows.begin(), keep);
    } else {
      const int64_t first = FloorDiv(newest, w.hop_us) - w.window_us / w.hop_us + 1;
      auto keep = std::find_if(ws.tiles.begin(), ws.tiles.end(),
                               [&](const TileState& t) { return t.tile >= first; });
      ws.tiles.erase(ws.tiles.begin(), keep);
    }
  }
}

namespace {

// A state reused across entities: Reset frees what the last one held and starts empty.
class ReusedState {
 public:
  explicit ReusedState(const engine::AggregateFunction& fn) : fn_(fn), state_(fn) {}
  char* get() { return state_.get(); }
  char* Reset() {
    fn_.Destroy(state_.get());
    fn_.Init(state_.get());
    return state_.get();
  }

 private:
  const engine::AggregateFunction& fn_;
  engine::AggregateState state_;
};

}  // namespace

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
        } else if (spec.ttl_us && recs[r].newest.ts <= t - *spec.ttl_us) {
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
    const engine::AggregateFunction& fn = *w.fn;
    Column result = Column::Nulls(fn.result_type(), n);
    ReusedState full(fn), partial(fn), one(fn), scratch(fn);
    const int64_t current = w.hop_us ? FloorDiv(t, w.hop_us) : 0;
    const int64_t from = w.hop_us ? current - w.window_us / w.hop_us + 1 : 0;
    for (size_t r = 0; r < n; ++r) {
      scratch.Reset();
      if (!found[r]) {
        engine::FinalizeWindow(fn, nullptr, nullptr, scratch.get(), result, r);
        continue;
      }
      const RecordView::Window& ws = recs[r].windows[k];
      if (w.hop_us == 0) {
        // The stored rows in (t - window, t], Updated in row order, as the dataset path does.
        Column input(w.expr ? w.expr->type() : DataType::kTimestamp);
        for (const auto& [ts, v] : ws.rows) {
          if (ts <= t - w.window_us || ts > t) continue;
          input.Append(w.expr ? v : Value::Timestamp(ts));
        }
        char* st = full.Reset();
        for (size_t x = 0; x < input.size(); ++x) fn.Update(st, input, x);
        engine::FinalizeWindow(fn, nullptr, input.size() > 0 ? st : nullptr, scratch.get(),
                               result, r);
        continue;
      }
      full.Reset();
      partial.Reset();
      bool has_full = false, has_partial = false;
      try {
        for (const auto& [tile, state] : ws.tiles) {
          if (tile < from || tile > current) continue;
          std::string_view bytes = state;
          if (tile == current) {
            fn.Deserialize(bytes, partial.get());
            has_partial = true;
          } else {
            fn.Deserialize(bytes, one.Reset());
            fn.Merge(full.get(), one.get());
            has_full = true;
          }
        }
      } catch (const InputError& e) {
        throw InputError(fmt::format("online record of view '{}', feature '{}': {}", view_.name,
                                     view_.features[i].name, e.what()));
      }
      engine::FinalizeWindow(fn, has_full ? full.get() : nullptr,
                             has_partial ? partial.get() : nullptr, scratch.get(), result, r);
    }
    for (size_t r = 0; r < n; ++r) {
      values[r].value = result.Get(r);
      values[r].status = !found[r]            ? Status::kNotFound
                         : values[r].value.is_null ? Status::kNullValue
                                                   : Status::kPresent;
    }
  }
}

}  // namespace sluice::online
