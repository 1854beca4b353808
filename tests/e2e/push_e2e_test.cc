// POST /push end to end: pushed rows reach the online records (the same engine as materialize)
// and the offline log, durably before the 200; online values then equal training's
// (consistency-check); bad pushes get 4xx; `sluice materialize` runs through the server that
// holds the store.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "common/time.h"
#include "e2e/e2e_util.h"

namespace sluice {
namespace {

using nlohmann::json;

constexpr const char* kDefs = R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - name: clicks
    type: push
    timestamp_field: ts
    schema: {user_id: int64, ts: timestamp, amount: float64, page: string}
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: c
    entities: [user]
    source: clicks
    features:
      - {name: amount, expr: amount}
      - {name: page, expr: page}
      - {name: n_1d, aggregate: count, window: 1d, hop: 1h}
      - {name: sum_2d, aggregate: sum, expr: amount, window: 2d, hop: 1h}
      - {name: max_12h, aggregate: max, expr: amount, window: 12h, hop: 0}
      - {name: mean_1d, aggregate: mean, expr: amount, window: 1d, hop: 1h}
      - {name: last_page_1d, aggregate: last, expr: page, window: 1d, hop: 1h}
  - name: v
    entities: [user]
    source: tx
    features:
      - {name: tx_amount, expr: amount}
feature_services:
  - {name: svc, features: [c]}
)yaml";

void MakeRepo(const ScratchRepo& repo, const std::string& extra_config = "") {
  repo.Write("sluice.yaml", "project: p\n" + extra_config);
  repo.Write("defs.yaml", kDefs);
  repo.Write("data/a.csv", "user_id,ts,amount\n1,2026-01-01T00:00:00,1.5\n");
  repo.Run("apply");
}

std::string Ts(Micros t) { return FormatTimestamp(t); }

struct Row {
  int64_t user;
  Micros ts;
  double amount;
  std::string page;
};

json Df(const std::vector<Row>& rows) {
  json df = {{"user_id", json::array()}, {"ts", json::array()}, {"amount", json::array()},
             {"page", json::array()}};
  for (const Row& r : rows) {
    df["user_id"].push_back(r.user);
    df["ts"].push_back(Ts(r.ts));
    df["amount"].push_back(r.amount);
    df["page"].push_back(r.page);
  }
  return df;
}

json Push(httplib::Client& http, const std::vector<Row>& rows, const std::string& to,
          int status = 200) {
  const json body = {{"push_source_name", "clicks"}, {"df", Df(rows)}, {"to", to}};
  auto res = http.Post("/push", body.dump(), "application/json");
  if (!res) {
    ADD_FAILURE() << "no answer to /push";
    return json();
  }
  EXPECT_EQ(res->status, status) << res->body;
  return json::parse(res->body);
}

// One user's online features, by name.
json Features(httplib::Client& http, int64_t user) {
  const json body = {{"feature_service", "svc"}, {"entities", {{"user_id", {user}}}}};
  auto res = http.Post("/get-online-features", body.dump(), "application/json");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "get-online-features failed: " << (res ? res->body : "no answer");
    return json();
  }
  const json got = json::parse(res->body);
  json out;
  for (size_t i = 0; i < got["metadata"]["feature_names"].size(); ++i) {
    out[got["metadata"]["feature_names"][i].get<std::string>()] = {
        {"value", got["results"][i]["values"][0]}, {"status", got["results"][i]["statuses"][0]}};
  }
  return out;
}

