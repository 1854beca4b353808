// bench/quality: check suites and profiles against DuckDB SUMMARIZE on the same file, in one
// run (issue #6).
//
//   quality_bench [--rows N] [--dir DIR] [--sluice PATH] [--repeat R (3)]
//   quality_bench --sketches [--rows N]   times each profile summary alone, in ns per value
//
// Generates N rows × 4 columns (id BIGINT, amount DOUBLE, category VARCHAR, ts TIMESTAMP) as
// Parquet, then times, each in a child process (peak RSS per run):
//   validate: `sluice validate` with a suite of 10 rules (the profile is computed in the same
//             pass)  vs  DuckDB `SUMMARIZE SELECT * FROM read_parquet(…)`
//   ingest:   `sluice ingest` with the suite and the profile  vs  `sluice ingest --no-profile`
//             without a suite
// and prints times and ratios (each the median of R interleaved runs).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "io/duckdb.h"
#include "quality/profile.h"
#include "sketch/sketch.h"

#include <xxhash.h>

namespace fs = std::filesystem;

namespace {

using bench::Arg;
using bench::Measure;
using bench::RunChild;

using bench::SelfPath;

Measure Median(std::vector<Measure> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
  return runs[runs.size() / 2];
}

void WriteRepo(const fs::path& dir, bool with_suite) {
  fs::create_directories(dir);
  std::ofstream(dir / "sluice.yaml") << "project: quality\n";
  std::ofstream(dir / "defs.yaml") << R"(entities:
  - {name: row, join_keys: [id]}
sources:
  - name: q
    type: file
    path: ../data/rows.parquet
    timestamp_field: ts
feature_views:
  - name: v
    entities: [row]
    source: q
    features:
      - {name: amount, expr: amount}
)";
  if (!with_suite) return;
  std::ofstream(dir / "checks.yaml") << R"(checks:
  - name: gate
    source: q
    rules:
      - {rule: not_null, column: id}
      - {rule: range, column: amount, min: 0, max: 1000}
      - {rule: accepted_values, column: category, values: [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19]}
      - {rule: regex, column: category, pattern: "^c[0-9]+$"}
      - {rule: row_count, min: 1}
      - {rule: null_rate, column: amount, max: 0.05}
      - {rule: mean, column: amount, min: 0, max: 1000}
      - {rule: stddev, column: amount, max: 1000}
      - {rule: quantile, column: amount, q: 0.99, max: 1000}
      - {rule: freshness, warn_after: 3650d}
)";
}

