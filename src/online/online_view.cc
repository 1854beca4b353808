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

std::vector<FeatureValue> OnlineView::Read(const ViewRecord* rec, Micros t) const {
  const engine::LastValueSpec& spec = compiled_.spec;
  std::vector<FeatureValue> out(view_.features.size());
  const bool found = rec != nullptr && rec->has_row;
  for (size_t i = 0; i < view_.features.size(); ++i) {
    FeatureValue& fv = out[i];
    fv.event_ts = found ? rec->newest.ts : 0;
    const size_t col = compiled_.column_of[i];
    if (col < spec.features.size()) {  // a last value (SPEC §5.1)
      fv.value = Value::Null(spec.features[col].type());
      if (!found) {
        fv.status = Status::kNotFound;
      } else if (spec.ttl_us && rec->newest.ts <= t - *spec.ttl_us) {
        fv.status = Status::kOutsideMaxAge;
      } else {
        fv.value = rec->last_values[col];
        fv.status = fv.value.is_null ? Status::kNullValue : Status::kPresent;
      }
      continue;
    }
    const size_t k = col - spec.features.size();
    const engine::WindowFeature& w = spec.windows[k];
    const engine::AggregateFunction& fn = *w.fn;
    Column result = Column::Nulls(fn.result_type(), 1);
    engine::AggregateState scratch(fn);
    if (!found) {
      engine::FinalizeWindow(fn, nullptr, nullptr, scratch.get(), result, 0);
      fv.value = result.Get(0);
      fv.status = Status::kNotFound;
      continue;
    }
    const WindowState& ws = rec->windows[k];
    if (w.hop_us == 0) {
      // The stored rows in (t - window, t], Updated in row order, as the dataset path does.
      Column input(w.expr ? w.expr->type() : DataType::kTimestamp);
      for (const auto& [ts, v] : ws.rows) {
        if (ts <= t - w.window_us || ts > t) continue;
        input.Append(w.expr ? v : Value::Timestamp(ts));
      }
      engine::AggregateState st(fn);
      for (size_t r = 0; r < input.size(); ++r) fn.Update(st.get(), input, r);
      engine::FinalizeWindow(fn, nullptr, input.size() > 0 ? st.get() : nullptr, scratch.get(),
                             result, 0);
    } else {
      const int64_t current = FloorDiv(t, w.hop_us);
      const int64_t from = current - w.window_us / w.hop_us + 1;
      engine::AggregateState full(fn), partial(fn), tile(fn);
      bool has_full = false, has_partial = false;
      try {
        for (const TileState& ts : ws.tiles) {
          if (ts.tile < from || ts.tile > current) continue;
          std::string_view bytes = ts.state;
          if (ts.tile == current) {
            fn.Deserialize(bytes, partial.get());
            has_partial = true;
          } else {
            engine::AggregateState one(fn);
            fn.Deserialize(bytes, one.get());
            fn.Merge(full.get(), one.get());
            has_full = true;
          }
        }
      } catch (const InputError& e) {
        throw InputError(fmt::format("online record of view '{}', feature '{}': {}", view_.name,
                                     view_.features[i].name, e.what()));
      }
      engine::FinalizeWindow(fn, has_full ? full.get() : nullptr,
                             has_partial ? partial.get() : nullptr, scratch.get(), result, 0);
    }
    fv.value = result.Get(0);
    fv.status = fv.value.is_null ? Status::kNullValue : Status::kPresent;
  }
  return out;
}

}  // namespace sluice::online