TEST(PushE2E, RandomPushesMatchTrainingAndSurviveAKill) {
  ScratchRepo repo;
  MakeRepo(repo);
  auto server = std::make_unique<SluiceServer>(repo.root());
  httplib::Client http("127.0.0.1", server->port());
  // 300 rows of 10 users over the last two days, pushed in 6 requests in random order: most
  // keys get rows older than their newest stored one (late data).
  std::mt19937_64 rng(42);
  const Micros now = NowMicros();
  std::vector<Row> rows;
  const std::vector<std::string> pages = {"home", "cart", "pay"};
  for (int i = 0; i < 300; ++i) {
    rows.push_back({static_cast<int64_t>(rng() % 10),
                    now - static_cast<Micros>(3600 + rng() % (2 * 86400)) * kMicrosPerSecond,
                    static_cast<double>(rng() % 100000) / 100.0, pages[rng() % 3]});
  }
  int64_t snapshot = 0;
  for (size_t start = 0; start < rows.size(); start += 50) {
    const std::vector<Row> part(rows.begin() + start, rows.begin() + start + 50);
    const json r = Push(http, part, "online_and_offline");
    EXPECT_EQ(r["rows"], 50);
    EXPECT_GT(r["snapshot"].get<int64_t>(), snapshot);
    snapshot = r["snapshot"];
  }
  // The newest row of user 3, by hand.
  const Row* newest = nullptr;
  for (const Row& r : rows) {
    if (r.user != 3) continue;
    if (!newest || r.ts > newest->ts) newest = &r;
  }
  ASSERT_NE(newest, nullptr);
  json f = Features(http, 3);
  EXPECT_EQ(f["amount"]["value"], newest->amount);
  EXPECT_EQ(f["page"]["value"], newest->page);
  EXPECT_EQ(f["amount"]["status"], "PRESENT");

  // Every pushed row is in the offline log, and online equals the offline engine.
  json c = repo.Json("consistency-check --service svc");
  EXPECT_EQ(c["entities"], 10);
  EXPECT_EQ(c["mismatches"], 0) << c.dump();
  // The pushes kept the view's materialize progress current: nothing to read again.
  json m = repo.Json("materialize --views c");
  EXPECT_EQ(m["views"][0]["rows_read"], 0) << m.dump();
  EXPECT_EQ(m["views"][0]["to_snapshot"], snapshot);
  EXPECT_NE(m["store"].get<std::string>().find("through sluice serve"), std::string::npos);

  // Acknowledged means durable: a push, then SIGKILL; both stores have the row.
  const Row last{3, now - 60 * kMicrosPerSecond, 4242.5, "last"};
  Push(http, {last}, "online_and_offline");
  server->Kill();
  const json online = repo.Json("get-online --service svc --entity user_id=3");
  EXPECT_EQ(online["results"][1]["values"][0], 4242.5) << online.dump();
  c = repo.Json("consistency-check --service svc");
  EXPECT_EQ(c["mismatches"], 0) << c.dump();
  // The next server starts from the same store.
  server = std::make_unique<SluiceServer>(repo.root());
  httplib::Client again("127.0.0.1", server->port());
  EXPECT_EQ(Features(again, 3)["page"]["value"], "last");
}

TEST(PushE2E, OnlineOnlyAndOfflineOnlyPushes) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const Micros now = NowMicros();
  // Online only: served at once; no offline snapshot.
  json r = Push(http, {{7, now - 7200 * kMicrosPerSecond, 10.0, "a"}}, "online");
  EXPECT_EQ(r["rows"], 1);
  EXPECT_FALSE(r.contains("snapshot"));
  EXPECT_EQ(r["late_rows_dropped"], 0);
  json f = Features(http, 7);
  EXPECT_EQ(f["amount"]["value"], 10.0);
  EXPECT_EQ(f["n_1d"]["value"], 1);
  EXPECT_EQ(f["sum_2d"]["value"], 10.0);
  // A newer row appends; an older one cannot be placed without the log: dropped, counted.
  Push(http, {{7, now - 3600 * kMicrosPerSecond, 5.0, "b"}}, "online");
  r = Push(http, {{7, now - 9000 * kMicrosPerSecond, 99.0, "c"}}, "online");
  EXPECT_EQ(r["late_rows_dropped"], 1);
  f = Features(http, 7);
  EXPECT_EQ(f["amount"]["value"], 5.0);
  EXPECT_EQ(f["page"]["value"], "b");
  EXPECT_EQ(f["n_1d"]["value"], 2);
  EXPECT_EQ(f["sum_2d"]["value"], 15.0);
  EXPECT_EQ(f["max_12h"]["value"], 10.0);
  EXPECT_EQ(f["mean_1d"]["value"], 7.5);
  repo.Run("consistency-check --service svc", 2);  // no offline snapshot of clicks yet

  // Offline only: the log gets the row, the online store does not.
  r = Push(http, {{7, now - 10000 * kMicrosPerSecond, 1.0, "d"}}, "offline");
  EXPECT_EQ(r["snapshot"], 1);
  EXPECT_EQ(Features(http, 7)["amount"]["value"], 5.0);
  // materialize (through the server) rebuilds user 7 from the log, which holds one row: the
  // online-only rows were never training data.
  json m = repo.Json("materialize");
  EXPECT_EQ(m["views"][0]["view"], "c");
  EXPECT_EQ(m["views"][0]["to_snapshot"], 1);
  f = Features(http, 7);
  EXPECT_EQ(f["amount"]["value"], 1.0);
  EXPECT_EQ(f["n_1d"]["value"], 1);
  EXPECT_EQ(repo.Json("consistency-check --service svc")["mismatches"], 0);

  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("sluice_push_rows_total 4\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("sluice_push_late_rows_dropped_total 1\n"), std::string::npos);
  EXPECT_NE(res->body.find(R"(sluice_http_requests_total{path="/push",status="200"} 4)"),
            std::string::npos);
}

TEST(PushE2E, ConcurrentPushesAreBatchedAndNoneIsLost) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  const Micros now = NowMicros();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client http("127.0.0.1", server.port());
      for (int i = 0; i < 15; ++i) {
        const Row row{t, now - static_cast<Micros>(7200 - i * 60 - t) * kMicrosPerSecond,
                      t * 100.0 + i, "p"};
        const json body = {{"push_source_name", "clicks"},
                           {"df", Df({row, row})},
                           {"to", "online_and_offline"}};
        auto res = http.Post("/push", body.dump(), "application/json");
        if (res && res->status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 8 * 15);
  const std::vector<std::string> n =
      repo.Query("SELECT count(*) FROM read_parquet('" +
                 (repo.root() / ".sluice/offline/clicks/segments/*.parquet").string() + "')");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0], std::to_string(8 * 15 * 2));
  json c = repo.Json("consistency-check --service svc");
  EXPECT_EQ(c["entities"], 8);
  EXPECT_EQ(c["mismatches"], 0) << c.dump();
  httplib::Client http("127.0.0.1", server.port());
  for (int t = 0; t < 8; ++t) {
    const json f = Features(http, t);
    EXPECT_EQ(f["amount"]["value"], t * 100.0 + 14) << t;
    EXPECT_EQ(f["n_1d"]["value"], 30) << t;
  }
}

