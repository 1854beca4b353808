#include "engine/point_in_time.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/memory_source.h"

namespace sluice::engine {
namespace {

struct Event {
  int64_t user;
  Micros ts;
  std::optional<Micros> created;
  int64_t seq;
  std::optional<double> amount;
};

Batch EventsBatch(const std::vector<Event>& events) {
  Column user(DataType::kInt64), ts(DataType::kTimestamp), created(DataType::kTimestamp),
      seq(DataType::kInt64), amount(DataType::kFloat64);
  for (const Event& e : events) {
    user.Append(Value::Int(e.user));
    ts.Append(Value::Timestamp(e.ts));
    created.Append(e.created ? Value::Timestamp(*e.created) : Value::Null(DataType::kTimestamp));
    seq.Append(Value::Int(e.seq));
    amount.Append(e.amount ? Value::Float(*e.amount) : Value::Null(DataType::kFloat64));
  }
  Batch b;
  b.AddColumn("user_id", user);
  b.AddColumn("event_time", ts);
  b.AddColumn("created_at", created);
  b.AddColumn("_seq", seq);
  b.AddColumn("amount", amount);
  return b;
}

Schema EventSchema() {
  return {{"user_id", DataType::kInt64},
          {"event_time", DataType::kTimestamp},
          {"created_at", DataType::kTimestamp},
          {"amount", DataType::kFloat64}};
}

LastValueSpec AmountSpec(std::optional<Micros> ttl) {
  LastValueSpec spec;
  spec.join_keys = {"user_id"};
  spec.timestamp_field = "event_time";
  spec.created_timestamp_field = "created_at";
  spec.ttl_us = ttl;
  spec.features.push_back(expr::Expression::Compile("amount", EventSchema(), {"test", 1}));
  return spec;
}

// The definition of SPEC §5.1, scanned directly: the greatest qualifying row by
// (ts, created with null lowest, seq).
std::optional<const Event*> BruteForce(const std::vector<Event>& events, int64_t user, Micros t,
                                       std::optional<Micros> ttl) {
  const Event* best = nullptr;
  for (const Event& e : events) {
    if (e.user != user || e.ts > t) continue;
    if (ttl && e.ts <= t - *ttl) continue;
    if (!best) {
      best = &e;
      continue;
    }
    auto rank = [](const Event* x) {
      return std::make_tuple(x->ts, x->created.has_value(), x->created.value_or(0), x->seq);
    };
    if (rank(&e) > rank(best)) best = &e;
  }
  if (!best) return std::nullopt;
  return best;
}

TEST(LastValue, TieBrokenByCreatedTimestampThenSequence) {
  // Three rows at the same event time: the greatest created_at wins; equal created_at falls to
  // the ingestion sequence.
  std::vector<Event> events = {{1, 100, 5, 0, 1.0}, {1, 100, 9, 1, 2.0}, {1, 100, 9, 2, 3.0},
                               {1, 100, 7, 3, 4.0}, {1, 200, std::nullopt, 4, 5.0}};
  MemorySource source(EventsBatch(events), {"user_id"}, 4);
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  for (Micros t : {99, 100, 150, 200}) {
    user.Append(Value::Int(1));
    ts.Append(Value::Timestamp(t));
  }
  auto out = ComputeLastValues(AmountSpec(std::nullopt), source, {{&user}, &ts});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].Get(0), Value::Null(DataType::kFloat64));  // before any event
  EXPECT_EQ(out[0].Get(1), Value::Float(3.0));                // created 9, seq 2
  EXPECT_EQ(out[0].Get(2), Value::Float(3.0));
  EXPECT_EQ(out[0].Get(3), Value::Float(5.0));                // exactly at the event time
}

