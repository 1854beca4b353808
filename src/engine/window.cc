#include "engine/window.h"

#include <algorithm>
#include <limits>

#include "common/time.h"

namespace sluice::engine {

Micros SaturatingSub(Micros a, Micros b) {
  Micros r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<Micros>::min() : std::numeric_limits<Micros>::max();
  }
  return r;
}

Micros SaturatingMul(Micros a, Micros b) {
  Micros r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) != (b < 0) ? std::numeric_limits<Micros>::min()
                              : std::numeric_limits<Micros>::max();
  }
  return r;
}

TileSpan WindowTiles(const WindowFeature& w, Micros t) {
  TileSpan s;
  s.current = FloorDiv(t, w.hop_us);
  s.first = s.current - w.window_us / w.hop_us + 1;
  s.start_us = SaturatingMul(s.first, w.hop_us);
  s.current_start_us = SaturatingMul(s.current, w.hop_us);
  return s;
}

int64_t TileOf(const WindowFeature& w, Micros ts) { return FloorDiv(ts, w.hop_us); }

bool InExactWindow(const WindowFeature& w, Micros ts, Micros t) {
  return ts > SaturatingSub(t, w.window_us) && ts <= t;
}

bool WithinTtl(std::optional<Micros> ttl_us, Micros row_ts, Micros t) {
  return !ttl_us || row_ts > SaturatingSub(t, *ttl_us);
}

WindowInput::WindowInput(const WindowFeature& w, const Batch& rows, const Column& ts)
    : has_expr_(w.expr.has_value()), has_where_(w.where.has_value()), values_(&ts) {
  if (w.expr) {
    // A bare column is read in place; anything else is evaluated once for the batch.
    if (const std::string* name = w.expr->bare_column()) {
      values_ = &rows.Get(*name);
    } else {
      owned_ = w.expr->Evaluate(rows);
      values_ = &owned_;
    }
  }
  if (w.where) mask_ = w.where->Evaluate(rows);
}

WindowInput::WindowInput(WindowInput&& o) noexcept
    : has_expr_(o.has_expr_),
      has_where_(o.has_where_),
      values_(o.values_ == &o.owned_ ? &owned_ : o.values_),
      owned_(std::move(o.owned_)),
      mask_(std::move(o.mask_)) {}

void FinalizeWindow(const AggregateFunction& fn, const char* full, const char* partial,
                    char* scratch, Column& out, size_t row) {
  const char* state = scratch;
  if (full != nullptr && partial != nullptr) {
    fn.Merge(scratch, full);
    fn.Merge(scratch, partial);
  } else if (full != nullptr) {
    state = full;
  } else if (partial != nullptr) {
    state = partial;
  }
  out.valid[row] = 0;
  fn.Finalize(state, out, row);
}

void WindowState::Append(const WindowFeature& w, const WindowInput& in, const Column& ts,
                         const uint32_t* rows, size_t n) {
  const AggregateFunction& fn = *w.fn;
  const Column& values = in.values();
  // The tile being extended, deserialized once while consecutive rows fall in it.
  std::unique_ptr<AggregateState> open;
  int64_t open_tile = 0;
  auto close = [&] {
    if (!open) return;
    std::string bytes;
    fn.Serialize(open->get(), bytes);
    if (!tiles.empty() && tiles.back().tile == open_tile) {
      tiles.back().state = std::move(bytes);
    } else {
      tiles.push_back({open_tile, std::move(bytes)});
    }
    open.reset();
  };
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rows[i];
    if (!in.Qualifies(r)) continue;
    if (w.hop_us == 0) {
      this->rows.emplace_back(ts.i64[r], w.expr ? values.Get(r) : Value::Null(DataType::kInt64));
      continue;
    }
    const int64_t tile = TileOf(w, ts.i64[r]);
    if (open && open_tile != tile) close();
    if (!open) {
      open = std::make_unique<AggregateState>(fn);
      open_tile = tile;
      if (!tiles.empty() && tiles.back().tile == tile) {
        std::string_view bytes = tiles.back().state;
        fn.Deserialize(bytes, open->get());
      }
    }
    fn.Update(open->get(), values, r);
  }
  close();
}

void WindowState::Expire(const WindowFeature& w, Micros newest) {
  if (w.hop_us == 0) {
    // A window at t >= newest covers ts > t - window >= newest - window.
    auto keep = std::find_if(rows.begin(), rows.end(), [&](const auto& row) {
      return row.first > SaturatingSub(newest, w.window_us);
    });
    rows.erase(rows.begin(), keep);
  } else {
    const int64_t first = WindowTiles(w, newest).first;
    auto keep = std::find_if(tiles.begin(), tiles.end(),
                             [&](const TileState& t) { return t.tile >= first; });
    tiles.erase(tiles.begin(), keep);
  }
}

WindowStateView WindowState::View() const {
  WindowStateView v;
  for (const TileState& t : tiles) v.tiles.emplace_back(t.tile, t.state);
  v.rows = rows;
  return v;
}

WindowReader::WindowReader(const WindowFeature& w)
    : w_(w),
      full_(*w.fn),
      partial_(*w.fn),
      one_(*w.fn),
      scratch_(*w.fn),
      input_(w.expr ? w.expr->type() : DataType::kTimestamp) {}

char* WindowReader::Reset(AggregateState& state) {
  w_.fn->Destroy(state.get());
  w_.fn->Init(state.get());
  return state.get();
}

WindowReader::~WindowReader() = default;

void WindowReader::ValueAt(const WindowStateView* state, Micros t, Column& out, size_t row) {
  const AggregateFunction& fn = *w_.fn;
  char* scratch = Reset(scratch_);
  if (state == nullptr) {
    FinalizeWindow(fn, nullptr, nullptr, scratch, out, row);
    return;
  }
  if (w_.hop_us == 0) {
    // The stored rows in (t - window, t], Updated in row order, as the dataset path does.
    input_.Resize(0);
    for (const auto& [ts, v] : state->rows) {
      if (!InExactWindow(w_, ts, t)) continue;
      input_.Append(w_.expr ? v : Value::Timestamp(ts));
    }
    char* st = Reset(full_);
    for (size_t x = 0; x < input_.size(); ++x) fn.Update(st, input_, x);
    FinalizeWindow(fn, nullptr, input_.size() > 0 ? st : nullptr, scratch, out, row);
    return;
  }
  const TileSpan span = WindowTiles(w_, t);
  Reset(full_);
  Reset(partial_);
  bool has_full = false, has_partial = false;
  for (const auto& [tile, bytes] : state->tiles) {
    if (tile < span.first || tile > span.current) continue;
    std::string_view in = bytes;
    if (tile == span.current) {
      fn.Deserialize(in, partial_.get());
      has_partial = true;
    } else {
      fn.Deserialize(in, Reset(one_));
      fn.Merge(full_.get(), one_.get());
      has_full = true;
    }
  }
  FinalizeWindow(fn, has_full ? full_.get() : nullptr, has_partial ? partial_.get() : nullptr,
                 scratch, out, row);
}

}  // namespace sluice::engine