TEST(PushE2E, BadPushesGet4xxAndChangeNothing) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const std::string ts = Ts(NowMicros() - 3600 * kMicrosPerSecond);
  const std::string df = R"({"user_id": [1], "ts": [")" + ts +
                         R"("], "amount": [2.5], "page": ["x"]})";
  struct Case {
    std::string body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{bad", 400, "malformed JSON"},
      {R"({"push_source_name": "clickz", "df": )" + df + "}", 404,
       "unknown push source 'clickz'; did you mean 'clicks'?"},
      {R"({"push_source_name": "tx", "df": )" + df + "}", 400,
       "source 'tx' is a file source, not a push source"},
      {R"({"push_source_name": "clicks", "df": )" + df + R"(, "to": "both"})", 400,
       "\"to\" must be \"online\", \"offline\" or \"online_and_offline\""},
      {R"({"push_source_name": "clicks", "df": {"user_id": [1]}})", 400,
       "df: missing column 'ts' (timestamp)"},
      {R"({"push_source_name": "clicks", "df": {"user_id": [1], "ts": [")" + ts +
           R"("], "amount": [2.5], "page": ["x"], "extra": [1]}})",
       400, "df: unknown column 'extra' (push source 'clicks' has: user_id, ts, amount, page)"},
      {R"({"push_source_name": "clicks", "df": {"user_id": ["1"], "ts": [")" + ts +
           R"("], "amount": [2.5], "page": ["x"]}})",
       400, "df column 'user_id' must hold int64 values; value 0 is \"1\""},
      {R"({"push_source_name": "clicks", "df": {"user_id": [1, 2], "ts": [")" + ts +
           R"("], "amount": [2.5], "page": ["x"]}})",
       400, "df column 'ts' has 1 values, others have 2"},
      {R"({"push_source_name": "clicks", "df": {"user_id": [1], "ts": [null], "amount": [2.5], "page": ["x"]}})",
       400, "df: row 0 has a null timestamp 'ts'"},
      {R"({"push_source_name": "clicks", "df": {"user_id": [null], "ts": [")" + ts +
           R"("], "amount": [2.5], "page": ["x"]}})",
       400, "df: row 0 has a null join key 'user_id'"},
      {R"({"push_source_name": "clicks", "df": {"user_id": [], "ts": [], "amount": [], "page": []}})",
       400, "df has no rows"},
      {R"({"push_source_name": "clicks", "rows": []})", 400, "unknown field \"rows\""},
  };
  for (const Case& c : cases) {
    auto res = http.Post("/push", c.body, "application/json");
    ASSERT_TRUE(res) << c.body;
    EXPECT_EQ(res->status, c.status) << c.body << " → " << res->body;
    const std::string message = json::parse(res->body)["error"]["message"];
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
  auto res = http.Get("/push");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  // Nothing was written anywhere; a good push still works.
  EXPECT_FALSE(std::filesystem::exists(repo.root() / ".sluice/offline/clicks/snapshots"));
  res = http.Post("/push", R"({"push_source_name": "clicks", "df": )" + df + "}",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Features(http, 1)["amount"]["value"], 2.5);
  // The CLI refuses to ingest a push source.
  const RunResult r = repo.Run("ingest clicks", 2);
  EXPECT_NE(r.err.find("source 'clicks' is a push source: its rows arrive through POST /push"),
            std::string::npos)
      << r.err;
}

TEST(PushE2E, RedisStore) {
  RedisServer redis;
  ScratchRepo repo;
  MakeRepo(repo, "online_store: {type: redis, url: '" + redis.url() + "'}\n");
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const Micros now = NowMicros();
  Push(http, {{4, now - 7200 * kMicrosPerSecond, 3.0, "a"}, {4, now - 3600 * kMicrosPerSecond, 4.0, "b"}},
       "online_and_offline");
  const json f = Features(http, 4);
  EXPECT_EQ(f["amount"]["value"], 4.0);
  EXPECT_EQ(f["sum_2d"]["value"], 7.0);
  EXPECT_EQ(repo.Json("consistency-check --service svc")["mismatches"], 0);
  // Redis has many writers: materialize runs in its own process.
  const json m = repo.Json("materialize --views c");
  EXPECT_EQ(m["store"].get<std::string>().find("through"), std::string::npos);
  EXPECT_EQ(m["views"][0]["rows_read"], 0);
}

}  // namespace
}  // namespace sluice
