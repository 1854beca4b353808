// The online path end to end through the sluice binary: materialize (full, incremental, late
// data, crash and rerun, view changes) and get-online, checked against `dataset create` for
// the same entities and times (SPEC §6: online values equal dataset values).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <httplib.h>

#include <memory>
#include <random>
#include <set>

#include "e2e/e2e_util.h"
#include "io/duckdb.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"yaml(entities:
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
      - {name: label, expr: "upper(cat)"}
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
)yaml";

constexpr int kUsers = 30;

// Random rows for days [first_day, first_day + days) of May 2026.
std::string Rows(std::mt19937_64& rng, int n, int first_day, int days) {
  const char* cats[] = {"x", "y", "z", "a longer category"};
  std::string out = "user_id,ts,created,amount,qty,cat\n";
  auto stamp = [](long m) {
    return fmt::format("2026-05-{:02d}T{:02d}:{:02d}:00", 1 + m / 1440, (m / 60) % 24, m % 60);
  };
  for (int i = 0; i < n; ++i) {
    const long minute = (first_day * 96 + static_cast<long>(rng() % (days * 96))) * 15;
    const long created = minute + static_cast<long>(rng() % 3);
    const double amount = std::uniform_real_distribution<double>(-200.0, 1000.0)(rng);
    out += fmt::format("{},{},{},{},{},{}\n", rng() % kUsers, stamp(minute), stamp(created),
                       rng() % 10 == 0 ? "" : fmt::format("{:.17g}", amount),
                       rng() % 10 == 0 ? "" : std::to_string(rng() % 50), cats[rng() % 4]);
  }
  return out;
}

// Online values (get-online --json at `at` for users 0..kUsers+1) must equal the dataset's
// for the same rows: bit for bit, nulls where the dataset has nulls.
void ExpectOnlineEqualsDataset(const ScratchRepo& repo, const std::string& at) {
  std::string entities = "user_id,event_timestamp\n", args;
  for (int u = 0; u < kUsers + 2; ++u) {
    entities += fmt::format("{},{}\n", u, at);
    args += fmt::format(" --entity user_id={}", u);
  }
  repo.Write("entities.csv", entities);
  repo.Run("dataset create check --service svc --entities entities.csv --force");
  const nlohmann::json online = repo.Json("get-online --service svc --at " + at + args);
  io::DuckDb db;
  const Batch ds =
      db.Query("SELECT * FROM read_parquet(" +
               io::QuoteLiteral((repo.root() / "datasets/check/data.parquet").string()) + ")");
  const auto& names = online["metadata"]["feature_names"];
  ASSERT_EQ(names.size(), 15u);  // user_id + 14 features
  int compared = 0, non_null = 0;
  for (size_t f = 1; f < names.size(); ++f) {
    const std::string name = names[f].get<std::string>();
    const Column& col = ds.Get(name);
    const auto& values = online["results"][f]["values"];
    ASSERT_EQ(values.size(), ds.num_rows) << name;
    for (size_t r = 0; r < ds.num_rows; ++r) {
      const Value want = col.Get(r);
      const nlohmann::json& got = values[r];
      const std::string where = fmt::format("{} user {} at {}", name, r, at);
      ++compared;
      if (want.is_null) {
        EXPECT_TRUE(got.is_null()) << where << ": got " << got.dump();
        continue;
      }
      ++non_null;
      switch (want.type) {
        case DataType::kInt64:
          EXPECT_EQ(got.get<int64_t>(), want.i) << where;
          break;
        case DataType::kFloat64:
          EXPECT_EQ(got.get<double>(), want.d) << where;
          break;
        case DataType::kString:
          EXPECT_EQ(got.get<std::string>(), want.s) << where;
          break;
        default:
          ADD_FAILURE() << where << ": unexpected type";
      }
    }
  }
  EXPECT_EQ(compared, 14 * (kUsers + 2));
  EXPECT_GT(non_null, 100) << "too few values to mean anything";
}

