// bench/pit: sluice against DuckDB SQL on the same files, in one run (issues #3, #4).
//
//   pit_bench [--events N] [--keys K] [--entities M] [--dir DIR] [--sluice PATH] [--all]
//             [--tz] [--suite] [--skip-dataset] [--skip-peer-dataset] [--repeat R]
//
// Generates N events over K keys and M entity rows (Parquet, via DuckDB), then times, each in a
// child process (so peak RSS is per run):
//   ingest:  `sluice ingest events`  vs  DuckDB COPY (SELECT … ORDER BY key, ts, created) TO
//   parquet dataset: `sluice dataset create` (two last-value features, ttl 7d, created-at
//   tie-break)
//            vs  DuckDB ASOF JOIN with the same ttl and tie-break, written to parquet
// and prints times, ratios and peak RSS; then times `sluice materialize` of the same log into
// the online store (no peer). With --all the dataset step adds five window features
// (sum 1h hop 1m; count 1d hop 1h; max 1d hop 1h; mean 2h exact; count 1d with a where, default
// hop 24m) and DuckDB computes them with a range join on the key grouped per entity row.
// --tz writes the times as TIMESTAMP WITH TIME ZONE (as Spark and tz-aware pandas do), events
// and entity rows alike. --suite adds a check suite of 10 rules on the events (every delivery
// is judged at ingest). --skip-dataset times the ingest only; --skip-peer-dataset times
// sluice's dataset without DuckDB's (whose window join needs ~0.25 GB per million events).
// --repeat R runs the ingest step R times, DuckDB's and sluice's interleaved, and prints the
// median time of each (peak RSS: the largest), for machines whose speed drifts between runs.
// The page cache is written back (sync) before every timed step, so that neither side waits
// for the other's (or the generator's) dirty pages.
#include <fmt/format.h>

#include <algorithm>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "io/duckdb.h"

namespace fs = std::filesystem;

namespace {

using bench::Arg;
using bench::HasFlag;
using bench::Measure;
using bench::RunChild;

void Generate(const fs::path& dir, long events, long keys, long entities, bool tz) {
  sluice::io::DuckDb db;
  db.Execute("SET TimeZone = 'UTC'");
  fs::create_directories(dir / "data");
  const char* time_type = tz ? "TIMESTAMPTZ" : "TIMESTAMP";
  // Events over 60 days at second resolution: many keys, some timestamp ties.
  db.Execute(
      fmt::format("COPY (SELECT (hash(i) % {1})::BIGINT AS user_id, "
                  "(TIMESTAMP '2026-01-01' + to_seconds((hash(i * 7) % (60 * "
                  "86400))::BIGINT))::{3} AS event_time, "
                  "(TIMESTAMP '2026-01-01' + to_seconds((hash(i * 7) % (60 * 86400))::BIGINT + "
                  "(hash(i * 13) % 5)::BIGINT))::{3} AS created_at, "
                  "round((hash(i * 3) % 100000) / 100.0, 2) AS amount, "
                  "(['food', 'travel', 'games', 'fuel'])[1 + (hash(i * 5) % 4)::INT] AS category "
                  "FROM range({0}) t(i)) TO '{2}' (FORMAT parquet, COMPRESSION zstd)",
                  events, keys, (dir / "data/events.parquet").string(), time_type));
  db.Execute(fmt::format(
      "COPY (SELECT (hash(i + 1000000007) % {1})::BIGINT AS user_id, "
      "(TIMESTAMP '2026-01-01' + to_seconds((hash(i * 11 + 5) % (62 * 86400))::BIGINT))::{3} AS "
      "event_timestamp, "
      "(hash(i * 17) % 2)::BIGINT AS label FROM range({0}) t(i)) TO '{2}' (FORMAT parquet)",
      entities, keys, (dir / "entities.parquet").string(), time_type));
}

// --suite: ten rules on the events, of the kinds a team would put on a feed (row rules, the
// whole-delivery rules judged on the profile, freshness).
constexpr const char* kSuiteYaml = R"(checks:
  - name: events_gate
    source: events
    rules:
      - {rule: not_null, column: user_id}
      - {rule: not_null, column: amount, severity: warn}
      - {rule: range, column: amount, min: 0, max: 1000}
      - {rule: accepted_values, column: category, values: [food, travel, games, fuel]}
      - {rule: regex, column: category, pattern: "^[a-z]+$"}
      - {rule: row_count, min: 1}
      - {rule: null_rate, column: category, max: 0.01}
      - {rule: mean, column: amount, min: 0, max: 1000}
      - {rule: quantile, column: amount, q: 0.99, max: 1000}
      - {rule: freshness, warn_after: 3650d}
)";

