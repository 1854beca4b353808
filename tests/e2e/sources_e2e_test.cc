// Source types and multi-entity services end to end: a JSON Lines file source, a SQL source
// over files, a service joining views on user and on user × merchant, and an on-demand view.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"yaml(entities:
  - {name: user, join_keys: [user_id]}
  - {name: merchant, join_keys: [merchant]}
sources:
  - name: clicks
    type: file
    path: data/clicks.jsonl
    timestamp_field: ts
  - name: big_orders
    type: sql
    query: "SELECT * FROM read_csv('data/orders.csv') WHERE amount >= 100"
    timestamp_field: ts
feature_views:
  - name: user_clicks
    entities: [user]
    source: clicks
    features:
      - {name: last_page, expr: page}
      - {name: last_page_len, expr: "length(page)"}
  - name: user_merchant_big
    entities: [user, merchant]
    source: big_orders
    features:
      - {name: last_big_amount, expr: amount}
on_demand_views:
  - name: ratio
    inputs: [user_merchant_big]
    request: {basket: float64}
    features:
      - {name: basket_vs_big, expr: "basket / coalesce(user_merchant_big.last_big_amount, 1.0)"}
feature_services:
  - name: svc
    features: [user_clicks, user_merchant_big, "ratio:basket_vs_big"]
)yaml";

TEST(SourcesE2E, JsonLinesSqlSourceMultiEntityAndOnDemand) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: s\n");
  repo.Write("defs.yaml", kDefs);
  repo.Write("data/clicks.jsonl",
             "{\"user_id\": 1, \"ts\": \"2026-02-01T10:00:00\", \"page\": \"home\"}\n"
             "{\"user_id\": 1, \"ts\": \"2026-02-01T11:00:00\", \"page\": \"checkout\"}\n"
             "{\"user_id\": 2, \"ts\": \"2026-02-01T09:00:00\", \"page\": \"search\"}\n");
  repo.Write("data/orders.csv",
             "user_id,merchant,ts,amount\n"
             "1,acme,2026-02-01T08:00:00,150.0\n"
             "1,acme,2026-02-01T09:00:00,20.0\n"
             "1,zeta,2026-02-01T09:30:00,400.0\n"
             "2,acme,2026-02-01T07:00:00,100.0\n");
  repo.Write("entities.csv",
             "user_id,merchant,event_timestamp,basket\n"
             "1,acme,2026-02-01T10:30:00,300.0\n"
             "1,zeta,2026-02-01T12:00:00,100.0\n"
             "2,acme,2026-02-01T08:00:00,50.0\n"
             "2,zeta,2026-02-01T10:00:00,7.0\n");
  repo.Run("apply");
  EXPECT_EQ(repo.Json("ingest clicks")["rows_committed"], 3);
  EXPECT_EQ(repo.Json("ingest big_orders")["rows_committed"], 3);  // the query keeps 3 rows
  EXPECT_EQ(repo.Json("ingest big_orders")["unchanged"], true);    // same result, no-op
  repo.Run("dataset create d --service svc --entities entities.csv");
  auto col = [&](const std::string& c) {
    return repo.Query("SELECT coalesce(CAST(\"" + c +
                      "\" AS VARCHAR), 'NULL') FROM read_parquet('datasets/d/data.parquet')");
  };
  EXPECT_EQ(col("user_clicks__last_page"),
            (std::vector<std::string>{"home", "checkout", "NULL", "search"}));
  EXPECT_EQ(col("user_clicks__last_page_len"), (std::vector<std::string>{"4", "8", "NULL", "6"}));
  EXPECT_EQ(col("user_merchant_big__last_big_amount"),
            (std::vector<std::string>{"150.0", "400.0", "100.0", "NULL"}));
  EXPECT_EQ(col("ratio__basket_vs_big"), (std::vector<std::string>{"2.0", "0.25", "0.5", "7.0"}));
  EXPECT_EQ(repo.Query("SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM "
                       "read_parquet('datasets/d/data.parquet'))"),
            (std::vector<std::string>{
                "user_id,merchant,event_timestamp,basket,user_clicks__last_page,"
                "user_clicks__last_page_len,user_merchant_big__last_big_amount,"
                "ratio__basket_vs_big"}));
  EXPECT_EQ(repo.Json("dataset reproduce d")["matches"], true);
}

TEST(SourcesE2E, HelpIsAvailableOnEveryCommand) {
  ScratchRepo repo;
  for (const char* cmd :
       {"", "plan", "apply", "list", "ingest", "snapshots", "gc", "dataset", "dataset create",
        "dataset reproduce", "dataset list", "dataset show", "dataset delete", "materialize",
        "consistency-check", "serve", "get-online", "validate", "profile", "quarantine",
        "quarantine list", "quarantine show"}) {
    RunResult r = repo.Run(std::string(cmd) + " --help");
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
    // The global options are named in every command's help.
    EXPECT_NE(r.out.find("--repo"), std::string::npos) << cmd << ": " << r.out;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd << ": " << r.out;
  }
}


// JSON nested ~15,000 deep once overflowed the stack in DuckDB's type inference (apply,
// ingest and profile segfaulted). Now: a clear error naming the file and the column, exit 2,
// no scratch directory or temporary file left behind; profile skips the column.
TEST(SourcesE2E, DeeplyNestedJsonIsAClearError) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: j\n");
  repo.Write("defs.yaml", R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.jsonl, timestamp_field: ts}
)yaml");
  const std::string deep = std::string(15000, '[') + std::string(15000, ']');
  repo.Write("data/a.jsonl", "{\"user_id\": 1, \"ts\": \"2026-01-01 00:00:00\", \"l\": [1.5]}\n");
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Write("data/b.jsonl",
             "{\"user_id\": 2, \"ts\": \"2026-01-02 00:00:00\", \"l\": " + deep + "}\n");
  RunResult r = repo.Run("ingest tx", 2);
  EXPECT_NE(r.err.find("source 'tx' (data/b.jsonl): column 'l' has type JSON[][], which sluice "
                       "does not support"),
            std::string::npos)
      << r.err;
  const std::filesystem::path log = repo.root() / ".sluice/offline/tx";
  EXPECT_FALSE(std::filesystem::exists(log / "spill"));
  for (const auto& e : std::filesystem::recursive_directory_iterator(log)) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
  EXPECT_EQ(repo.Json("snapshots tx").size(), 1u);  // the first delivery stays committed
  r = repo.Run("profile data/b.jsonl");
  EXPECT_NE(r.out.find("user_id"), std::string::npos) << r.out;
  // Deep nesting in a file read at apply: the same error at apply.
  repo.Write("data/a.jsonl",
             "{\"user_id\": 1, \"ts\": \"2026-01-01 00:00:00\", \"x\": " + deep + "}\n");
  std::filesystem::remove(repo.root() / "data/b.jsonl");
  r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("column 'x' has type JSON[][]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice
