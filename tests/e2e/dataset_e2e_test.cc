// End to end through the sluice binary: apply, ingest, dataset create / reproduce, gc.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - name: tx
    type: file
    path: data/*.csv
    timestamp_field: ts
    created_timestamp_field: created
feature_views:
  - name: user_tx
    entities: [user]
    source: tx
    ttl: 1h
    features:
      - {name: amount, expr: amount}
      - {name: doubled, expr: "amount * 2"}
feature_services:
  - {name: svc, features: [user_tx]}
)";

constexpr const char* kDelivery1 = R"(user_id,ts,created,amount
1,2026-01-01T00:00:00,2026-01-01T00:00:00,10.0
1,2026-01-01T00:30:00,2026-01-01T00:30:00,20.0
2,2026-01-01T00:10:00,2026-01-01T00:10:00,5.0
1,2026-01-01T00:30:00,2026-01-01T00:29:00,99.0
)";

constexpr const char* kEntities = R"(user_id,event_timestamp,label
1,2026-01-01T00:29:59,a
1,2026-01-01T00:30:00,b
1,2026-01-01T01:30:00,c
1,2026-01-01T01:29:59,d
2,2026-01-01T00:05:00,e
3,2026-01-01T05:00:00,f
2,2026-01-01T00:25:00,g
)";

void MakeRepo(const ScratchRepo& repo) {
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\n");
  repo.Write("defs.yaml", kDefs);
  repo.Write("data/d1.csv", kDelivery1);
  repo.Write("entities.csv", kEntities);
}

std::vector<std::string> Column(const ScratchRepo& repo, const std::string& dataset,
                                const std::string& column) {
  return repo.Query("SELECT CAST(\"" + column + "\" AS VARCHAR) FROM read_parquet('datasets/" +
                    dataset + "/data.parquet')");
}

TEST(DatasetE2E, HandComputedLastValuesWithTtlAndTies) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  nlohmann::json ingest = repo.Json("ingest tx");
  EXPECT_EQ(ingest["source"], "tx");
  EXPECT_EQ(ingest["snapshot"], 1);
  EXPECT_EQ(ingest["rows_read"], 4);
  EXPECT_EQ(ingest["rows_committed"], 4);
  EXPECT_EQ(ingest["rows_quarantined"], 0);
  EXPECT_EQ(ingest["unchanged"], false);
  EXPECT_TRUE(ingest["checks"].is_array());

  nlohmann::json ds = repo.Json("dataset create d1 --service svc --entities entities.csv");
  EXPECT_EQ(ds["rows"], 7);
  const std::vector<std::string> amount = Column(repo, "d1", "user_tx__amount");
  const std::vector<std::string> want_amount = {"10.0", "20.0", "null", "20.0",
                                                "null", "null", "5.0"};
  // DuckDB prints NULL casts as null values; map them for comparison.
  std::vector<std::string> got = amount;
  for (auto& s : got) {
    if (s == "null" || s.empty()) s = "null";
  }
  EXPECT_EQ(got, want_amount);
  EXPECT_EQ(Column(repo, "d1", "user_tx__doubled"),
            (std::vector<std::string>{"20.0", "40.0", "null", "40.0", "null", "null", "10.0"}));
  // Entity columns first, unchanged and in file order.
  EXPECT_EQ(Column(repo, "d1", "label"),
            (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_EQ(repo.Query("SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM "
                       "read_parquet('datasets/d1/data.parquet'))"),
            (std::vector<std::string>{
                "user_id,event_timestamp,label,user_tx__amount,user_tx__doubled"}));
}

TEST(DatasetE2E, HandComputedWindowsAlongsideLastValues) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("windows.yaml", R"(feature_views:
  - name: user_win
    entities: [user]
    source: tx
    features:
      - {name: n_1h, aggregate: count, window: 1h, hop: 10m}
      - {name: last_amount, expr: amount}
      - {name: total_1h, aggregate: sum, expr: amount, window: 1h, hop: 10m}
      - {name: big_2h, aggregate: count, expr: amount, where: "amount > 15", window: 2h, hop: 0}
      - {name: first_1h, aggregate: first, expr: amount, window: 1h, hop: 10m}
feature_services:
  - {name: win, features: [user_win]}
)");
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Json("dataset create w --service win --entities entities.csv");
  // Entities a..g (see kEntities); tiles of 10 minutes, so at 00:29:59 the 1h window starts at
  // -00:30 and at 01:29:59 at 00:30 (the current partial tile plus five full ones).
  EXPECT_EQ(Column(repo, "w", "user_win__n_1h"),
            (std::vector<std::string>{"1", "3", "0", "2", "0", "0", "1"}));
  EXPECT_EQ(Column(repo, "w", "user_win__total_1h"),
            (std::vector<std::string>{"10.0", "129.0", "0.0", "119.0", "0.0", "0.0", "5.0"}));
  EXPECT_EQ(Column(repo, "w", "user_win__big_2h"),
            (std::vector<std::string>{"0", "2", "2", "2", "0", "0", "0"}));
  // first in row order: at 00:30 the row created at 00:29 (99) comes before the one created
  // at 00:30 (20).
  EXPECT_EQ(Column(repo, "w", "user_win__first_1h"),
            (std::vector<std::string>{"10.0", "10.0", "null", "99.0", "null", "null", "5.0"}));
  EXPECT_EQ(Column(repo, "w", "user_win__last_amount"),
            (std::vector<std::string>{"10.0", "20.0", "20.0", "20.0", "null", "null", "5.0"}));
}

TEST(DatasetE2E, SegmentsAreSortedAndSequencesFollowDeliveryOrder) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  const std::string segments = "read_parquet('.sluice/offline/tx/segments/*.parquet', "
                               "filename = true, file_row_number = true)";
  // Ingestion sequence = position in the delivery.
  EXPECT_EQ(repo.Query("SELECT CAST(amount AS VARCHAR) FROM " + segments + " ORDER BY _seq"),
            (std::vector<std::string>{"10.0", "20.0", "5.0", "99.0"}));
  // Within each segment file rows are sorted by (key, ts, created, seq).
  EXPECT_EQ(repo.Query("SELECT CAST(count(*) AS VARCHAR) FROM (SELECT (user_id, ts, created, _seq) "
                       "< lag((user_id, ts, created, _seq)) OVER (PARTITION BY filename ORDER BY "
                       "file_row_number) AS bad FROM " + segments + ") WHERE bad"),
            (std::vector<std::string>{"0"}));
}

TEST(DatasetE2E, ExactTiesGoToTheLaterIngestedRow) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("data/d1.csv",
             "user_id,ts,created,amount\n"
             "1,2026-01-01T00:00:00,2026-01-01T00:00:00,1.0\n"
             "1,2026-01-01T00:00:00,2026-01-01T00:00:00,2.0\n");
  repo.Write("entities.csv", "user_id,event_timestamp\n1,2026-01-01T00:00:00\n");
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("dataset create a --service svc --entities entities.csv");
  EXPECT_EQ(Column(repo, "a", "user_tx__amount"), (std::vector<std::string>{"2.0"}));
  repo.Write("data/d2.csv",
             "user_id,ts,created,amount\n1,2026-01-01T00:00:00,2026-01-01T00:00:00,3.0\n");
  repo.Run("ingest tx");
  repo.Run("dataset create b --service svc --entities entities.csv");
  EXPECT_EQ(Column(repo, "b", "user_tx__amount"), (std::vector<std::string>{"3.0"}));
}

TEST(DatasetE2E, ReingestIsNoOpAndSnapshotsAreListed) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  nlohmann::json again = repo.Json("ingest tx");
  EXPECT_EQ(again["unchanged"], true);
  EXPECT_EQ(again["snapshot"], 1);
  EXPECT_EQ(again["rows_committed"], 0);
  repo.Write("data/d2.csv", "user_id,ts,created,amount\n2,2026-01-01T00:20:00,2026-01-01T00:20:00,7.0\n");
  nlohmann::json second = repo.Json("ingest tx");
  EXPECT_EQ(second["snapshot"], 2);
  EXPECT_EQ(second["rows_read"], 1);
  nlohmann::json snaps = repo.Json("snapshots tx");
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(snaps[0]["snapshot"], 1);
  EXPECT_EQ(snaps[0]["rows"], 4);
  EXPECT_EQ(snaps[1]["snapshot"], 2);
  EXPECT_EQ(snaps[1]["rows"], 5);
  EXPECT_TRUE(snaps[1]["created_at"].is_string());
  EXPECT_GE(snaps[1]["segments"].get<int>(), 2);
}

TEST(DatasetE2E, ReproduceAfterLaterIngestAndGcThenDetectTampering) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  nlohmann::json first = repo.Json("dataset create d1 --service svc --entities entities.csv");
  // Same inputs, same content hash.
  nlohmann::json twin = repo.Json("dataset create d1b --service svc --entities entities.csv");
  EXPECT_EQ(first["content_hash"], twin["content_hash"]);

  repo.Write("data/d2.csv", "user_id,ts,created,amount\n2,2026-01-01T00:20:00,2026-01-01T00:20:00,7.0\n");
  repo.Run("ingest tx");
  repo.Write("data/d3.csv", "user_id,ts,created,amount\n1,2026-01-01T00:29:00,2026-01-01T00:29:00,1.0\n");
  repo.Run("ingest tx");
  // The newest data changes row g (user 2 at 00:25 now sees 7.0) and row a.
  nlohmann::json newer = repo.Json("dataset create d2 --service svc --entities entities.csv");
  EXPECT_NE(newer["content_hash"], first["content_hash"]);
  EXPECT_EQ(Column(repo, "d2", "user_tx__amount")[6], "7.0");
  EXPECT_EQ(Column(repo, "d2", "user_tx__amount")[0], "1.0");

  nlohmann::json gc = repo.Json("gc --keep 1");
  ASSERT_EQ(gc.size(), 1u);
  // Snapshot 1 is pinned by datasets d1 and d1b, 3 is the newest; 2 goes.
  EXPECT_EQ(gc[0]["kept_snapshots"], (nlohmann::json{1, 3}));
  EXPECT_EQ(gc[0]["deleted_snapshots"], (nlohmann::json{2}));

  nlohmann::json r = repo.Json("dataset reproduce d1");
  EXPECT_EQ(r["matches"], true);
  EXPECT_EQ(r["actual_hash"], first["content_hash"]);
  EXPECT_EQ(r["rows"], 7);

  // A manifest whose recorded hash no longer matches the rebuilt data: exit 1.
  const auto manifest_path = repo.root() / "datasets/d1/manifest.json";
  nlohmann::json m = nlohmann::json::parse(std::ifstream(manifest_path));
  m["content_hash"] = std::string(64, '0');
  std::ofstream(manifest_path) << m.dump();
  nlohmann::json bad = repo.Json("dataset reproduce d1", 1);
  EXPECT_EQ(bad["matches"], false);
  EXPECT_EQ(bad["actual_hash"], first["content_hash"]);

  nlohmann::json list = repo.Json("dataset list");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["name"], "d1");
  EXPECT_EQ(list[0]["service"], "svc");
}

TEST(DatasetE2E, BadInputsExitTwoAndNameWhatAndWhere) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  RunResult r = repo.Run("dataset create x --service nope --entities entities.csv", 2);
  EXPECT_NE(r.err.find("unknown feature service 'nope'"), std::string::npos) << r.err;
  r = repo.Run("dataset create x --service svc --entities entities.csv --timestamp-column when", 2);
  EXPECT_NE(r.err.find("no timestamp column 'when'"), std::string::npos) << r.err;
  repo.Write("noentity.csv", "user_id,event_timestamp\n");
  r = repo.Run("dataset create x --service svc --entities missing.csv", 2);
  EXPECT_NE(r.err.find("missing.csv"), std::string::npos) << r.err;
  r = repo.Run("ingest nosuch", 2);
  EXPECT_NE(r.err.find("unknown source 'nosuch'"), std::string::npos) << r.err;
  r = repo.Run("frobnicate", 2);
}

TEST(DatasetE2E, DeliveryWithNullKeyIsRejectedWholeAndNothingCommitted) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Write("bad.csv",
             "user_id,ts,created,amount\n4,2026-01-02T00:00:00,2026-01-02T00:00:00,1.0\n"
             ",2026-01-02T00:00:00,2026-01-02T00:00:00,2.0\n"
             ",2026-01-02T00:00:01,2026-01-02T00:00:01,3.0\n");
  RunResult r = repo.Run("ingest tx --path bad.csv", 2);
  EXPECT_NE(r.err.find("2 row(s) have a null join key 'user_id'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("first is row 2"), std::string::npos) << r.err;
  repo.Write("badts.csv", "user_id,ts,created,amount\n4,not-a-time,2026-01-02T00:00:00,1.0\n");
  r = repo.Run("ingest tx --path badts.csv", 2);
  EXPECT_NE(r.err.find("column 'ts'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not-a-time"), std::string::npos) << r.err;
  repo.Write("corrupt.parquet", "PAR1 this is not parquet");
  r = repo.Run("ingest tx --path corrupt.parquet", 2);
  EXPECT_NE(r.err.find("corrupt.parquet"), std::string::npos) << r.err;
  nlohmann::json snaps = repo.Json("snapshots tx");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0]["rows"], 4);
}

TEST(DatasetE2E, GcWorksWhenTheFirstDeliveryWasRejected) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("data/d1.csv", "user_id,ts,created,amount\n,2026-01-02T00:00:00,2026-01-02T00:00:00,1.0\n");
  repo.Run("apply");
  repo.Run("ingest tx", 2);
  nlohmann::json gc = repo.Json("gc --keep 1");
  ASSERT_EQ(gc.size(), 1u);
  EXPECT_EQ(gc[0]["source"], "tx");
  EXPECT_EQ(gc[0]["kept_snapshots"], nlohmann::json::array());
  EXPECT_EQ(gc[0]["deleted_segments"], 0);
  EXPECT_EQ(repo.Json("snapshots tx"), nlohmann::json::array());
}

TEST(DatasetE2E, DefinitionErrorsNameFileAndLineAndApplyNothing) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("defs.yaml", std::string(kDefs) + "  - {name: svc, features: [user_tx]}\n");
  RunResult r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("defs.yaml:19: duplicate feature service name 'svc'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: first defined at defs.yaml:18"), std::string::npos) << r.err;
  repo.Write("defs.yaml", std::string(kDefs).replace(std::string(kDefs).find("amount * 2"), 10,
                                                     "amout * 2"));
  r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("defs.yaml:16:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("amout"), std::string::npos) << r.err;
  repo.Write("defs.yaml", std::string(kDefs).replace(std::string(kDefs).find("ttl: 1h"), 7,
                                                     "ttl: 1 hour"));
  r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("defs.yaml:13: bad duration '1 hour'"), std::string::npos) << r.err;
  repo.Write("defs.yaml", "entities: [\n");
  r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("defs.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid YAML"), std::string::npos) << r.err;
  // Nothing was ever applied.
  r = repo.Run("list", 2);
  EXPECT_NE(r.err.find("nothing is applied"), std::string::npos) << r.err;
}

TEST(DatasetE2E, PlanShowsAddChangeRemove) {
  ScratchRepo repo;
  MakeRepo(repo);
  nlohmann::json p = repo.Json("plan");
  ASSERT_EQ(p["plan"].size(), 4u);
  for (const auto& e : p["plan"]) EXPECT_EQ(e["action"], "add");
  repo.Run("apply");
  std::string defs = kDefs;
  defs.replace(defs.find("ttl: 1h"), 7, "ttl: 2h");
  defs.replace(defs.find("feature_services:"), std::string::npos, "feature_services: []\n");
  repo.Write("defs.yaml", defs);
  p = repo.Json("plan");
  std::map<std::string, std::string> action;
  for (const auto& e : p["plan"]) action[e["name"]] = e["action"];
  EXPECT_EQ(action["user"], "unchanged");
  EXPECT_EQ(action["tx"], "unchanged");
  EXPECT_EQ(action["user_tx"], "change");
  EXPECT_EQ(action["svc"], "remove");
}

}  // namespace
}  // namespace sluice