TEST(LastValue, TtlExcludesRowsAtOrBeforeTheEdge) {
  std::vector<Event> events = {{7, 1000, std::nullopt, 0, 10.0}};
  MemorySource source(EventsBatch(events), {"user_id"}, 2);
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  // ttl 50: the row qualifies while ts_r > t - 50, i.e. for t in [1000, 1049].
  for (Micros t : {1000, 1049, 1050, 2000}) {
    user.Append(Value::Int(7));
    ts.Append(Value::Timestamp(t));
  }
  auto out = ComputeLastValues(AmountSpec(50), source, {{&user}, &ts});
  EXPECT_EQ(out[0].Get(0), Value::Float(10.0));
  EXPECT_EQ(out[0].Get(1), Value::Float(10.0));
  EXPECT_EQ(out[0].Get(2), Value::Null(DataType::kFloat64));
  EXPECT_EQ(out[0].Get(3), Value::Null(DataType::kFloat64));
}

TEST(LastValue, NullEntityKeyOrTimestampGivesNull) {
  std::vector<Event> events = {{1, 10, std::nullopt, 0, 1.5}};
  MemorySource source(EventsBatch(events), {"user_id"}, 1);
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  user.AppendNull();
  ts.Append(Value::Timestamp(20));
  user.Append(Value::Int(1));
  ts.AppendNull();
  user.Append(Value::Int(1));
  ts.Append(Value::Timestamp(20));
  auto out = ComputeLastValues(AmountSpec(std::nullopt), source, {{&user}, &ts});
  EXPECT_TRUE(out[0].IsNull(0));
  EXPECT_TRUE(out[0].IsNull(1));
  EXPECT_EQ(out[0].Get(2), Value::Float(1.5));
}

TEST(LastValue, OnlyBucketsWithEntityRowsAreRead) {
  std::vector<Event> events;
  for (int u = 0; u < 100; ++u) events.push_back({u, 10, std::nullopt, u, 1.0 * u});
  MemorySource source(EventsBatch(events), {"user_id"}, 16);
  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  user.Append(Value::Int(42));
  ts.Append(Value::Timestamp(10));
  auto out = ComputeLastValues(AmountSpec(std::nullopt), source, {{&user}, &ts});
  EXPECT_EQ(out[0].Get(0), Value::Float(42.0));
  EXPECT_EQ(source.reads, 1);
}

class LastValueRandomized : public testing::TestWithParam<int> {};

TEST_P(LastValueRandomized, MatchesBruteForce) {
  std::mt19937_64 rng(GetParam());
  const int users = 30;
  std::vector<Event> events;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    Event e;
    e.user = static_cast<int64_t>(rng() % users);
    e.ts = static_cast<Micros>(rng() % 200) * 10 - 500;  // many ties; some negative times
    if (rng() % 4) e.created = static_cast<Micros>(rng() % 5);
    e.seq = i;
    if (rng() % 10) e.amount = static_cast<double>(rng() % 1000) / 10;
    events.push_back(e);
    if (rng() % 20 == 0) {  // an exact duplicate delivered again, later sequence
      Event d = e;
      d.seq = ++i;
      events.push_back(d);
    }
  }
  // Shuffle the arrival order across rows (sequences still name the delivery order).
  std::shuffle(events.begin(), events.end(), rng);
  if (GetParam() % 2 == 0) {
    // As segments arrive: a few runs, each sorted by (key, ts, created, seq).
    auto key = [](const Event& e) {
      return std::make_tuple(e.user, e.ts, e.created.has_value(), e.created.value_or(0), e.seq);
    };
    const size_t third = events.size() / 3;
    for (size_t begin : {size_t{0}, third, 2 * third}) {
      const size_t end = begin == 2 * third ? events.size() : begin + third;
      std::sort(events.begin() + begin, events.begin() + end,
                [&](const Event& a, const Event& b) { return key(a) < key(b); });
    }
  }
  const std::optional<Micros> ttl = GetParam() % 2 ? std::optional<Micros>(300) : std::nullopt;
  MemorySource source(EventsBatch(events), {"user_id"}, 1 + GetParam() % 8);
  // Every third seed reads buckets in key slices of about 40 rows.
  if (GetParam() % 3 == 0) source.set_slice_rows(40);

  Column user(DataType::kInt64), ts(DataType::kTimestamp);
  std::vector<std::pair<int64_t, Micros>> queries;
  for (int i = 0; i < 2000; ++i) {
    const int64_t u = static_cast<int64_t>(rng() % (users + 5));  // some keys absent
    Micros t;
    switch (rng() % 3) {
      case 0: t = events[rng() % events.size()].ts; break;                      // at an event
      case 1: t = events[rng() % events.size()].ts + (ttl ? *ttl : 0); break;   // at a ttl edge
      default: t = static_cast<Micros>(rng() % 2500) - 600;
    }
    queries.emplace_back(u, t);
    user.Append(Value::Int(u));
    ts.Append(Value::Timestamp(t));
  }
  auto out = ComputeLastValues(AmountSpec(ttl), source, {{&user}, &ts});
  for (size_t i = 0; i < queries.size(); ++i) {
    auto best = BruteForce(events, queries[i].first, queries[i].second, ttl);
    Value want = Value::Null(DataType::kFloat64);
    if (best && (*best)->amount) want = Value::Float(*(*best)->amount);
    ASSERT_EQ(out[0].Get(i), want) << "user " << queries[i].first << " t " << queries[i].second;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LastValueRandomized, testing::Range(1, 9));

