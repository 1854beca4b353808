// Window semantics of SPEC §5.2, written once: which rows a window at time t covers, whether a
// row enters it, how its value is finalized, and the state one key's window keeps between
// deliveries (the online path and streams). The dataset path (point_in_time.cc) walks the same
// definitions over sorted rows; both finalize through FinalizeWindow, so they agree to the bit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate.h"
#include "expr/expression.h"
#include "sluice/column.h"

namespace sluice::engine {

// A windowed aggregate (SPEC §5.2). At time t it covers the key's rows with `where` true and
// lo <= ts <= t, where lo = (floor(t / hop) - window / hop + 1) * hop (tiles of `hop` aligned
// to the epoch: the current partial tile plus window/hop - 1 full tiles), or, with hop 0,
// t - window < ts <= t. Its value is fn over the non-null values of `expr` on those rows
// (every row when `expr` is absent: count of rows).
//
// Evaluation mirrors what the online store keeps: one state per (key, tile) built by Update
// in row order; the value at t is Init, then Merge of each full tile's state oldest first,
// then Merge of the partial tile's state (its rows with ts <= t). With hop 0 the rows in the
// window are Updated in row order into one state.
struct WindowFeature {
  std::shared_ptr<const AggregateFunction> fn;
  std::optional<expr::Expression> expr;   // nullopt: count rows
  std::optional<expr::Expression> where;  // nullopt: every row
  Micros window_us = 0;
  Micros hop_us = 0;  // 0 = exact sliding window
};

// Saturating a - b and a * b: time arithmetic at the ends of the int64 range never wraps.
Micros SaturatingSub(Micros a, Micros b);
Micros SaturatingMul(Micros a, Micros b);

// The tiles a tiled window (hop > 0) covers at time t: full tiles [first, current) and the
// partial tile `current` (the one holding t). `start_us` is the first covered microsecond
// (first * hop), `current_start_us` the partial tile's (current * hop), both saturated.
struct TileSpan {
  int64_t first = 0;
  int64_t current = 0;
  Micros start_us = 0;
  Micros current_start_us = 0;
};
TileSpan WindowTiles(const WindowFeature& w, Micros t);

// The tile holding a row at `ts` (hop > 0).
int64_t TileOf(const WindowFeature& w, Micros ts);

// Whether a row at `ts` lies in an exact window (hop 0) at t: t - window < ts <= t.
bool InExactWindow(const WindowFeature& w, Micros ts, Micros t);

// Whether a row at `row_ts` is still live at t under a ttl (SPEC §5.1): ts > t - ttl. No ttl:
// always.
bool WithinTtl(std::optional<Micros> ttl_us, Micros row_ts, Micros t);

// A window's inputs over a batch of source rows: the values fn is Updated with (expr, read in
// place when it is a bare column; the timestamp column when counting rows) and the `where`
// mask, evaluated once for the batch. Holds pointers into `rows`, which must outlive it.
class WindowInput {
 public:
  WindowInput(const WindowFeature& w, const Batch& rows, const Column& ts);
  WindowInput(WindowInput&&) noexcept;
  WindowInput& operator=(WindowInput&&) = delete;
  WindowInput(const WindowInput&) = delete;

  // Whether row r enters the aggregate: `where` true (null counts as false) and, with an
  // expr, its value not null.
  bool Qualifies(uint32_t r) const {
    if (has_where_ && (mask_.IsNull(r) || mask_.i64[r] == 0)) return false;
    return !(has_expr_ && values_->IsNull(r));
  }
  const Column& values() const { return *values_; }

 private:
  bool has_expr_, has_where_;
  const Column* values_;
  Column owned_, mask_;
};

// The value of a tiled window at time t into out[row], from `full` (the window's full tiles
// merged oldest first into an Init'ed state; nullptr when none had rows) and `partial` (the
// state of the current tile's rows with ts <= t; nullptr when none). `scratch` is a fresh
// Init'ed state, used when both are present. Over no rows: the empty value (count 0, sum 0,
// others null).
void FinalizeWindow(const AggregateFunction& fn, const char* full, const char* partial,
                    char* scratch, Column& out, size_t row);

// One serialized tile state of a key's window.
struct TileState {
  int64_t tile = 0;   // floor(ts / hop)
  std::string state;  // AggregateFunction::Serialize
};

// A stored window state read in place (tile states are views into bytes that outlive it).
struct WindowStateView {
  std::vector<std::pair<int64_t, std::string_view>> tiles;  // ascending tile
  std::vector<std::pair<Micros, Value>> rows;               // hop 0: (ts, expr value)
};

// The state one key's window feature keeps between deliveries: its tiles' serialized states
// (hop > 0) or its qualifying rows (hop 0; the expr value, or a null for row counts). What a
// view record stores per window, what materialize, push and streams extend.
struct WindowState {
  std::vector<TileState> tiles;                // ascending tile
  std::vector<std::pair<Micros, Value>> rows;  // ascending row order

  // Adds rows `rows[0..n)` of `in` (one key's rows, in row order, each after every row the
  // state already holds) whose times are in `ts`. Rows that do not qualify are skipped.
  void Append(const WindowFeature& w, const WindowInput& in, const Column& ts, const uint32_t* rows,
              size_t n);
  // Drops the tiles and rows that no window ending at or after `newest` (the key's newest
  // row time) can reach.
  void Expire(const WindowFeature& w, Micros newest);
  // A view of this state (valid while the state is unchanged).
  WindowStateView View() const;
};

// Reads a window's value at time t from stored states, reusing its aggregate states across
// calls. Meant for t at or after the key's newest row (SPEC §6): a partial tile later than t
// is not split. Not thread-safe: one reader per thread.
class WindowReader {
 public:
  explicit WindowReader(const WindowFeature& w);
  ~WindowReader();
  WindowReader(const WindowReader&) = delete;
  WindowReader& operator=(const WindowReader&) = delete;

  // out[row] := the window's value at t over `state` (nullptr: a key with no rows, the empty
  // value). Throws InputError when a tile state does not decode.
  void ValueAt(const WindowStateView* state, Micros t, Column& out, size_t row);

 private:
  // Frees what `state` held and starts it empty.
  char* Reset(AggregateState& state);
  const WindowFeature& w_;
  AggregateState full_, partial_, one_, scratch_;  // held inline: no allocation per read
  Column input_;                                   // hop 0: the window's rows, reused
};

}  // namespace sluice::engine