TEST(OnlineE2E, EqualsDatasetAfterFullIncrementalAndLateDeliveries) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(5);
  repo.Write("data/a.csv", Rows(rng, 800, 0, 3));
  repo.Run("apply");
  repo.Run("ingest tx");
  nlohmann::json m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["full"], true);
  EXPECT_EQ(m["views"][0]["rows_read"], 800);
  ExpectOnlineEqualsDataset(repo, "2026-05-04T00:00:00");

  // In-order delivery: appended to the stored records.
  repo.Write("data/b.csv", Rows(rng, 800, 3, 3));
  repo.Run("ingest tx");
  m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["full"], false);
  EXPECT_EQ(m["views"][0]["from_snapshot"], 1);
  EXPECT_EQ(m["views"][0]["to_snapshot"], 2);
  EXPECT_EQ(m["views"][0]["rows_read"], 800);
  ExpectOnlineEqualsDataset(repo, "2026-05-07T00:00:00");
  ExpectOnlineEqualsDataset(repo, "2026-05-07T13:37:11");

  // Late rows (times before the stored newest rows): those keys are rebuilt.
  repo.Write("data/c.csv", Rows(rng, 300, 0, 6));
  repo.Run("ingest tx");
  m = repo.Json("materialize");
  EXPECT_GT(m["views"][0]["entities_rebuilt"].get<int>(), 0);
  ExpectOnlineEqualsDataset(repo, "2026-05-07T00:00:00");
  ExpectOnlineEqualsDataset(repo, "2026-05-09T06:00:00");

  // Nothing new: up to date.
  m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["rows_read"], 0);
  EXPECT_EQ(m["views"][0]["entities_written"], 0);

  // consistency-check samples entities and agrees: every user, all 14 features.
  nlohmann::json c = repo.Json("consistency-check --service svc --at 2026-05-09T06:00:00");
  EXPECT_EQ(c["entities"], kUsers);
  EXPECT_EQ(c["compared"], 14 * kUsers);
  EXPECT_EQ(c["mismatches"], 0);
  c = repo.Json("consistency-check --service svc --sample 5 --at 2026-05-09T06:00:00");
  EXPECT_EQ(c["entities"], 5);
  EXPECT_EQ(c["compared"], 14 * 5);
  // A delivery not yet materialized: the check sees it and fails (exit 1).
  repo.Write("data/d.csv", Rows(rng, 200, 8, 1));
  repo.Run("ingest tx");
  c = repo.Json("consistency-check --service svc --at 2026-05-10T00:00:00", 1);
  EXPECT_GT(c["mismatches"].get<int>(), 0);
  EXPECT_EQ(c["examples"][0]["view"], "w");
  repo.Run("materialize");
  c = repo.Json("consistency-check --service svc --at 2026-05-10T00:00:00");
  EXPECT_EQ(c["mismatches"], 0);
}

// consistency-check computes on-demand features on both sides (from the online values and
// from the offline engine's) and compares them; one that needs request data is skipped.
TEST(OnlineE2E, ConsistencyCheckComparesOnDemandFeatures) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\n");
  repo.Write("defs.yaml", R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts, created_timestamp_field: created}
feature_views:
  - name: w
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
      - {name: n_1d, aggregate: count, window: 1d, hop: 1h}
      - {name: sum_1d, aggregate: sum, expr: amount, window: 1d, hop: 1h}
on_demand_views:
  - name: per_tx
    inputs: [w]
    features:
      - {name: avg, expr: "w.sum_1d / (w.n_1d + 1)"}
  - name: chained
    inputs: [per_tx, w]
    features:
      - {name: twice, expr: "per_tx.avg * 2 + coalesce(w.amount, 0.0)"}
  - name: with_req
    inputs: [w]
    request: {bonus: float64}
    features:
      - {name: boosted, expr: "w.amount + bonus"}
feature_services:
  - {name: svc, features: [chained, w, per_tx, with_req]}
)yaml");
  std::mt19937_64 rng(21);
  repo.Write("data/a.csv", Rows(rng, 600, 0, 3));
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("materialize");
  nlohmann::json c = repo.Json("consistency-check --service svc --at 2026-05-04T00:00:00");
  EXPECT_EQ(c["mismatches"], 0) << c.dump();
  EXPECT_EQ(c["compared"], (1 + 3 + 1) * kUsers);  // chained, w's three, per_tx
  EXPECT_EQ(c["skipped"], nlohmann::json::array({"with_req:boosted"}));
  // A delivery not materialized yet: the on-demand features disagree as well.
  repo.Write("data/b.csv", Rows(rng, 300, 2, 2));
  repo.Run("ingest tx");
  c = repo.Json("consistency-check --service svc --sample 2 --at 2026-05-05T00:00:00", 1);
  std::set<std::string> views;
  for (const auto& e : c["examples"]) views.insert(e["view"].get<std::string>());
  EXPECT_TRUE(views.count("chained")) << c.dump();
  EXPECT_TRUE(views.count("per_tx")) << c.dump();
  repo.Run("materialize");
  c = repo.Json("consistency-check --service svc --at 2026-05-05T00:00:00");
  EXPECT_EQ(c["mismatches"], 0) << c.dump();
  EXPECT_EQ(c["compared"], 5 * kUsers);
}

