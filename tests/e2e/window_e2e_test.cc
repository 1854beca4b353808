// Window features end to end through the sluice binary: multi-day windows on string keys
// (hand-computed), and results independent of delivery layout, bucket count and threads.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

std::vector<std::string> Column(const ScratchRepo& repo, const std::string& dataset,
                                const std::string& column) {
  return repo.Query("SELECT CAST(\"" + column + "\" AS VARCHAR) FROM read_parquet('datasets/" +
                    dataset + "/data.parquet')");
}

TEST(WindowE2E, MultiDayWindowsOnStringKeys) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\n");
  repo.Write("defs.yaml", R"(entities:
  - {name: account, join_keys: [account]}
sources:
  - {name: pay, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: acct
    entities: [account]
    source: pay
    features:
      - {name: sum_7d, aggregate: sum, expr: amount, window: 7d, hop: 1d}
      - {name: n_3d, aggregate: count, window: 3d, hop: 0}
      - {name: max_2d, aggregate: max, expr: amount, window: 2d, hop: 1d}
      - {name: last_amount, expr: amount}
feature_services:
  - {name: svc, features: [acct]}
)");
  repo.Write("data/p.csv", R"(account,ts,amount
alice,2026-03-01T12:00:00,10
alice,2026-03-03T08:00:00,20
alice,2026-03-06T23:59:59,30
alice,2026-03-08T00:00:00,40
bob,2026-03-02T00:00:00,5
o'hara,2026-03-05T06:00:00,7
)");
  repo.Write("entities.csv", R"(account,event_timestamp
alice,2026-03-08T00:00:00
alice,2026-03-07T23:59:59
alice,2026-03-04T00:00:00
bob,2026-03-09T00:00:00
bob,2026-03-08T23:59:59
o'hara,2026-03-05T06:00:00
carol,2026-03-05T00:00:00
alice,
)");
  repo.Run("apply");
  repo.Run("ingest pay");
  repo.Run("dataset create d --service svc --entities entities.csv");
  // sum_7d at t covers [day(t) - 6d, t]: at Mar 8 00:00 from Mar 2 (20 + 30 + 40), at
  // Mar 7 23:59:59 from Mar 1 (10 + 20 + 30); bob's Mar 2 row is in at Mar 8 23:59:59 and out
  // at Mar 9. A null entity time gives nulls, an unknown key the empty values.
  EXPECT_EQ(Column(repo, "d", "acct__sum_7d"),
            (std::vector<std::string>{"90", "60", "30", "0", "5", "7", "0", "null"}));
  // n_3d is exactly (t - 3d, t].
  EXPECT_EQ(Column(repo, "d", "acct__n_3d"),
            (std::vector<std::string>{"2", "1", "2", "0", "0", "1", "0", "null"}));
  // max_2d covers [day(t) - 1d, t].
  EXPECT_EQ(Column(repo, "d", "acct__max_2d"),
            (std::vector<std::string>{"40", "30", "20", "null", "null", "7", "null", "null"}));
  EXPECT_EQ(Column(repo, "d", "acct__last_amount"),
            (std::vector<std::string>{"40", "30", "20", "5", "5", "7", "null", "null"}));
}

// Every window function over random rows (floats with full precision, nulls, equal
// timestamps): one delivery, one bucket and one thread against ten deliveries, eight buckets
// and the default threads. The datasets' content hashes must be equal.
TEST(WindowE2E, SameRowsSameHashWhateverTheLayout) {
  constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts, created_timestamp_field: created}
feature_views:
  - name: w
    entities: [user]
    source: tx
    ttl: 2d
    features:
      - {name: amount, expr: amount}
      - {name: n_1d, aggregate: count, window: 1d, hop: 1h}
      - {name: sum_1h, aggregate: sum, expr: amount, window: 1h}
      - {name: sum_3d, aggregate: sum, expr: amount, window: 3d, hop: 1d}
      - {name: mean_2h, aggregate: mean, expr: amount, window: 2h, hop: 0}
      - {name: var_1d, aggregate: variance, expr: amount, window: 1d, hop: 2h}
      - {name: sd_7d, aggregate: stddev, expr: amount, window: 7d, hop: 0}
      - {name: min_1d, aggregate: min, expr: qty, window: 1d, hop: 1h}
      - {name: max_1d, aggregate: max, expr: amount, window: 1d, hop: 1h}
      - {name: first_6h, aggregate: first, expr: cat, window: 6h, hop: 1h}
      - {name: last_6h, aggregate: last, expr: amount, window: 6h, hop: 0}
      - {name: distinct_2d, aggregate: approx_count_distinct, expr: cat, window: 2d, hop: 1h}
      - {name: big_1d, aggregate: count, where: "amount > 500", window: 1d, hop: 1h}
