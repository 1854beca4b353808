// Entity files and source files that are not what they should be: each error names the file,
// the line or row, and the value; JSON-lines entity files work like CSV ones.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
feature_services:
  - {name: svc, features: [v]}
)";

void MakeRepo(const ScratchRepo& repo) {
  repo.Write("sluice.yaml", "project: t\nbucket_count: 2\n");
  repo.Write("defs.yaml", kDefs);
  repo.Write("data/d1.csv",
             "user_id,ts,amount\n1,2026-01-01T00:00:00,10.5\n2,2026-01-01T01:00:00,20.5\n");
  repo.Run("apply");
  repo.Run("ingest tx");
}

TEST(EntityFileE2E, EachBrokenFileNamesLineRowAndValue) {
  ScratchRepo repo;
  MakeRepo(repo);
  struct Case {
    std::string file, text, message;
  };
  const std::vector<Case> cases = {
      {"e.csv", "user_id,event_timestamp\n1,2026-01-02 00:00:00\n2,2026-01-02 00:00:00,x\n",
       "e.csv: line 3 has 3 field(s), the header has 2"},
      {"e.csv", "", "e.csv: the file is empty"},
      {"e.csv", "user_id,event_timestamp\n\"1,2026-01-02 00:00:00\n2,2026-01-02 00:00:00\n",
       "e.csv: line 2: a quoted field is not closed"},
      {"e.csv", "user_id,event_timestamp,user_id\n1,2026-01-02 00:00:00,1\n",
       "e.csv: column 'user_id' appears twice in the header (columns 1 and 3)"},
      {"e.csv", "user_id,event_timestamp\n1,2026-01-02 00:00:00\n2,yesterday\n",
       "e.csv: row 2: timestamp column 'event_timestamp' has the value 'yesterday', which is not a "
       "valid timestamp"},
      {"e.csv", "user_id,event_timestamp\n1,2026-01-02 00:00:00\n2,2026-01-02\nx1,2026-01-02\n",
       "e.csv: row 3: join key 'user_id' has the value 'x1', which is not a valid int64"},
      {"e.jsonl",
       "{\"user_id\": 1, \"event_timestamp\": \"2026-01-02 00:00:00\"}\n"
       "{\"user_id\": 2, \"event_timestamp\": \"soon\"}\n",
       "e.jsonl: row 2: timestamp column 'event_timestamp' has the value 'soon'"},
  };
  for (const Case& c : cases) {
    repo.Write(c.file, c.text);
    const RunResult r = repo.Run("dataset create d --service svc --entities " + c.file, 2);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.text << "\n" << r.err;
  }
}

TEST(EntityFileE2E, JsonLinesEntitiesGiveWhatCsvGives) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("e.csv", "user_id,event_timestamp\n1,2026-01-02 00:00:00\n2,2026-01-01 00:30:00\n");
  repo.Write("e.jsonl",
             "{\"user_id\": 1, \"event_timestamp\": \"2026-01-02 00:00:00\"}\n"
             "{\"user_id\": 2, \"event_timestamp\": \"2026-01-01T00:30:00Z\"}\n");
  const nlohmann::json a = repo.Json("dataset create a --service svc --entities e.csv");
  const nlohmann::json b = repo.Json("dataset create b --service svc --entities e.jsonl");
  EXPECT_EQ(a["content_hash"], b["content_hash"]);
  EXPECT_EQ(repo.Query("SELECT CAST(v__amount AS VARCHAR) FROM 'datasets/b/data.parquet'"),
            (std::vector<std::string>{"10.5", "null"}));
}