TEST(OnlineE2E, RerunAfterACrashGivesTheSameState) {
  for (const char* point : {"materialize:after-bucket", "materialize:before-progress"}) {
    ScratchRepo repo;
    repo.Write("sluice.yaml", "project: t\nbucket_count: 4\n");
    repo.Write("defs.yaml", kDefs);
    std::mt19937_64 rng(9);
    repo.Write("data/a.csv", Rows(rng, 600, 0, 3));
    repo.Run("apply");
    repo.Run("ingest tx");
    repo.Run("materialize");
    repo.Write("data/b.csv", Rows(rng, 600, 3, 3));
    repo.Run("ingest tx");
    repo.Run("materialize", 137, std::string("SLUICE_CRASH_AT=") + point);
    const nlohmann::json m = repo.Json("materialize");
    EXPECT_EQ(m["views"][0]["from_snapshot"], 1) << point;
    // The keys written before the crash no longer take the new rows as "after" their newest.
    EXPECT_GT(m["views"][0]["entities_rebuilt"].get<int>(), 0) << point;
    ExpectOnlineEqualsDataset(repo, "2026-05-07T00:00:00");
  }
}

TEST(OnlineE2E, AChangedViewIsNeverServedFromOldRecords) {
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
      - {name: total, aggregate: sum, expr: amount, window: 1d, hop: 1h}
feature_services:
  - {name: svc, features: [v]}
)");
  repo.Write("data/a.csv", "user_id,ts,amount\n1,2026-01-01T10:00:00,2\n1,2026-01-01T11:00:00,3\n");
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("materialize");
  const std::string get = "get-online --service svc --entity user_id=1 --at 2026-01-01T12:00:00";
  nlohmann::json r = repo.Json(get);
  EXPECT_EQ(r["results"][1]["values"][0], 5);
  EXPECT_EQ(r["results"][1]["statuses"][0], "PRESENT");
  // The feature becomes a mean: the stored sums must not be served as means.
  repo.Write("defs.yaml", R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    features:
      - {name: total, aggregate: mean, expr: amount, window: 1d, hop: 1h}
feature_services:
  - {name: svc, features: [v]}
)");
  repo.Run("apply");
  r = repo.Json(get);
  EXPECT_TRUE(r["results"][1]["values"][0].is_null());
  EXPECT_EQ(r["results"][1]["statuses"][0], "NOT_FOUND");
  const nlohmann::json m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["full"], true);
  r = repo.Json(get);
  EXPECT_EQ(r["results"][1]["values"][0], 2.5);
}

TEST(OnlineE2E, UntilStopsAtTheNewestSnapshotCommittedBy) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 2\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(3);
  repo.Write("data/a.csv", Rows(rng, 100, 0, 2));
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Write("data/b.csv", Rows(rng, 100, 2, 2));
  repo.Run("ingest tx");
  const nlohmann::json snaps = repo.Json("snapshots tx");
  ASSERT_EQ(snaps.size(), 2u);
  const std::string first = snaps[0]["created_at"].get<std::string>();
  // At the first snapshot's commit time: that snapshot, not the second.
  nlohmann::json m = repo.Json("materialize --until " + first);
  EXPECT_EQ(m["views"][0]["to_snapshot"], 1);
  EXPECT_EQ(m["views"][0]["rows_read"], 100);
  // Before any snapshot: nothing to do.
  m = repo.Json("materialize --until 2000-01-01");
  EXPECT_EQ(m["views"][0]["no_data"], true);
  m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["from_snapshot"], 1);
  EXPECT_EQ(m["views"][0]["to_snapshot"], 2);
  EXPECT_EQ(m["views"][0]["rows_read"], 100);
  ExpectOnlineEqualsDataset(repo, "2026-05-05T00:00:00");
}

