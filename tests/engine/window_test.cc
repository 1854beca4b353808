// Windowed aggregates (SPEC §5.2) against a brute-force reading of the definition, and the
// aggregate-state algebra (merge = state of the concatenation, serialize round trip).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "engine/aggregate.h"
#include "engine/memory_source.h"
#include "engine/point_in_time.h"
#include "sluice/error.h"

namespace sluice::engine {
namespace {

constexpr Micros kHour = 3600LL * 1000000;

struct Event {
  int64_t user;
  Micros ts;
  std::optional<Micros> created;
  int64_t seq;
  std::optional<double> amount;
  std::optional<int64_t> qty;
  std::optional<std::string> cat;
};

Schema EventSchema() {
  return {{"user_id", DataType::kInt64},
          {"event_time", DataType::kTimestamp},
          {"created_at", DataType::kTimestamp},
          {"amount", DataType::kFloat64},
          {"qty", DataType::kInt64},
          {"cat", DataType::kString}};
}

Batch EventsBatch(const std::vector<Event>& events) {
  Batch b;
  std::vector<Column> cols;
  for (const Field& f : EventSchema()) cols.emplace_back(f.type);
  Column seq(DataType::kInt64);
  for (const Event& e : events) {
    cols[0].Append(Value::Int(e.user));
    cols[1].Append(Value::Timestamp(e.ts));
    cols[2].Append(e.created ? Value::Timestamp(*e.created) : Value::Null(DataType::kTimestamp));
    cols[3].Append(e.amount ? Value::Float(*e.amount) : Value::Null(DataType::kFloat64));
    cols[4].Append(e.qty ? Value::Int(*e.qty) : Value::Null(DataType::kInt64));
    cols[5].Append(e.cat ? Value::String(*e.cat) : Value::Null(DataType::kString));
    seq.Append(Value::Int(e.seq));
  }
  for (size_t c = 0; c < cols.size(); ++c) b.AddColumn(EventSchema()[c].name, cols[c]);
  b.AddColumn("_seq", seq);
  return b;
}

struct Def {
  std::string fn, expr, where;
  Micros window, hop;
};

// The value SPEC §5.2 defines, computed by scanning every event.
Value BruteForce(const std::vector<Event>& events, const Def& d, int64_t user, Micros t) {
  auto floor_div = [](Micros a, Micros b) { return a / b - (a % b != 0 && a < 0 ? 1 : 0); };
  const Micros lo = d.hop ? (floor_div(t, d.hop) - d.window / d.hop + 1) * d.hop : t - d.window + 1;
  std::vector<const Event*> in;
  for (const Event& e : events) {
    if (e.user != user || e.ts < lo || e.ts > t) continue;
    if (d.where == "qty > 2" && !(e.qty && *e.qty > 2)) continue;
    in.push_back(&e);
  }
  // Row order: (ts, created with null first, seq).
  std::sort(in.begin(), in.end(), [](const Event* a, const Event* b) {
    return std::make_tuple(a->ts, a->created.has_value(), a->created.value_or(0), a->seq) <
           std::make_tuple(b->ts, b->created.has_value(), b->created.value_or(0), b->seq);
  });
  std::vector<Value> xs;  // non-null inputs in row order
  for (const Event* e : in) {
    if (d.expr.empty()) {
      xs.push_back(Value::Int(1));
    } else if (d.expr == "amount") {
      if (e->amount) xs.push_back(Value::Float(*e->amount));
    } else if (d.expr == "qty") {
      if (e->qty) xs.push_back(Value::Int(*e->qty));
    } else if (e->cat) {
      xs.push_back(Value::String(*e->cat));
    }
  }
  const DataType in_type = d.expr == "amount" ? DataType::kFloat64
                           : d.expr == "cat"  ? DataType::kString
                                              : DataType::kInt64;
  auto num = [](const Value& v) { return v.type == DataType::kFloat64 ? v.d : double(v.i); };
  if (d.fn == "count") return Value::Int(static_cast<int64_t>(xs.size()));
  if (d.fn == "sum") {
    if (in_type == DataType::kInt64) {
      int64_t s = 0;
      for (const Value& v : xs) s += v.i;
      return Value::Int(s);
    }
    double s = 0;
    for (const Value& v : xs) s += v.d;
    return Value::Float(s);
  }
  if (xs.empty())
    return Value::Null(d.fn == "approx_count_distinct" ? DataType::kInt64
                       : (d.fn == "mean" || d.fn == "variance" || d.fn == "stddev")
                           ? DataType::kFloat64
                           : in_type);
  if (d.fn == "mean" || d.fn == "variance" || d.fn == "stddev") {
    double s = 0;
    for (const Value& v : xs) s += num(v);
    const double mean = s / xs.size();
    if (d.fn == "mean") return Value::Float(mean);
    if (xs.size() < 2) return Value::Null(DataType::kFloat64);
    double ss = 0;
    for (const Value& v : xs) ss += (num(v) - mean) * (num(v) - mean);
    const double var = ss / (xs.size() - 1);
    return Value::Float(d.fn == "variance" ? var : std::sqrt(var));
  }
  if (d.fn == "last") return xs.back();
  if (d.fn == "first") return xs.front();
  if (d.fn == "min" || d.fn == "max") {
    Value best = xs[0];
    for (const Value& v : xs) {
      const bool less = v.type == DataType::kString ? v.s < best.s : num(v) < num(best);
      const bool more = v.type == DataType::kString ? v.s > best.s : num(v) > num(best);
      if ((d.fn == "min" && less) || (d.fn == "max" && more)) best = v;
    }
    return best;
  }
  std::set<std::string> distinct;  // approx_count_distinct: exact below 257 values
  for (const Value& v : xs) distinct.insert(v.ToString());
  return Value::Int(static_cast<int64_t>(distinct.size()));
}

void ExpectClose(const Value& got, const Value& want, const std::string& what) {
  if (want.is_null || want.type != DataType::kFloat64 || got.is_null) {
    EXPECT_EQ(got, want) << what << ": got " << got.ToString() << ", want " << want.ToString();
    return;
  }
  EXPECT_NEAR(got.d, want.d, 1e-9 * std::max(1.0, std::fabs(want.d)))
      << what << ": got " << got.ToString() << ", want " << want.ToString();
}

// Times around the epoch (negative ones test floor division), many on exact tile edges.
Micros RandomTime(std::mt19937_64& rng) {
  const Micros base = static_cast<Micros>(rng() % (6 * 24)) * kHour - 3 * 24 * kHour;
  switch (rng() % 3) {
    case 0:
      return base;  // on an hour edge
    case 1:
      return base + static_cast<Micros>(rng() % 6) * 600'000'000;  // on a 10-min edge
    default:
      return base + static_cast<Micros>(rng() % kHour);
  }
}

std::vector<Event> RandomEvents(std::mt19937_64& rng, int64_t n, int64_t users) {
  std::vector<Event> events;
  const char* cats[] = {"a", "b", "c", "a long category name", "e"};
  for (int64_t i = 0; i < n; ++i) {
    Event e;
    e.user = static_cast<int64_t>(rng() % users);
    e.ts = RandomTime(rng);
    if (rng() % 4) e.created = e.ts + static_cast<Micros>(rng() % 3);
    e.seq = i;
    if (rng() % 6) e.amount = static_cast<double>(static_cast<int64_t>(rng() % 400) - 100) * 0.25;
    if (rng() % 5) e.qty = static_cast<int64_t>(rng() % 7);
    if (rng() % 5) e.cat = cats[rng() % 5];
    events.push_back(e);
  }
  return events;
}

// Every aggregate, tiled and exact, with and without expr and where.
std::vector<Def> AllWindowDefs() {
  return {
      {"count", "", "", 24 * kHour, kHour},
      {"count", "amount", "", kHour, 600'000'000},
      {"count", "", "qty > 2", 24 * kHour, kHour},
      {"count", "cat", "", 3 * kHour, 0},
      {"sum", "amount", "", kHour, 60'000'000},
      {"sum", "qty", "", 2 * kHour, 0},
      {"mean", "amount", "", 2 * kHour, 0},
      {"mean", "qty", "qty > 2", 3 * 24 * kHour, kHour},
      {"min", "cat", "", 24 * kHour, kHour},
      {"min", "amount", "", 2 * kHour, 0},
      {"max", "qty", "", kHour, 600'000'000},
      {"max", "amount", "", 6 * kHour, 0},
      {"last", "amount", "", 24 * kHour, kHour},
      {"first", "cat", "", 2 * kHour, 0},
      {"first", "qty", "", 24 * kHour, 3 * kHour},
      {"last", "cat", "qty > 2", kHour, 600'000'000},
      {"variance", "amount", "", 24 * kHour, kHour},
      {"variance", "qty", "", 5 * kHour, 0},
      {"stddev", "qty", "", 2 * kHour, 0},
      {"stddev", "amount", "qty > 2", 2 * 24 * kHour, kHour},
      {"approx_count_distinct", "cat", "", 24 * kHour, kHour},
      {"approx_count_distinct", "amount", "", 2 * 24 * kHour, 0},
      // Multi-day windows with day tiles (events span six days).
      {"sum", "qty", "", 7 * 24 * kHour, 24 * kHour},
      {"count", "", "", 4 * 24 * kHour, 24 * kHour},
      {"max", "amount", "qty > 2", 3 * 24 * kHour, 0},
  };
}

WindowFeature MakeWindow(const Def& d) {
  WindowFeature w;
  std::optional<DataType> input;
  if (!d.expr.empty()) {
    w.expr = expr::Expression::Compile(d.expr, EventSchema(), {"test", 1});
    input = w.expr->type();
  }
  if (!d.where.empty()) w.where = expr::Expression::Compile(d.where, EventSchema(), {"test", 1});
  w.fn = MakeAggregate(d.fn, input);
  w.window_us = d.window;
  w.hop_us = d.hop;
  return w;
}

std::string Describe(const Def& d) {
  return d.fn + "(" + d.expr + ")" + (d.where.empty() ? "" : " where " + d.where) + " window " +
         std::to_string(d.window) + " hop " + std::to_string(d.hop);
}

TEST(Windows, MatchTheDefinitionOnRandomData) {
  std::mt19937_64 rng(7);
  const std::vector<Event> events = RandomEvents(rng, 3000, 12);
  const std::vector<Def> defs = AllWindowDefs();
  LastValueSpec spec;
  spec.join_keys = {"user_id"};
  spec.timestamp_field = "event_time";
  spec.created_timestamp_field = "created_at";
  for (const Def& d : defs) {
    spec.windows.push_back(MakeWindow(d));
    ASSERT_TRUE(spec.windows.back().fn) << d.fn;
  }
  // Entity rows: known and unknown users, times on and off edges, one null time.
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  for (int i = 0; i < 600; ++i) {
    user.Append(Value::Int(static_cast<int64_t>(rng() % 14)));  // 12, 13: no events
    ts.Append(
        Value::Timestamp(RandomTime(rng) + (rng() % 2 ? 0 : static_cast<Micros>(rng() % 5) - 2)));
  }
  user.Append(Value::Int(1));
  ts.AppendNull();
  // Whole buckets, and buckets read in key slices of about 100 rows.
  for (const size_t slice_rows : {size_t{0}, size_t{100}}) {
    MemorySource source(EventsBatch(events), {"user_id"}, 5);
    source.set_slice_rows(slice_rows);
    const std::vector<Column> out = ComputeLastValues(spec, source, {{&user}, &ts});
    ASSERT_EQ(out.size(), defs.size());
    for (size_t f = 0; f < defs.size(); ++f) {
      const Def& d = defs[f];
      for (size_t r = 0; r + 1 < user.size(); ++r) {
        const Value want = BruteForce(events, d, user.i64[r], ts.i64[r]);
        ExpectClose(out[f].Get(r), want,
                    d.fn + "(" + d.expr + ") window " + std::to_string(d.window) + " hop " +
                        std::to_string(d.hop) + " user " + std::to_string(user.i64[r]) + " t " +
                        std::to_string(ts.i64[r]));
      }
      EXPECT_TRUE(out[f].IsNull(user.size() - 1)) << "null entity time gives null " << d.fn;
    }
  }
}

// The online state (engine::WindowState): one key's rows appended in random delivery splits,
// expired after each delivery to what windows ending at or after the newest row can reach,
// and read at random times at or after it, equals the definition over every row delivered so
// far — for every aggregate, tiled and exact.
TEST(WindowState, MatchesTheDefinitionAcrossRandomDeliveriesAndExpiry) {
  std::mt19937_64 rng(11);
  const std::vector<Event> all = RandomEvents(rng, 1500, 3);
  for (const Def& d : AllWindowDefs()) {
    const WindowFeature w = MakeWindow(d);
    ASSERT_TRUE(w.fn) << d.fn;
    for (int64_t user = 0; user < 3; ++user) {
      // The key's rows in row order (ts, created with null first, seq).
      std::vector<Event> rows;
      for (const Event& e : all) {
        if (e.user == user) rows.push_back(e);
      }
      std::sort(rows.begin(), rows.end(), [](const Event& a, const Event& b) {
        return std::make_tuple(a.ts, a.created.has_value(), a.created.value_or(0), a.seq) <
               std::make_tuple(b.ts, b.created.has_value(), b.created.value_or(0), b.seq);
      });
      const Batch batch = EventsBatch(rows);
      const Column& ts = batch.Get("event_time");
      const WindowInput input(w, batch, ts);
      WindowState state;
      WindowReader reader(w);
      std::vector<uint32_t> order(rows.size());
      std::iota(order.begin(), order.end(), 0u);
      size_t done = 0;
      while (done < rows.size()) {
        const size_t n = std::min<size_t>(rows.size() - done, 1 + rng() % 40);
        state.Append(w, input, ts, order.data() + done, n);
        done += n;
        const Micros newest = rows[done - 1].ts;
        state.Expire(w, newest);
        const std::vector<Event> delivered(rows.begin(), rows.begin() + done);
        const WindowStateView view = state.View();
        for (int probe = 0; probe < 4; ++probe) {
          // At the newest row, just after it, inside and past the window.
          const Micros t = newest + (probe == 0   ? 0
                                     : probe == 1 ? 1
                                                  : static_cast<Micros>(rng() % (2 * d.window)));
          Column out = Column::Nulls(w.fn->result_type(), 1);
          reader.ValueAt(&view, t, out, 0);
          ExpectClose(out.Get(0), BruteForce(delivered, d, user, t),
                      Describe(d) + " user " + std::to_string(user) + " after " +
                          std::to_string(done) + " rows, t " + std::to_string(t));
        }
      }
      // Expiry keeps only what can still be reached: nothing before the window at the newest
      // row.
      if (!rows.empty()) {
        const Micros newest = rows.back().ts;
        if (w.hop_us > 0) {
          for (const TileState& t : state.tiles) EXPECT_GE(t.tile, WindowTiles(w, newest).first);
        } else {
          for (const auto& [t, v] : state.rows) EXPECT_GT(t, newest - w.window_us);
        }
      }
    }
  }
}

TEST(WindowState, NoRowsReadAsTheEmptyValue) {
  for (const Def& d : AllWindowDefs()) {
    const WindowFeature w = MakeWindow(d);
    WindowReader reader(w);
    Column out = Column::Nulls(w.fn->result_type(), 2);
    reader.ValueAt(nullptr, 0, out, 0);
    const WindowStateView empty;
    reader.ValueAt(&empty, 0, out, 1);
    const bool zero = d.fn == "count" || d.fn == "sum";
    for (size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(out.IsNull(r), !zero) << Describe(d);
      if (zero) {
        EXPECT_EQ(out.Get(r),
                  w.fn->result_type() == DataType::kFloat64 ? Value::Float(0) : Value::Int(0))
            << Describe(d);
      }
    }
  }
}

TEST(WindowHelpers, TileRangeTtlAndExactBoundsSaturateAtTheEndsOfTime) {
  WindowFeature w;
  w.window_us = 3 * kHour;
  w.hop_us = kHour;
  const TileSpan s = WindowTiles(w, 5 * kHour + 7);
  EXPECT_EQ(s.current, 5);
  EXPECT_EQ(s.first, 3);
  EXPECT_EQ(s.start_us, 3 * kHour);
  EXPECT_EQ(s.current_start_us, 5 * kHour);
  const TileSpan neg = WindowTiles(w, -1);  // floor division below the epoch
  EXPECT_EQ(neg.current, -1);
  EXPECT_EQ(neg.first, -3);
  const Micros min = std::numeric_limits<Micros>::min();
  const Micros max = std::numeric_limits<Micros>::max();
  EXPECT_EQ(WindowTiles(w, min).start_us, min);
  w.hop_us = 0;
  EXPECT_TRUE(InExactWindow(w, 10, 10));
  EXPECT_FALSE(InExactWindow(w, 10 - 3 * kHour, 10));
  EXPECT_TRUE(InExactWindow(w, 11 - 3 * kHour, 10));
  EXPECT_FALSE(InExactWindow(w, 11, 10));
  EXPECT_TRUE(InExactWindow(w, min + 1, min + 5));  // t - window saturates instead of wrapping
  EXPECT_TRUE(WithinTtl(std::nullopt, min, max));
  EXPECT_TRUE(WithinTtl(kHour, 1, kHour));
  EXPECT_FALSE(WithinTtl(kHour, 0, kHour));
  EXPECT_TRUE(WithinTtl(kHour, min + 1, min + 2));
}

TEST(Windows, EmptyWindowsAreZeroForCountAndSumAndNullOtherwise) {
  std::vector<Event> events = {{1, 10 * kHour, std::nullopt, 0, 2.5, 3, "x"}};
  LastValueSpec spec;
  spec.join_keys = {"user_id"};
  spec.timestamp_field = "event_time";
  for (const char* fn : {"count", "sum", "mean", "min", "last", "approx_count_distinct"}) {
    WindowFeature w;
    w.expr = expr::Expression::Compile("amount", EventSchema(), {"test", 1});
    w.fn = MakeAggregate(fn, DataType::kFloat64);
    w.window_us = kHour;
    w.hop_us = 600'000'000;
    spec.windows.push_back(std::move(w));
  }
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  user.Append(Value::Int(1));  // an hour after the only event: empty window
  ts.Append(Value::Timestamp(11 * kHour + 600'000'000));
  user.Append(Value::Int(7));  // a user with no events at all
  ts.Append(Value::Timestamp(10 * kHour));
  user.Append(Value::Int(1));  // the event itself
  ts.Append(Value::Timestamp(10 * kHour));
  MemorySource source(EventsBatch(events), {"user_id"}, 3);
  const auto out = ComputeLastValues(spec, source, {{&user}, &ts});
  for (size_t r : {0, 1}) {
    EXPECT_EQ(out[0].Get(r), Value::Int(0));
    EXPECT_EQ(out[1].Get(r), Value::Float(0));
    for (size_t f = 2; f < 6; ++f) EXPECT_TRUE(out[f].IsNull(r)) << f << " row " << r;
  }
  EXPECT_EQ(out[0].Get(2), Value::Int(1));
  EXPECT_EQ(out[1].Get(2), Value::Float(2.5));
  EXPECT_EQ(out[2].Get(2), Value::Float(2.5));
  EXPECT_EQ(out[5].Get(2), Value::Int(1));
}

// Merging the states of a split sequence equals the state of the whole; a state survives
// Serialize + Deserialize unchanged.
TEST(AggregateStates, MergeOfPartsEqualsWholeAndSerializeRoundTrips) {
  std::mt19937_64 rng(3);
  struct Case {
    const char* fn;
    DataType type;
  };
  const std::vector<Case> cases = {{"count", DataType::kInt64},
                                   {"sum", DataType::kInt64},
                                   {"sum", DataType::kFloat64},
                                   {"mean", DataType::kFloat64},
                                   {"variance", DataType::kInt64},
                                   {"stddev", DataType::kFloat64},
                                   {"min", DataType::kString},
                                   {"max", DataType::kFloat64},
                                   {"min", DataType::kTimestamp},
                                   {"last", DataType::kFloat64List},
                                   {"first", DataType::kString},
                                   {"last", DataType::kBool},
                                   {"approx_count_distinct", DataType::kInt64},
                                   {"approx_count_distinct", DataType::kString}};
  for (const Case& c : cases) {
    for (size_t n : {0ul, 1ul, 2ul, 50ul, 2000ul}) {
      Column col(c.type);
      for (size_t i = 0; i < n; ++i) {
        const int64_t k = static_cast<int64_t>(rng() % 1500);
        switch (c.type) {
          case DataType::kFloat64:
            col.Append(Value::Float(k * 0.125 - 50));
            break;
          case DataType::kString:
            col.Append(Value::String("v" + std::to_string(k)));
            break;
          case DataType::kFloat64List:
            col.Append(Value::List({double(k), 1.0}));
            break;
          case DataType::kBool:
            col.Append(Value::Bool(k % 2));
            break;
          case DataType::kTimestamp:
            col.Append(Value::Timestamp(k - 700));
            break;
          default:
            col.Append(Value::Int(k - 700));
            break;
        }
      }
      auto fn = MakeAggregate(c.fn, c.type);
      ASSERT_TRUE(fn) << c.fn;
      const size_t split = n ? rng() % (n + 1) : 0;
      AggregateState whole(*fn), a(*fn), b(*fn), back(*fn);
      for (size_t i = 0; i < n; ++i) {
        fn->Update(whole.get(), col, i);
        fn->Update(i < split ? a.get() : b.get(), col, i);
      }
      fn->Merge(a.get(), b.get());
      std::string bytes;
      fn->Serialize(a.get(), bytes);
      std::string_view in = bytes;
      fn->Deserialize(in, back.get());
      EXPECT_TRUE(in.empty());
      Column r(fn->result_type());
      r.Resize(3);
      fn->Finalize(whole.get(), r, 0);
      fn->Finalize(a.get(), r, 1);
      fn->Finalize(back.get(), r, 2);
      const std::string what = std::string(c.fn) + " n=" + std::to_string(n);
      ExpectClose(r.Get(1), r.Get(0), what + " merged");
      EXPECT_EQ(r.Get(2), r.Get(1)) << what << " serialized";
      if (std::string(c.fn) == "approx_count_distinct" && n == 2000) {
        // 1500 possible values, ~1100 distinct: HyperLogLog with 4096 registers is within 5%.
        std::set<std::string> distinct;
        for (size_t i = 0; i < n; ++i) distinct.insert(col.Get(i).ToString());
        EXPECT_NEAR(static_cast<double>(r.i64[0]), static_cast<double>(distinct.size()),
                    0.05 * distinct.size());
      }
    }
  }
}

TEST(AggregateStates, MalformedEncodingIsAnInputError) {
  auto fn = MakeAggregate("approx_count_distinct", DataType::kString);
  AggregateState s(*fn);
  std::string_view truncated("\x01\x00", 2);
  EXPECT_THROW(fn->Deserialize(truncated, s.get()), InputError);
  std::string_view bad_mode("\x07", 1);
  EXPECT_THROW(fn->Deserialize(bad_mode, s.get()), InputError);
}

}  // namespace
}  // namespace sluice::engine