// The five window features of --all: name, SQL condition on ev.ts (µs) given e.t (µs), and
// the aggregate over the rows that meet it. Kept next to the YAML so both say the same.
constexpr const char* kWindowYaml =
    R"(      - {name: spend_1h, aggregate: sum, expr: amount, window: 1h, hop: 1m}
      - {name: txn_count_1d, aggregate: count, window: 1d, hop: 1h}
      - {name: max_amount_1d, aggregate: max, expr: amount, window: 1d, hop: 1h}
      - {name: mean_amount_2h, aggregate: mean, expr: amount, window: 2h, hop: 0}
      - {name: big_count_1d, aggregate: count, where: "amount > 500", window: 1d}
)";

// DuckDB's definition of the same windows (SPEC §5.2): a tiled window with hop h and length W
// covers lo <= ts <= t with lo = floor(t / h) * h - (W - h); hop 0 covers t - W < ts <= t.
// Every window lies within (t - 1d, t], the join's range. Empty windows: count/sum 0, else null.
constexpr const char* kWindowSql = R"(
  coalesce(sum(ev.amount) FILTER (WHERE ev.ts >= e.t - e.t % 60000000 - 3540000000), 0) AS spend_1h,
  count(*) FILTER (WHERE ev.ts >= e.t - e.t % 3600000000 - 82800000000) AS txn_count_1d,
  max(ev.amount) FILTER (WHERE ev.ts >= e.t - e.t % 3600000000 - 82800000000) AS max_amount_1d,
  avg(ev.amount) FILTER (WHERE ev.ts > e.t - 7200000000) AS mean_amount_2h,
  count(*) FILTER (WHERE ev.ts >= e.t - e.t % 1440000000 - 84960000000 AND ev.amount > 500) AS big_count_1d
)";

void WriteRepo(const fs::path& dir, bool all, bool suite) {
  std::ofstream(dir / "sluice.yaml") << "project: bench\nbucket_count: 16\n";
  std::ofstream(dir / "features.yaml") << R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - name: events
    type: file
    path: data/events.parquet
    timestamp_field: event_time
    created_timestamp_field: created_at
feature_views:
  - name: user_stats
    entities: [user]
    source: events
    ttl: 7d
    features:
      - {name: last_amount, expr: amount}
      - {name: last_category, expr: category}
)" << (all ? kWindowYaml : "") << R"(feature_services:
  - {name: svc, features: [user_stats]}
)" << (suite ? kSuiteYaml : "");
}

using bench::SelfPath;

void PrintHeader() {
  std::printf("\n%-10s %12s %12s %8s %14s %14s\n", "step", "sluice_s", "duckdb_s", "ratio",
              "sluice_rss_mb", "duckdb_rss_mb");
}

void PrintRow(const char* name, const Measure& ours, const Measure& duck) {
  std::printf("%-10s %12.3f %12.3f %8.2f %14.1f %14.1f\n", name, ours.seconds, duck.seconds,
              ours.seconds / duck.seconds, ours.peak_rss_kb / 1024.0, duck.peak_rss_kb / 1024.0);
}