// The cost of each summary a profile keeps, on the bench's own columns (in memory, batches
// of 2048 rows like DuckDB's chunks): where a profile's time goes.
void TimeSketches(long rows) {
  using sluice::Batch;
  using sluice::Column;
  using sluice::DataType;
  std::vector<Batch> batches;
  for (long start = 0; start < rows; start += 2048) {
    const long n = std::min<long>(2048, rows - start);
    Column id(DataType::kInt64), amount(DataType::kFloat64), category(DataType::kString),
        ts(DataType::kTimestamp);
    for (long i = start; i < start + n; ++i) {
      const uint64_t h = std::hash<long>{}(i) * 0x9E3779B97F4A7C15ull;
      id.Append(sluice::Value::Int(i));
      amount.Append(i % 50 == 0 ? sluice::Value::Null(DataType::kFloat64)
                                : sluice::Value::Float(static_cast<double>(h % 100000) / 100));
      category.Append(sluice::Value::String("c" + std::to_string((h >> 20) % 20)));
      ts.Append(sluice::Value::Timestamp(1767225600000000 + static_cast<int64_t>(h % 2592000) *
                                                               1000000));
    }
    Batch b;
    b.AddColumn("id", std::move(id));
    b.AddColumn("amount", std::move(amount));
    b.AddColumn("category", std::move(category));
    b.AddColumn("ts", std::move(ts));
    batches.push_back(std::move(b));
  }
  auto time = [&](const char* what, auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-34s %8.3f s %8.1f ns/value\n", what, s, s * 1e9 / static_cast<double>(rows));
  };
  const sluice::Schema schema = batches[0].schema;
  time("Profile::Update (4 columns)", [&] {
    sluice::quality::Profile p(schema);
    for (const Batch& b : batches) p.Update(b);
  });
  for (const char* name : {"id", "amount", "category", "ts"}) {
    std::vector<Batch> one;
    for (const Batch& b : batches) {
      Batch c;
      c.AddColumn(name, Column(b.Get(name)));
      one.push_back(std::move(c));
    }
    time(fmt::format("Profile::Update ({})", name).c_str(), [&] {
      sluice::quality::Profile p(one[0].schema);
      for (const Batch& b : one) p.Update(b);
    });
  }
  time("Moments (amount)", [&] {
    sluice::sketch::Moments m;
    for (const Batch& b : batches)
      for (double x : b.Get("amount").f64) m.Update(x);
  });
  time("KllSketch (amount)", [&] {
    sluice::sketch::KllSketch k;
    for (const Batch& b : batches)
      for (double x : b.Get("amount").f64) k.Update(x);
  });
  time("KllSketch (id, ascending)", [&] {
    sluice::sketch::KllSketch k;
    for (const Batch& b : batches)
      for (int64_t x : b.Get("id").i64) k.Update(static_cast<double>(x));
  });
  time("HyperLogLog (id)", [&] {
    sluice::sketch::HyperLogLog h;
    for (const Batch& b : batches)
      for (const int64_t& x : b.Get("id").i64) h.Add(XXH3_64bits_withSeed(&x, 8, 4));
  });
  time("TopK (category, 20 values)", [&] {
    sluice::sketch::TopK t;
    for (const Batch& b : batches)
      for (const std::string& s : b.Get("category").str) t.Update(s);
  });
  time("TopK::UpdateBatch (category)", [&] {
    sluice::sketch::TopK t;
    std::vector<std::string_view> views;
    for (const Batch& b : batches) {
      views.assign(b.Get("category").str.begin(), b.Get("category").str.end());
      t.UpdateBatch(views);
    }
  });
  time("TopK (id, all distinct)", [&] {
    sluice::sketch::TopK t;
    for (const Batch& b : batches)
      for (int64_t x : b.Get("id").i64) t.Update(std::to_string(x));
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (bench::RunSqlChild(argc, argv)) return 0;
  const long rows = std::stol(Arg(argc, argv, "--rows", "10000000"));
  if (bench::HasFlag(argc, argv, "--sketches")) {
    TimeSketches(rows);
    return 0;
  }
  const fs::path dir = fs::absolute(Arg(argc, argv, "--dir", "/tmp/sluice-bench-quality"));
  const std::string sluice = fs::absolute(Arg(argc, argv, "--sluice", "build/sluice")).string();
  const int repeat = std::max(1, std::stoi(Arg(argc, argv, "--repeat", "3")));
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  std::printf("bench/quality: %ld rows x 4 columns in %s, median of %d runs\n", rows, dir.c_str(),
              repeat);
  {
    sluice::io::DuckDb db;
    db.Execute(fmt::format(
        "COPY (SELECT i AS id, "
        "  CASE WHEN i % 50 = 0 THEN NULL ELSE round((hash(i * 3) % 100000) / 100.0, 2) END AS amount, "
        "  'c' || (hash(i * 7) % 20)::VARCHAR AS category, "
        "  make_timestamp(1767225600000000 + (hash(i * 11) % (30 * 86400))::BIGINT * 1000000) AS ts "
        "FROM range({}) t(i)) TO '{}' (FORMAT parquet)",
        rows, (dir / "data/rows.parquet").string()));
  }
  std::ofstream(dir / "summarize.sql") << fmt::format(
      "CREATE TABLE s AS SELECT * FROM (SUMMARIZE SELECT * FROM read_parquet('{}'))",
      (dir / "data/rows.parquet").string());
  // Each pair runs `repeat` times, interleaved; the median run of each side is reported (a
  // shared 2-core machine stalls now and then).
  std::vector<Measure> validates, summarizes, plains, checkeds;
  for (int i = 0; i < repeat; ++i) {
    for (const char* repo : {"plain", "checked"}) fs::remove_all(dir / repo);
    WriteRepo(dir / "plain", false);
    WriteRepo(dir / "checked", true);
    RunChild({sluice, "apply"}, dir / "plain");
    RunChild({sluice, "apply"}, dir / "checked");
    validates.push_back(RunChild({sluice, "validate", "q"}, dir / "checked"));
    summarizes.push_back(RunChild({SelfPath(), "--sql", (dir / "summarize.sql").string()}, dir));
    plains.push_back(RunChild({sluice, "ingest", "q", "--no-profile"}, dir / "plain"));
    checkeds.push_back(RunChild({sluice, "ingest", "q"}, dir / "checked"));
  }
  const Measure validate = Median(validates), summarize = Median(summarizes),
                plain = Median(plains), checked = Median(checkeds);

  std::printf("\n%-28s %9s %9s %7s %12s %12s\n", "step", "sluice_s", "peer_s", "ratio",
              "sluice_rss_mb", "peer_rss_mb");
  auto row = [](const char* what, const Measure& a, const Measure& b) {
    std::printf("%-28s %9.3f %9.3f %7.2f %12.1f %12.1f\n", what, a.seconds, b.seconds,
                a.seconds / b.seconds, a.peak_rss_kb / 1024.0, b.peak_rss_kb / 1024.0);
  };
  row("validate vs SUMMARIZE", validate, summarize);
  row("ingest+checks vs ingest", checked, plain);
  std::printf("\ntargets: validate <= 1.0x DuckDB SUMMARIZE; ingest with checks and profile <= "
              "1.3x ingest without checks\n");
  return 0;
}
