// Profiles (SPEC §7) on hand-built batches: exact counts, nulls, moments, quantiles, distinct
// counts and top values per type; the skip mask; Merge against one pass; the stored form
// (round trip, truncation, unknown format); merge errors; ToJson for timestamps.
#include "quality/profile.h"

#include <gtest/gtest.h>

#include <cstring>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "column_util.h"
#include "sluice/error.h"

namespace sluice::quality {
namespace {


Micros Ts(const char* text) {
  const std::optional<Micros> t = ParseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

constexpr std::optional<double> kNullF = std::nullopt;
constexpr std::optional<int64_t> kNullI = std::nullopt;

// Eight rows, one column per profiled type:
//   i  int64      3 1 4 1 5 9 2 6
//   x  float64    1.5 null -2 0.25 null 4 1.5 8
//   s  string     b a b null c a b ""
//   f  bool       T F T T null F T T
//   t  timestamp  eight instants, row 2 null
Batch Sample() {
  Batch b;
  b.AddColumn("i", Ints({3, 1, 4, 1, 5, 9, 2, 6}));
  b.AddColumn("x", Floats({1.5, kNullF, -2.0, 0.25, kNullF, 4.0, 1.5, 8.0}));
  b.AddColumn("s", Strings({"b", "a", "b", std::nullopt, "c", "a", "b", ""}));
  b.AddColumn("f", Bools({true, false, true, true, std::nullopt, false, true, true}));
  b.AddColumn("t", Ints({Ts("2024-01-05T00:00:00"), Ts("2024-01-01T00:00:00"), kNullI,
                         Ts("2024-01-03T12:30:00"), Ts("2024-01-02T00:00:00"),
                         Ts("2024-01-08T00:00:00.25"), Ts("2024-01-04T00:00:00"),
                         Ts("2024-01-06T00:00:00")},
                        DataType::kTimestamp));
  EXPECT_EQ(b.num_rows, 8u);
  return b;
}

struct Stats {
  double mean, stddev;
};

// The sample mean and standard deviation, computed the textbook way.
Stats Expected(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / static_cast<double>(xs.size());
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  return {mean, xs.size() < 2 ? 0.0 : std::sqrt(ss / static_cast<double>(xs.size() - 1))};
}

const nlohmann::json& Col(const nlohmann::json& j, const std::string& name) {
  for (const auto& c : j["columns"]) {
    if (c["name"] == name) return c;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no column " << name << " in " << j.dump();
  return none;
}

// `a` equals `b` exactly, except that floating-point numbers may differ by a relative 1e-12:
// Welford's one pass and Chan's pairwise merge round differently in the last bit.
void ExpectJsonNear(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "") {
  if (a.is_number_float() && b.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    EXPECT_NEAR(x, y, 1e-12 * std::max(std::fabs(x), std::fabs(y))) << at;
    return;
  }
  ASSERT_EQ(a.type(), b.type()) << at << ": " << a.dump() << " vs " << b.dump();
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << at << ": " << a.dump() << " vs " << b.dump();
    for (const auto& [k, v] : a.items()) {
      ASSERT_TRUE(b.contains(k)) << at << "." << k;
      ExpectJsonNear(v, b[k], at + "." + k);
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << at << ": " << a.dump() << " vs " << b.dump();
    for (size_t i = 0; i < a.size(); ++i) ExpectJsonNear(a[i], b[i], at + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(a, b) << at;
  }
}

nlohmann::json Top(std::initializer_list<std::pair<nlohmann::json, int>> items) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [v, n] : items) top.push_back({{"value", v}, {"count", n}});
  return top;
}

TEST(Profile, EveryTypeIsExactOnASmallBatch) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  EXPECT_EQ(p.rows(), 8);
  ASSERT_EQ(p.columns().size(), 5u);
  EXPECT_EQ(p.Find("nope"), nullptr);

  // int64: moments, quantiles, distinct and top values.
  const ColumnProfile& i = *p.Find("i");
  EXPECT_EQ(i.type, DataType::kInt64);
  EXPECT_TRUE(i.numeric());
  EXPECT_TRUE(i.categorical());
  EXPECT_EQ(i.count, 8);
  EXPECT_EQ(i.nulls, 0);
  EXPECT_EQ(i.moments.count, 8);
  EXPECT_EQ(i.moments.min, 1);
  EXPECT_EQ(i.moments.max, 9);
  const Stats si = Expected({3, 1, 4, 1, 5, 9, 2, 6});
  EXPECT_DOUBLE_EQ(si.mean, 3.875);
  EXPECT_DOUBLE_EQ(i.moments.mean, si.mean);
  EXPECT_DOUBLE_EQ(i.moments.Stddev(), si.stddev);
  EXPECT_EQ(i.quantiles.n(), 8u);
  EXPECT_EQ(i.distinct.Estimate(), 7);
  EXPECT_TRUE(i.top.exact());
  EXPECT_EQ(i.top.n(), 8u);

  const nlohmann::json j = p.ToJson();
  EXPECT_EQ(j["rows"], 8);
  ASSERT_EQ(j["columns"].size(), 5u);
  const nlohmann::json& ji = Col(j, "i");
  EXPECT_EQ(ji["type"], "int64");
  EXPECT_EQ(ji["count"], 8);
  EXPECT_EQ(ji["nulls"], 0);
  EXPECT_EQ(ji["null_rate"].get<double>(), 0.0);
  EXPECT_EQ(ji["distinct"], 7);
  EXPECT_EQ(ji["min"].get<double>(), 1.0);
  EXPECT_EQ(ji["max"].get<double>(), 9.0);
  EXPECT_DOUBLE_EQ(ji["mean"].get<double>(), si.mean);
  EXPECT_DOUBLE_EQ(ji["stddev"].get<double>(), si.stddev);
  // Sorted 1 1 2 3 4 5 6 9: the least value whose cumulative count reaches q * 8.
  EXPECT_EQ(ji["quantiles"], (nlohmann::json{{"p01", 1.0}, {"p05", 1.0}, {"p25", 1.0},
                                            {"p50", 3.0}, {"p75", 5.0}, {"p95", 9.0},
                                            {"p99", 9.0}}));
  // Count descending, then value ascending (as text: "9" after "6"); shown as int64 values.
  EXPECT_EQ(ji["top"], Top({{1, 2}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {9, 1}}));
  EXPECT_EQ(ji["top_exact"], true);
  EXPECT_EQ(p.ToJson(3)["columns"][0]["top"], Top({{1, 2}, {2, 1}, {3, 1}}));
  EXPECT_TRUE(ji["min"].is_number_integer());
  EXPECT_TRUE(ji["quantiles"]["p50"].is_number_integer());

  // float64 with nulls: no top values.
  const nlohmann::json& jx = Col(j, "x");
  const Stats sx = Expected({1.5, -2.0, 0.25, 4.0, 1.5, 8.0});
  EXPECT_EQ(jx["type"], "float64");
  EXPECT_EQ(jx["count"], 8);
  EXPECT_EQ(jx["nulls"], 2);
  EXPECT_EQ(jx["null_rate"].get<double>(), 0.25);
  EXPECT_EQ(jx["distinct"], 5);  // 1.5 twice
  EXPECT_EQ(jx["min"].get<double>(), -2.0);
  EXPECT_EQ(jx["max"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(jx["mean"].get<double>(), sx.mean);
  EXPECT_DOUBLE_EQ(jx["stddev"].get<double>(), sx.stddev);
  // Sorted -2 0.25 1.5 1.5 4 8.
  EXPECT_EQ(jx["quantiles"], (nlohmann::json{{"p01", -2.0}, {"p05", -2.0}, {"p25", 0.25},
                                            {"p50", 1.5}, {"p75", 4.0}, {"p95", 8.0},
                                            {"p99", 8.0}}));
  EXPECT_FALSE(jx.contains("top"));
  EXPECT_FALSE(jx.contains("top_exact"));
  EXPECT_FALSE(p.Find("x")->categorical());
  EXPECT_EQ(p.Find("x")->moments.count, 6);

  // string: top values and distinct only (the empty string is a value, not a null).
  const nlohmann::json& js = Col(j, "s");
  EXPECT_EQ(js["type"], "string");
  EXPECT_EQ(js["count"], 8);
  EXPECT_EQ(js["nulls"], 1);
  EXPECT_EQ(js["null_rate"].get<double>(), 0.125);
  EXPECT_EQ(js["distinct"], 4);
  EXPECT_EQ(js["top"], Top({{"b", 3}, {"a", 2}, {"", 1}, {"c", 1}}));
  EXPECT_EQ(js["top_exact"], true);
  for (const char* key : {"min", "max", "mean", "stddev", "quantiles"}) {
    EXPECT_FALSE(js.contains(key)) << key;
  }
  EXPECT_FALSE(p.Find("s")->numeric());

  // bool: moments of 0/1 and top values, no quantiles.
  const nlohmann::json& jf = Col(j, "f");
  const Stats sf = Expected({1, 0, 1, 1, 0, 1, 1});
  EXPECT_EQ(jf["type"], "bool");
  EXPECT_EQ(jf["nulls"], 1);
  EXPECT_EQ(jf["distinct"], 2);
  EXPECT_EQ(jf["min"].get<double>(), 0.0);
  EXPECT_EQ(jf["max"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(jf["mean"].get<double>(), 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(jf["stddev"].get<double>(), sf.stddev);
  EXPECT_FALSE(jf.contains("quantiles"));
  EXPECT_EQ(jf["top"], Top({{true, 5}, {false, 2}}));
  EXPECT_EQ(jf["top_exact"], true);

  // timestamp: ISO text for min, max and quantiles; no mean, stddev or top values.
  const nlohmann::json& jt = Col(j, "t");
  EXPECT_EQ(jt["type"], "timestamp");
  EXPECT_EQ(jt["count"], 8);
  EXPECT_EQ(jt["nulls"], 1);
  EXPECT_EQ(jt["distinct"], 7);
  EXPECT_EQ(jt["min"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(jt["max"], "2024-01-08T00:00:00.250000Z");
  EXPECT_FALSE(jt.contains("mean"));
  EXPECT_FALSE(jt.contains("stddev"));
  EXPECT_FALSE(jt.contains("top"));
  // Sorted: 01, 02, 03T12:30, 04, 05, 06, 08T00:00:00.25 (7 values).
  EXPECT_EQ(jt["quantiles"], (nlohmann::json{{"p01", "2024-01-01T00:00:00Z"},
                                            {"p05", "2024-01-01T00:00:00Z"},
                                            {"p25", "2024-01-02T00:00:00Z"},
                                            {"p50", "2024-01-04T00:00:00Z"},
                                            {"p75", "2024-01-06T00:00:00Z"},
                                            {"p95", "2024-01-08T00:00:00.250000Z"},
                                            {"p99", "2024-01-08T00:00:00.250000Z"}}));
  EXPECT_EQ(p.Find("t")->moments.min, static_cast<double>(Ts("2024-01-01T00:00:00")));
}

TEST(Profile, QuantilesOfFewValuesAreExact) {
  Batch b;
  b.AddColumn("v", Ints({9, 1, 8, 2, 7, 3, 6, 4, 5}));
  Profile p(b.schema);
  p.Update(b);
  const sketch::KllSketch& q = p.Find("v")->quantiles;
  ASSERT_EQ(q.n(), 9u);
  EXPECT_EQ(q.Quantile(0), 1);
  EXPECT_EQ(q.Quantile(0.5), 5);
  EXPECT_EQ(q.Quantile(1), 9);
  // The least value whose cumulative count reaches q * 9.
  EXPECT_EQ(q.Quantile(0.25), 3);  // 2.25
  EXPECT_EQ(q.Quantile(0.75), 7);  // 6.75
  EXPECT_EQ(q.Quantile(1.0 / 9), 1);
  EXPECT_EQ(q.Quantile(0.2), 2);   // 1.8
  EXPECT_EQ(q.Quantile(0.95), 9);  // 8.55
  EXPECT_EQ(Col(p.ToJson(), "v")["quantiles"],
            (nlohmann::json{{"p01", 1.0}, {"p05", 1.0}, {"p25", 3.0}, {"p50", 5.0},
                            {"p75", 7.0}, {"p95", 9.0}, {"p99", 9.0}}));

  // One value: every quantile is it.
  Batch one;
  one.AddColumn("v", Floats({-3.5}));
  Profile p1(one.schema);
  p1.Update(one);
  const nlohmann::json j1 = Col(p1.ToJson(), "v");
  for (const auto& [name, v] : j1["quantiles"].items()) EXPECT_EQ(v.get<double>(), -3.5) << name;
  EXPECT_EQ(j1["stddev"].get<double>(), 0.0);
  EXPECT_EQ(j1["mean"].get<double>(), -3.5);
}

TEST(Profile, DistinctIsExactBelow256AndTopKnowsWhenItIsNot) {
  Batch b;
  std::vector<std::optional<int64_t>> ints;
  std::vector<std::optional<std::string>> strs;
  for (int r = 0; r < 600; ++r) {
    ints.push_back((r * 37) % 200);  // 200 distinct, three times each
    strs.push_back("v" + std::to_string(r % 100));  // 100 distinct, six times each
  }
  b.AddColumn("i", Ints(ints));
  b.AddColumn("s", Strings(strs));
  Profile p(b.schema);
  p.Update(b);
  const nlohmann::json j = p.ToJson(2);
  EXPECT_EQ(Col(j, "i")["distinct"], 200);
  EXPECT_EQ(Col(j, "s")["distinct"], 100);
  // 200 distinct values through 64 counters: the counts are no longer exact.
  EXPECT_EQ(Col(j, "i")["top_exact"], false);
  EXPECT_EQ(Col(j, "s")["top_exact"], false);
  EXPECT_EQ(Col(j, "i")["top"].size(), 2u);

  // 64 distinct values fit the counters: exact.
  Batch c;
  std::vector<std::optional<int64_t>> few;
  for (int r = 0; r < 640; ++r) few.push_back(r % 64 == 0 ? 1000 : r % 64);  // 1000 ten times
  c.AddColumn("i", Ints(few));
  Profile q(c.schema);
  q.Update(c);
  const nlohmann::json jq = Col(q.ToJson(3), "i");
  EXPECT_EQ(jq["distinct"], 64);
  EXPECT_EQ(jq["top_exact"], true);
  EXPECT_EQ(jq["top"], Top({{1, 10}, {10, 10}, {1000, 10}}));
}

TEST(Profile, SkipMaskExcludesRows) {
  const Batch b = Sample();
  const std::vector<uint8_t> skip = {0, 1, 0, 0, 1, 1, 0, 0};  // rows 1, 4, 5 skipped
  Profile p(b.schema);
  p.Update(b, &skip);
  EXPECT_EQ(p.rows(), 5);
  const nlohmann::json j = p.ToJson();

  // The kept rows: i 3 4 1 2 6; x 1.5 -2 0.25 1.5 8; s b b null b ""; f T T T T T.
  const nlohmann::json& ji = Col(j, "i");
  EXPECT_EQ(ji["count"], 5);
  EXPECT_EQ(ji["min"].get<double>(), 1.0);
  EXPECT_EQ(ji["max"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(ji["mean"].get<double>(), 16.0 / 5);
  EXPECT_DOUBLE_EQ(ji["stddev"].get<double>(), Expected({3, 4, 1, 2, 6}).stddev);
  EXPECT_EQ(ji["distinct"], 5);
  EXPECT_EQ(ji["top"], Top({{1, 1}, {2, 1}, {3, 1}, {4, 1}, {6, 1}}));

  const nlohmann::json& jx = Col(j, "x");
  EXPECT_EQ(jx["count"], 5);
  EXPECT_EQ(jx["nulls"], 0);  // both nulls were skipped
  EXPECT_EQ(jx["max"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(jx["mean"].get<double>(), (1.5 - 2 + 0.25 + 1.5 + 8) / 5);

  const nlohmann::json& js = Col(j, "s");
  EXPECT_EQ(js["nulls"], 1);
  EXPECT_DOUBLE_EQ(js["null_rate"].get<double>(), 0.2);
  EXPECT_EQ(js["top"], Top({{"b", 3}, {"", 1}}));

  const nlohmann::json& jf = Col(j, "f");
  EXPECT_EQ(jf["nulls"], 0);
  EXPECT_EQ(jf["top"], Top({{true, 5}}));
  EXPECT_EQ(jf["mean"].get<double>(), 1.0);

  EXPECT_EQ(Col(j, "t")["min"], "2024-01-03T12:30:00Z");
  EXPECT_EQ(Col(j, "t")["max"], "2024-01-06T00:00:00Z");

  // The same as profiling exactly the kept rows.
  Profile kept(b.schema);
  kept.Update(b.Gather({0, 2, 3, 6, 7}));
  EXPECT_EQ(kept.ToJson(), j);
  EXPECT_EQ(kept.Serialize(), p.Serialize());

  // Skipping every row counts nothing.
  const std::vector<uint8_t> all(8, 1);
  Profile none(b.schema);
  none.Update(b, &all);
  EXPECT_EQ(none.rows(), 0);
  const nlohmann::json jn = none.ToJson();
  EXPECT_EQ(Col(jn, "x")["count"], 0);
  EXPECT_EQ(Col(jn, "x")["null_rate"].get<double>(), 0.0);
  EXPECT_FALSE(Col(jn, "x").contains("min"));
  EXPECT_FALSE(Col(jn, "s").contains("top"));
}

TEST(Profile, MergeOfHalvesEqualsOnePass) {
  const Batch b = Sample();
  Profile whole(b.schema);
  whole.Update(b);
  const std::vector<uint8_t> first = {0, 0, 0, 0, 1, 1, 1, 1};
  std::vector<uint8_t> second(8);
  for (size_t r = 0; r < 8; ++r) second[r] = !first[r];
  Profile a(b.schema), c(b.schema);
  a.Update(b, &first);
  c.Update(b, &second);
  EXPECT_EQ(a.rows(), 4);
  EXPECT_EQ(c.rows(), 4);
  Profile merged = a;
  merged.Merge(c);
  EXPECT_EQ(merged.rows(), 8);
  ExpectJsonNear(merged.ToJson(), whole.ToJson());
  // Everything but the floating-point moments is exactly equal.
  nlohmann::json mj = merged.ToJson(), wj = whole.ToJson();
  for (nlohmann::json* j : {&mj, &wj}) {
    for (auto& c : (*j)["columns"]) {
      c.erase("mean");
      c.erase("stddev");
    }
  }
  EXPECT_EQ(mj, wj);
  EXPECT_EQ(Col(merged.ToJson(), "i")["mean"].get<double>(), 3.875);
  EXPECT_EQ(merged.Find("x")->moments.count, 6);

  // Batch by batch (as ingest sees chunks) is the same one pass.
  Profile chunked(b.schema);
  chunked.Update(b.Gather({0, 1, 2}));
  chunked.Update(b.Gather({3, 4, 5, 6, 7}));
  nlohmann::json cj = chunked.ToJson();
  ExpectJsonNear(cj, whole.ToJson());
  for (auto& c : cj["columns"]) {
    c.erase("mean");  // a batch's moments are summed per batch: equal up to rounding
    c.erase("stddev");
  }
  EXPECT_EQ(cj, wj);

  // A default-constructed profile adopts the first profile merged into it.
  Profile empty;
  empty.Merge(whole);
  EXPECT_EQ(empty.Serialize(), whole.Serialize());
  // Merging a profile of no rows (same columns) changes nothing.
  Profile nothing(b.schema);
  Profile same = whole;
  same.Merge(nothing);
  EXPECT_EQ(same.ToJson(), whole.ToJson());
}

TEST(Profile, SerializeRoundTripIsByteIdentical) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  const std::string bytes = p.Serialize();
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 3);  // the format
  const Profile back = Profile::Deserialize(bytes, "p");
  EXPECT_EQ(back.Serialize(), bytes);
  EXPECT_EQ(back.ToJson(), p.ToJson());
  EXPECT_EQ(back.rows(), 8);

  // A profile of no rows round trips too, and so does a merged one.
  Profile empty(b.schema);
  EXPECT_EQ(Profile::Deserialize(empty.Serialize(), "p").Serialize(), empty.Serialize());
  Profile merged = p;
  merged.Merge(back);
  const std::string mb = merged.Serialize();
  EXPECT_EQ(Profile::Deserialize(mb, "p").Serialize(), mb);
  EXPECT_EQ(Col(merged.ToJson(), "s")["top"], Top({{"b", 6}, {"a", 4}, {"", 2}, {"c", 2}}));
  EXPECT_EQ(Col(merged.ToJson(), "i")["distinct"], 7);
  EXPECT_EQ(Col(merged.ToJson(), "i")["count"], 16);
}

TEST(Profile, FormatsOneAndTwoStillRead) {
  // Format 2 is format 3 without the exact int64 range; format 1 is format 2 without the KLL
  // sampler's 17 bytes per column (written before it).
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  for (const uint8_t format : {1, 2}) {
    std::string old;
    PutRaw<uint8_t>(old, format);
    PutRaw<int64_t>(old, p.rows());
    PutRaw(old, static_cast<uint32_t>(p.columns().size()));
    for (const ColumnProfile& c : p.columns()) {
      PutBytes(old, c.name);
      PutRaw<uint8_t>(old, static_cast<uint8_t>(c.type));
      PutRaw(old, c.count);
      PutRaw(old, c.nulls);
      c.moments.Serialize(old);
      std::string kll;
      c.quantiles.Serialize(kll);
      old += format == 1 ? kll.substr(0, kll.size() - 17) : kll;
      c.distinct.Serialize(old);
      c.top.Serialize(old);
    }
    const Profile back = Profile::Deserialize(old, "old profile");
    // Small values: the moments' doubles give the same min and max as the exact range.
    EXPECT_EQ(back.ToJson(), p.ToJson()) << "format " << int{format};
    EXPECT_FALSE(back.columns()[0].has_int_range);
  }
}

// Found by profile_fuzz: a stored null count beyond the value count (or negative) made the
// distinct bound overflow. Counts that cannot be are an InputError.
TEST(Profile, CountsThatCannotBeAreRefused) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  const std::string bytes = p.Serialize();
  // The first column's count and nulls follow: format, rows, columns, name, type.
  const size_t at = 1 + 8 + 4 + 4 + p.columns()[0].name.size() + 1;
  int64_t stored_count = 0, stored_nulls = 0;
  std::memcpy(&stored_count, bytes.data() + at, 8);
  std::memcpy(&stored_nulls, bytes.data() + at + 8, 8);
  ASSERT_EQ(stored_count, p.columns()[0].count);
  ASSERT_EQ(stored_nulls, p.columns()[0].nulls);
  for (const auto& [count, nulls] : std::vector<std::pair<int64_t, int64_t>>{
           {8, INT64_MIN}, {8, 9}, {-1, 0}, {9, 0}}) {
    std::string bad = bytes;
    std::memcpy(bad.data() + at, &count, 8);
    std::memcpy(bad.data() + at + 8, &nulls, 8);
    EXPECT_THROW(Profile::Deserialize(bad, "p"), InputError) << count << " " << nulls;
  }
}

// int64 min and max are exact beyond 2^53 (doubles are not); distinct never exceeds the
// values counted.
TEST(Profile, Int64RangeIsExactAndDistinctIsAtMostTheCount) {
  Batch b;
  Column big(DataType::kInt64);
  for (const int64_t v : {INT64_MAX, INT64_MAX - 1, INT64_MIN + 1, int64_t{9007199254740993}}) {
    big.Append(Value::Int(v));
  }
  b.AddColumn("i", std::move(big));
  Profile p(b.schema);
  p.Update(b);
  const nlohmann::json ji = Col(p.ToJson(), "i");
  EXPECT_EQ(ji["min"].get<int64_t>(), INT64_MIN + 1);
  EXPECT_EQ(ji["max"].get<int64_t>(), INT64_MAX);
  const Profile back = Profile::Deserialize(p.Serialize(), "p");
  EXPECT_EQ(Col(back.ToJson(), "i")["max"].get<int64_t>(), INT64_MAX);
  for (int n = 100; n <= 5000; n += 100) {
    Batch many;
    Column c(DataType::kInt64);
    for (int i = 0; i < n; ++i) c.Append(Value::Int(i * 7919));
    many.AddColumn("i", std::move(c));
    Profile q(many.schema);
    q.Update(many);
    EXPECT_LE(Col(q.ToJson(), "i")["distinct"].get<int64_t>(), n) << n;
  }
}

TEST(Profile, BadBytesAreInputErrors) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  const std::string bytes = p.Serialize();
  // Every proper prefix is rejected, with a message naming what was read.
  for (size_t len = 0; len < bytes.size(); ++len) {
    try {
      Profile::Deserialize(std::string_view(bytes.data(), len), "profile x");
      ADD_FAILURE() << "a prefix of " << len << " of " << bytes.size() << " bytes was accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("profile x: ", 0), 0u) << e.what();
    }
  }
  // An unknown format byte.
  std::string future = bytes;
  future[0] = 4;
  try {
    Profile::Deserialize(future, "profile x");
    ADD_FAILURE() << "format 4 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown profile format 4"), std::string::npos)
        << e.what();
  }
  future[0] = 0;
  EXPECT_THROW(Profile::Deserialize(future, "profile x"), InputError);
  // Trailing bytes.
  EXPECT_THROW(Profile::Deserialize(bytes + "x", "profile x"), InputError);
  EXPECT_THROW(Profile::Deserialize("", "profile x"), InputError);
}

TEST(Profile, MergeOfDifferentColumnsIsAnInputError) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);

  Schema renamed = b.schema;
  renamed[1].name = "y";
  Profile q(renamed);
  EXPECT_THROW(p.Merge(q), InputError);

  Schema retyped = b.schema;
  retyped[0].type = DataType::kFloat64;
  Profile r(retyped);
  EXPECT_THROW(p.Merge(r), InputError);

  Schema fewer(b.schema.begin(), b.schema.end() - 1);
  Profile s(fewer);
  EXPECT_THROW(p.Merge(s), InputError);
  // Also into a profile of no rows yet.
  Profile t(b.schema);
  EXPECT_THROW(t.Merge(s), InputError);
  EXPECT_EQ(p.rows(), 8);
}

TEST(Profile, AFailedMergeLeavesTheProfileUnchanged) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  const std::string before = p.Serialize();
  Batch renamed = b;
  renamed.schema[2].name = "s2";  // the third column differs; the first two match
  Profile q(renamed.schema);
  q.Update(renamed);
  EXPECT_THROW(p.Merge(q), InputError);
  EXPECT_EQ(p.Find("i")->count, 8);
  EXPECT_EQ(p.Serialize(), before);
}

TEST(Profile, TopZeroListsNoTopValues) {
  const Batch b = Sample();
  Profile p(b.schema);
  p.Update(b);
  const nlohmann::json j = p.ToJson(0);
  for (const auto& c : j["columns"]) EXPECT_FALSE(c.contains("top")) << c.dump();
}

}  // namespace
}  // namespace sluice::quality