// The run of median time, with the largest peak RSS of all.
Measure Median(std::vector<Measure> runs) {
  long rss = 0;
  for (const Measure& m : runs) rss = std::max(rss, m.peak_rss_kb);
  std::sort(runs.begin(), runs.end(),
            [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
  Measure m = runs[runs.size() / 2];
  m.peak_rss_kb = rss;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  // Child mode: run one SQL statement with DuckDB.
  if (bench::RunSqlChild(argc, argv)) return 0;
  const long events = std::stol(Arg(argc, argv, "--events", "1000000"));
  const long keys = std::stol(Arg(argc, argv, "--keys", "10000"));
  const long entities = std::stol(Arg(argc, argv, "--entities", "100000"));
  const fs::path dir = fs::absolute(Arg(argc, argv, "--dir", "/tmp/sluice-bench-pit"));
  const std::string sluice = fs::absolute(Arg(argc, argv, "--sluice", "build/sluice")).string();
  const bool all = HasFlag(argc, argv, "--all");
  const bool tz = HasFlag(argc, argv, "--tz");
  const bool suite = HasFlag(argc, argv, "--suite");
  const bool skip_dataset = HasFlag(argc, argv, "--skip-dataset");
  const bool skip_peer_dataset = HasFlag(argc, argv, "--skip-peer-dataset");
  const int repeat = std::max(1, std::stoi(Arg(argc, argv, "--repeat", "1")));

  fs::remove_all(dir);
  fs::create_directories(dir);
  std::printf("bench/pit%s%s%s: %ld events, %ld keys, %ld entity rows in %s\n", all ? " --all" : "",
              tz ? " --tz" : "", suite ? " --suite" : "", events, keys, entities, dir.c_str());
  Generate(dir, events, keys, entities, tz);
  WriteRepo(dir, all, suite);
  RunChild({sluice, "apply"}, dir);

  std::ofstream(dir / "ingest.sql") << fmt::format(
      "COPY (SELECT * FROM read_parquet('data/events.parquet') "
      "ORDER BY user_id, event_time, created_at) TO '{}' (FORMAT parquet)",
      (dir / "duck_sorted.parquet").string());
  const std::string last_values =
      "CASE WHEN t.event_time > e.event_timestamp - INTERVAL 7 DAY THEN t.amount END AS "
      "user_stats__last_amount, "
      "CASE WHEN t.event_time > e.event_timestamp - INTERVAL 7 DAY THEN t.category END AS "
      "user_stats__last_category";
  const std::string windows = all ? ", coalesce(w.spend_1h, 0) AS user_stats__spend_1h, "
                                    "coalesce(w.txn_count_1d, 0) AS user_stats__txn_count_1d, "
                                    "w.max_amount_1d AS user_stats__max_amount_1d, "
                                    "w.mean_amount_2h AS user_stats__mean_amount_2h, "
                                    "coalesce(w.big_count_1d, 0) AS user_stats__big_count_1d"
                                  : "";
  const std::string window_cte =
      all ? fmt::format(
                ", ev AS (SELECT user_id, epoch_us(event_time) AS ts, amount "
                "  FROM read_parquet('data/events.parquet')), "
                "w AS (SELECT e.rn, {} FROM e JOIN ev ON ev.user_id = e.user_id "
                "  AND ev.ts <= e.t AND ev.ts > e.t - 86400000000 GROUP BY e.rn)",
                kWindowSql)
          : "";
  std::ofstream(dir / "pit.sql") << fmt::format(
      "COPY (WITH e AS (SELECT *, row_number() OVER () AS rn, epoch_us(event_timestamp) AS t "
      "  FROM read_parquet('entities.parquet')), "
      "t AS (SELECT * FROM read_parquet('data/events.parquet', file_row_number = true) "
      "  QUALIFY row_number() OVER (PARTITION BY user_id, event_time "
      "    ORDER BY created_at DESC, file_row_number DESC) = 1){1} "
      "SELECT e.user_id, e.event_timestamp, e.label, {2}{3} "
      "FROM e ASOF LEFT JOIN t ON e.user_id = t.user_id AND e.event_timestamp >= t.event_time "
      "{4}ORDER BY e.rn) TO '{0}' (FORMAT parquet)",
      (dir / "duck_dataset.parquet").string(), window_cte, last_values, windows,
      all ? "LEFT JOIN w ON w.rn = e.rn " : "");

  std::vector<Measure> duck_ingests, our_ingests;
  for (int i = 0; i < repeat; ++i) {
    if (i > 0) {  // a fresh log: the same delivery again would be a no-op
      fs::remove_all(dir / ".sluice");
      RunChild({sluice, "apply"}, dir);
    }
    ::sync();
    duck_ingests.push_back(RunChild({SelfPath(), "--sql", (dir / "ingest.sql").string()}, dir));
    ::sync();
    our_ingests.push_back(RunChild({sluice, "ingest", "events"}, dir));
  }
  const Measure duck_ingest = Median(duck_ingests);
  const Measure our_ingest = Median(our_ingests);
  if (repeat > 1) std::printf("ingest: median of %d interleaved runs\n", repeat);
  ::sync();
  if (skip_dataset) {
    PrintHeader();
    PrintRow("ingest", our_ingest, duck_ingest);
    return 0;
  }
  const Measure our_pit = RunChild({sluice, "dataset", "create", "bench", "--service", "svc",
                                    "--entities", "entities.parquet", "--force"},
                                   dir);
  if (skip_peer_dataset) {
    const Measure our_materialize = RunChild({sluice, "materialize"}, dir);
    PrintHeader();
    PrintRow("ingest", our_ingest, duck_ingest);
    std::printf("%-10s %12.3f %12s %8s %14.1f %14s\n", "dataset", our_pit.seconds, "-", "-",
                our_pit.peak_rss_kb / 1024.0, "-");
    std::printf("%-10s %12.3f %12s %8s %14.1f %14s\n", "materialize", our_materialize.seconds,
                "-", "-", our_materialize.peak_rss_kb / 1024.0, "-");
    return 0;
  }
  const Measure duck_pit = RunChild({SelfPath(), "--sql", (dir / "pit.sql").string()}, dir);
  // Online path (issue #5): materialize the same log into the embedded store (no peer step).
  const Measure our_materialize = RunChild({sluice, "materialize"}, dir);
  // The two outputs must agree before their times mean anything: row by row in entity order,
  // exact except for float aggregates (summation order differs; relative 1e-9).
  std::vector<std::string> differs = {
      "a.user_id IS DISTINCT FROM b.user_id",
      "a.event_timestamp IS DISTINCT FROM b.event_timestamp", "a.label IS DISTINCT FROM b.label",
      "a.user_stats__last_amount IS DISTINCT FROM b.user_stats__last_amount",
      "a.user_stats__last_category IS DISTINCT FROM b.user_stats__last_category"};
  if (all) {
    for (const char* c : {"txn_count_1d", "max_amount_1d", "big_count_1d"}) {
      differs.push_back(fmt::format("a.user_stats__{0} IS DISTINCT FROM b.user_stats__{0}", c));
    }
    for (const char* c : {"spend_1h", "mean_amount_2h"}) {
      differs.push_back(fmt::format(
          "(a.user_stats__{0} IS NULL) <> (b.user_stats__{0} IS NULL) OR "
          "abs(a.user_stats__{0} - b.user_stats__{0}) > 1e-9 * greatest(1, abs(a.user_stats__{0}))",
          c));
    }
  }
  sluice::io::DuckDb check;
  const auto diff = check.Query(
      fmt::format("SELECT count(*) AS n FROM read_parquet('{0}', file_row_number = true) a "
                  "FULL JOIN read_parquet('{1}', file_row_number = true) b USING (file_row_number) "
                  "WHERE {2}",
                  (dir / "duck_dataset.parquet").string(),
                  (dir / "datasets/bench/data.parquet").string(), fmt::join(differs, " OR ")));
  const long mismatches = static_cast<long>(diff.columns[0].i64[0]);

  PrintHeader();
  PrintRow("ingest", our_ingest, duck_ingest);
  PrintRow("dataset", our_pit, duck_pit);
  std::printf("%-10s %12.3f %12s %8s %14.1f %14s\n", "materialize", our_materialize.seconds, "-",
              "-", our_materialize.peak_rss_kb / 1024.0, "-");
  std::printf("\nrows differing between sluice and DuckDB datasets: %ld\n", mismatches);
  std::printf("targets: ingest ratio <= 1.5, dataset ratio <= %s, peak RSS <= 2048 MB\n",
              all ? "0.25 (--all)" : "0.5");
  return mismatches == 0 ? 0 : 1;
}