TEST(OnlineE2E, RedisStoreServesTheSameValues) {
  RedisServer redis;
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\nonline_store: {type: redis, url: '" +
                                redis.url() + "'}\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(21);
  repo.Write("data/a.csv", Rows(rng, 600, 0, 3));
  repo.Run("apply");
  repo.Run("ingest tx");
  RunResult r = repo.Run("--json materialize");
  EXPECT_EQ(r.err.find("evicts keys"), std::string::npos) << r.err;  // noeviction: no warning
  nlohmann::json m = nlohmann::json::parse(r.out);
  EXPECT_EQ(m["store"], "redis at " + redis.url());
  EXPECT_EQ(m["views"][0]["full"], true);
  // A Redis that evicts keys is used, with a warning.
  {
    redisContext* c = redisConnect("127.0.0.1", redis.port());
    ASSERT_TRUE(c && !c->err);
    freeReplyObject(redisCommand(c, "CONFIG SET maxmemory-policy allkeys-lru"));
    redisFree(c);
  }
  r = repo.Run("get-online --service svc --entity user_id=1");
  EXPECT_NE(r.err.find("warning: the Redis online store evicts keys under memory pressure "
                       "(maxmemory-policy allkeys-lru)"),
            std::string::npos)
      << r.err;
  ExpectOnlineEqualsDataset(repo, "2026-05-04T00:00:00");
  repo.Write("data/b.csv", Rows(rng, 600, 2, 3));  // partly late
  repo.Run("ingest tx");
  m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["full"], false);
  ExpectOnlineEqualsDataset(repo, "2026-05-06T00:00:00");
}

TEST(OnlineE2E, AnUnreachableRedisIsAClearError) {
  ScratchRepo repo;
  repo.Write("sluice.yaml",
             "project: t\nonline_store: {type: redis, url: 'redis://127.0.0.1:1'}\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(2);
  repo.Write("data/a.csv", Rows(rng, 10, 0, 1));
  repo.Run("apply");
  repo.Run("ingest tx");
  // Not the input's fault: exit 4 (unavailable), in --json too.
  const RunResult r = repo.Run("materialize", 4);
  EXPECT_NE(r.err.find("online store (redis at redis://127.0.0.1:1): cannot connect"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(repo.Json("materialize", 4)["error"]["exit_code"], 4);
  repo.Run("get-online --service svc --entity user_id=1", 4);
  // An unknown name is still bad input: exit 2.
  repo.Run("get-online --service nope --entity user_id=1", 2);
}

// A store that goes away under a running server: requests get 503 (not 400); an unknown
// service is still 404.
TEST(OnlineE2E, ServerAnswers503WhileItsRedisIsDown) {
  auto redis = std::make_unique<RedisServer>();
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\nbucket_count: 4\nonline_store: {type: redis, url: '" +
                                redis->url() + "'}\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(4);
  repo.Write("data/a.csv", Rows(rng, 100, 0, 1));
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("materialize");
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const std::string body = R"({"feature_service": "svc", "entities": {"user_id": [1, 2]}})";
  auto res = http.Post("/get-online-features", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  redis.reset();  // redis-server stops
  res = http.Post("/get-online-features", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find("online store (redis at"), std::string::npos) << res->body;
  res = http.Post("/get-online-features", R"({"feature_service": "nope", "entities": {}})",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
}

TEST(OnlineE2E, BadRequestsAreUsageErrors) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: t\n");
  repo.Write("defs.yaml", kDefs);
  std::mt19937_64 rng(1);
  repo.Write("data/a.csv", Rows(rng, 50, 0, 1));
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("materialize");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"get-online --service svx --entity user_id=1",
       "unknown feature service 'svx'; did you mean 'svc'?"},
      {"get-online --features w:nope --entity user_id=1", "unknown feature 'nope' of view 'w'"},
      {"get-online --features q:amount --entity user_id=1", "unknown feature view 'q'"},
      {"get-online --service svc --entity user=1", "--entity 'user=1' lacks join key 'user_id'"},
      {"get-online --service svc --entity user_id=abc", "--entity user_id: 'abc' is not a int64"},
      {"get-online --service svc --entity user_id=1 --at yesterday",
       "--at 'yesterday' is not a timestamp"},
      {"get-online --entity user_id=1", "give exactly one of --service or --features"},
      {"materialize --views nope", "unknown feature view 'nope'"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult r = repo.Run(args, 2);
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace sluice