feature_services:
  - {name: svc, features: [w]}
)";
  std::mt19937_64 rng(11);
  const char* cats[] = {"x", "y", "z", "a longer category"};
  constexpr int kRows = 3000, kParts = 10;
  const std::string header = "user_id,ts,created,amount,qty,cat\n";
  std::vector<std::string> lines;
  for (int i = 0; i < kRows; ++i) {
    // Ten days at 15-minute resolution: many rows share a timestamp (and a tile edge).
    const long minute = static_cast<long>(rng() % (10 * 96)) * 15;
    const long created = minute + static_cast<long>(rng() % 3);
    auto stamp = [](long m) {
      return fmt::format("2026-05-{:02d}T{:02d}:{:02d}:00", 1 + m / 1440, (m / 60) % 24, m % 60);
    };
    const double amount = std::uniform_real_distribution<double>(-200.0, 1000.0)(rng);
    lines.push_back(fmt::format(
        "{},{},{},{},{},{}\n", rng() % 40, stamp(minute), stamp(created),
        rng() % 10 == 0 ? "" : fmt::format("{:.17g}", amount),
        rng() % 10 == 0 ? "" : std::to_string(rng() % 50), cats[rng() % 4]));
  }
  std::string entities = "user_id,event_timestamp\n";
  for (int i = 0; i < 500; ++i) {
    const long m = static_cast<long>(rng() % (11 * 1440));
    entities += fmt::format("{},2026-05-{:02d}T{:02d}:{:02d}:{:02d}\n", rng() % 42, 1 + m / 1440,
                            (m / 60) % 24, m % 60, rng() % 60);
  }

  ScratchRepo one;
  one.Write("sluice.yaml", "project: t\nbucket_count: 1\n");
  one.Write("defs.yaml", kDefs);
  std::string all = header;
  for (const std::string& l : lines) all += l;
  one.Write("data/all.csv", all);
  one.Write("entities.csv", entities);
  one.Run("apply");
  one.Run("ingest tx", 0, "SLUICE_THREADS=1");
  const nlohmann::json a =
      one.Json("dataset create d --service svc --entities entities.csv", 0, "SLUICE_THREADS=1");

  ScratchRepo ten;
  ten.Write("sluice.yaml", "project: t\nbucket_count: 8\n");
  ten.Write("defs.yaml", kDefs);
  ten.Write("entities.csv", entities);
  for (int p = 0; p < kParts; ++p) {
    std::string part = header;
    for (int i = p * kRows / kParts; i < (p + 1) * kRows / kParts; ++i) part += lines[i];
    ten.Write(fmt::format("data/part{}.csv", p), part);
    if (p == 0) ten.Run("apply");  // apply reads the schema from the files
    ten.Run("ingest tx");
  }
  EXPECT_EQ(ten.Json("snapshots tx").size(), 10u);
  const nlohmann::json b = ten.Json("dataset create d --service svc --entities entities.csv");

  // Bounded memory: segments of at most 70 rows (each ingest writes a bucket as several sorted
  // runs) and buckets read in key slices of about 100 rows give the same dataset.
  ScratchRepo small;
  small.Write("sluice.yaml", "project: t\nbucket_count: 2\n");
  small.Write("defs.yaml", kDefs);
  small.Write("entities.csv", entities);
  for (int p = 0; p < 2; ++p) {
    std::string part = header;
    for (int i = p * kRows / 2; i < (p + 1) * kRows / 2; ++i) part += lines[i];
    small.Write(fmt::format("data/half{}.csv", p), part);
    if (p == 0) small.Run("apply");
    small.Run("ingest tx", 0, "SLUICE_SEGMENT_ROWS=70");
  }
  const nlohmann::json snapshots = small.Json("snapshots tx");
  EXPECT_GE(snapshots.back()["segments"].get<int>(), kRows / 70);  // runs of <= 70 rows
  const nlohmann::json c = small.Json("dataset create d --service svc --entities entities.csv",
                                      0, "SLUICE_SLICE_ROWS=100");

  ASSERT_TRUE(a.contains("content_hash"));
  EXPECT_EQ(a["content_hash"], b["content_hash"]);
  EXPECT_EQ(a["content_hash"], c["content_hash"]);
  // Materialize reads the same buckets a key slice at a time and agrees with the engine.
  small.Run("materialize", 0, "SLUICE_SLICE_ROWS=100");
  const nlohmann::json check =
      small.Json("consistency-check --service svc --at 2026-05-12T00:00:00");
  EXPECT_EQ(check["mismatches"], 0) << check.dump();
  EXPECT_GT(check["compared"].get<int>(), 100);
  // The windows are not trivially empty.
  EXPECT_EQ(one.Query("SELECT CAST(count(*) > 300 AS VARCHAR) FROM read_parquet("
                      "'datasets/d/data.parquet') WHERE w__sd_7d IS NOT NULL AND w__n_1d > 0 "
                      "AND w__distinct_2d > 1"),
            (std::vector<std::string>{"true"}));
}