// An entity set from a SQL query: the same dataset as the same rows in a file; the rows are
// kept in the dataset, so it reproduces even when the query's input changes; a bad query is
// exit 2 with DuckDB's reason and leaves nothing behind.
TEST(EntityFileE2E, EntitiesFromASqlQueryGiveWhatAFileGives) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("e.csv", "user_id,event_timestamp\n1,2026-01-02 00:00:00\n2,2026-01-01 00:30:00\n");
  repo.Write("labels/l.csv", "uid,t,y\n1,2026-01-02 00:00:00,1\n2,2026-01-01 00:30:00,0\n"
                             "3,2026-01-05 00:00:00,1\n");
  const nlohmann::json a = repo.Json("dataset create a --service svc --entities e.csv");
  const nlohmann::json b = repo.Json(
      "dataset create b --service svc --entities-sql \"SELECT uid AS user_id, t AS "
      "event_timestamp FROM 'labels/l.csv' WHERE uid < 3 ORDER BY uid\"");
  EXPECT_EQ(a["content_hash"], b["content_hash"]);
  EXPECT_EQ(b["manifest"]["entity_file"]["query"],
            "SELECT uid AS user_id, t AS event_timestamp FROM 'labels/l.csv' WHERE uid < 3 "
            "ORDER BY uid");
  EXPECT_EQ(b["manifest"]["entity_file"]["copy"], "entities.parquet");
  repo.Write("labels/l.csv", "uid,t,y\n");  // the query would now give nothing
  EXPECT_EQ(repo.Json("dataset reproduce b")["matches"], true);
  RunResult r = repo.Run("dataset create c --service svc --entities-sql \"SELECT nope\"", 2);
  EXPECT_NE(r.err.find("running the entity query: Binder Error"), std::string::npos) << r.err;
  r = repo.Run("dataset create c --service svc --entities-sql \"SELECT 1 AS user_id\"", 2);
  EXPECT_NE(r.err.find("the entity query: no timestamp column 'event_timestamp'"),
            std::string::npos)
      << r.err;
  r = repo.Run("dataset create c --service svc", 2);
  EXPECT_NE(r.err.find("give the entity set: --entities FILE or --entities-sql QUERY"),
            std::string::npos)
      << r.err;
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(repo.root() / "datasets")) {
    left.push_back(e.path().filename());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"a", "b"}));
}

// One dirty value that makes a source column text: named at apply with its row, not as an
// expression type error.
TEST(EntityFileE2E, ADirtyValueThatMakesAColumnTextIsNamedAtApply) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\n");
  std::string defs = kDefs;
  defs.replace(defs.find("{name: amount, expr: amount}"), 28, "{name: amount, expr: amount * 2}");
  repo.Write("defs.yaml", defs);
  std::string rows = "user_id,ts,amount\n";
  for (int i = 0; i < 30; ++i)
    rows += std::to_string(i) + ",2026-01-01T00:00:00," +
            (i == 17 ? "n/a" : std::to_string(i) + ".5") + "\n";
  repo.Write("data/d1.csv", rows);
  RunResult r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("column 'amount' of source 'tx' is read as text because of the value "
                       "'n/a' (row 18); 29 of its 30 values are numbers"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("schema: {amount: float64, ...}"), std::string::npos) << r.err;
  // A text column of mostly digits that no expression computes on is fine (zip codes).
  repo.Write("defs.yaml", kDefs);
  r = repo.Run("apply");
  EXPECT_EQ(r.err.find("read as text"), std::string::npos) << r.err;
}

// `validate --path FILE` on a source without a suite: a dry run of the ingest (ingest's own
// rules), not an error.
TEST(EntityFileE2E, ValidateWithoutASuiteIsADryRunOfTheIngest) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("new.csv", "user_id,ts,amount\n3,2026-01-02T00:00:00,1.5\n4,2026-01-02T00:00:00,2\n");
  RunResult r = repo.Run("validate tx --path new.csv");
  EXPECT_NE(r.out.find("source 'tx' has no check suite: only ingest's own rules are applied"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tx: 2 rows judged; ingest would commit every row"), std::string::npos)
      << r.out;
  const nlohmann::json j = repo.Json("validate tx --path new.csv");
  EXPECT_EQ(j["rows_read"], 2);
  EXPECT_EQ(j["checks"], nlohmann::json::array());
  repo.Write("bad.csv", "user_id,ts,amount\n3,2026-01-02T00:00:00,1.5\n4,soon,2\n");
  r = repo.Run("validate tx --path bad.csv", 2);
  EXPECT_NE(r.err.find("not a valid timestamp; first is row 2: 'soon'"), std::string::npos)
      << r.err;
  EXPECT_EQ(repo.Json("snapshots tx").size(), 1u);  // nothing committed by validate
}

}  // namespace
}  // namespace sluice