TEST(LastValue, StringAndCompositeKeysWithUnpartitionedSource) {
  Column a(DataType::kString), b(DataType::kInt64), ts(DataType::kTimestamp),
      seq(DataType::kInt64), v(DataType::kInt64);
  auto add = [&](std::string ka, int64_t kb, Micros t, int64_t s, int64_t val) {
    a.Append(Value::String(ka));
    b.Append(Value::Int(kb));
    ts.Append(Value::Timestamp(t));
    seq.Append(Value::Int(s));
    v.Append(Value::Int(val));
  };
  add("x", 1, 10, 0, 100);
  add("x", 2, 10, 1, 200);
  add("y", 1, 20, 2, 300);
  add("x", 1, 30, 3, 400);
  Batch rows;
  rows.AddColumn("a", a);
  rows.AddColumn("b", b);
  rows.AddColumn("ts", ts);
  rows.AddColumn("_seq", seq);
  rows.AddColumn("v", v);
  // Partitioned by a key the view does not use: the engine must read everything together.
  MemorySource source(rows, {"v"}, 3);
  LastValueSpec spec;
  spec.join_keys = {"a", "b"};
  spec.timestamp_field = "ts";
  Schema schema = {{"a", DataType::kString}, {"b", DataType::kInt64}, {"ts", DataType::kTimestamp},
                   {"v", DataType::kInt64}};
  spec.features.push_back(expr::Expression::Compile("v + 1", schema, {"t", 1}));
  Column ea(DataType::kString), eb(DataType::kInt64), et(DataType::kTimestamp);
  auto q = [&](std::string ka, int64_t kb, Micros t) {
    ea.Append(Value::String(ka));
    eb.Append(Value::Int(kb));
    et.Append(Value::Timestamp(t));
  };
  q("x", 1, 29);
  q("x", 1, 30);
  q("x", 2, 5);
  q("y", 1, 100);
  q("z", 1, 100);
  auto out = ComputeLastValues(spec, source, {{&ea, &eb}, &et});
  EXPECT_EQ(out[0].Get(0), Value::Int(101));
  EXPECT_EQ(out[0].Get(1), Value::Int(401));
  EXPECT_TRUE(out[0].IsNull(2));
  EXPECT_EQ(out[0].Get(3), Value::Int(301));
  EXPECT_TRUE(out[0].IsNull(4));
}

}  // namespace
}  // namespace sluice::engine