// The default hop is window / 60 rounded down to a whole second: a 1h window has 1-minute
// tiles, so at 01:00:10 it starts at 00:01:00 (an exact hour would start after 00:00:10).
TEST(WindowE2E, DefaultHopIsWindowOverSixty) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\n");
  repo.Write("defs.yaml", R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    features:
      - {name: n_1h, aggregate: count, window: 1h}
      - {name: n_1h_exact, aggregate: count, window: 1h, hop: 0}
      - {name: n_61s, aggregate: count, window: 61s}
feature_services:
  - {name: svc, features: [v]}
)");
  repo.Write("data/a.csv", "user_id,ts\n1,2026-01-01T00:00:30\n1,2026-01-01T00:01:00\n");
  repo.Write("entities.csv", "user_id,event_timestamp\n1,2026-01-01T01:00:10\n"
                             "1,2026-01-01T00:01:30\n");
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("dataset create d --service svc --entities entities.csv");
  EXPECT_EQ(Column(repo, "d", "v__n_1h"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Column(repo, "d", "v__n_1h_exact"), (std::vector<std::string>{"2", "2"}));
  // 61s: hop 1s (61/60 rounded down); at 00:01:30 it covers [00:00:30, 00:01:30].
  EXPECT_EQ(Column(repo, "d", "v__n_61s"), (std::vector<std::string>{"0", "2"}));
}

// Bad window definitions are apply errors that name the file and line (exit 2).
TEST(WindowE2E, BadWindowDefinitionsNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{name: a, aggregate: sum, expr: amount, window: 1h, hop: 7m}",
       "defs.yaml:10: window of feature 'a' is not a multiple of its hop"},
      {"{name: a, aggregate: sum, expr: amount, window: 1h, hop: 2h}",
       "defs.yaml:10: window of feature 'a' is not a multiple of its hop"},
      {"{name: a, aggregate: count, window: 1500ms}",
       "defs.yaml:10: window of feature 'a' is not a multiple of its default hop"},
      {"{name: a, aggregate: sum, expr: amount}", "defs.yaml:10: aggregate feature 'a' has no window"},
      {"{name: a, aggregate: median, expr: amount, window: 1h}",
       "defs.yaml:10: unknown aggregate 'median' for feature 'a'"},
      {"{name: a, aggregate: sum, expr: cat, window: 1h}",
       "defs.yaml:10: aggregate 'sum' of feature 'a' cannot take a string expr"},
      {"{name: a, aggregate: mean, window: 1h}",
       "defs.yaml:10: aggregate 'mean' of feature 'a' cannot take no expr"},
      {"{name: a, aggregate: count, where: amount, window: 1h}",
       "defs.yaml:10: where of feature 'a' is float64, not bool"},
      {"{name: a, aggregate: count, window: -1h}", "defs.yaml:10: bad duration '-1h'"},
  };
  for (const auto& [feature, message] : cases) {
    ScratchRepo repo;
    repo.Write("sluice.yaml", "project: t\n");
    repo.Write("data/a.csv", "user_id,ts,amount,cat\n1,2026-01-01T00:00:00,1.5,x\n");
    repo.Write("defs.yaml", R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    features:
      - )" + feature + "\n");
    const RunResult r = repo.Run("apply", 2);
    EXPECT_NE(r.err.find(message), std::string::npos) << feature << "\n" << r.err;
  }
}

}  // namespace
}  // namespace sluice
