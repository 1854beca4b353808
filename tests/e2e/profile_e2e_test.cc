// `sluice profile` end to end (SPEC §7): a CSV file profiled in one pass (JSON and the human
// table), and a source profiled as of a snapshot from the profiles ingest stored per delivery,
// which cover exactly the committed rows (quarantined rows excluded).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

const nlohmann::json& Col(const nlohmann::json& profile, const std::string& name) {
  for (const auto& c : profile["columns"]) {
    if (c["name"] == name) return c;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no column " << name << " in " << profile.dump();
  return none;
}

nlohmann::json Top(std::initializer_list<std::pair<nlohmann::json, int>> items) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [v, n] : items) top.push_back({{"value", v}, {"count", n}});
  return top;
}

double Mean(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double Stddev(const std::vector<double>& xs) {
  const double mean = Mean(xs);
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

// Six rows; score has two nulls, name one (an empty CSV field is null).
constexpr const char* kCsv =
    "id,score,name,active,ts\n"
    "1,1.5,ann,true,2024-01-01T00:00:00\n"
    "2,,bob,false,2024-01-02T00:00:00\n"
    "3,2.5,ann,true,2024-01-03T00:00:00\n"
    "4,4.0,,true,2024-01-04T06:00:00\n"
    "5,,ann,false,2024-01-05T00:00:00\n"
    "6,-1.0,cy,true,2024-01-06T00:00:00\n";

TEST(ProfileE2E, CsvFileJsonIsExact) {
  ScratchRepo repo;
  repo.Write("data.csv", kCsv);
  const nlohmann::json p = repo.Json("profile data.csv");
  EXPECT_EQ(p["rows"], 6);
  ASSERT_EQ(p["columns"].size(), 5u) << p.dump(1);
  std::vector<std::string> names;
  for (const auto& c : p["columns"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"id", "score", "name", "active", "ts"}));

  const nlohmann::json& id = Col(p, "id");
  EXPECT_EQ(id["type"], "int64");
  EXPECT_EQ(id["count"], 6);
  EXPECT_EQ(id["nulls"], 0);
  EXPECT_EQ(id["distinct"], 6);
  EXPECT_EQ(id["min"].get<double>(), 1.0);
  EXPECT_EQ(id["max"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(id["mean"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(id["stddev"].get<double>(), Stddev({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(id["quantiles"]["p50"].get<double>(), 3.0);
  EXPECT_EQ(id["top"], Top({{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}}));
  EXPECT_EQ(id["top_exact"], true);

  const nlohmann::json& score = Col(p, "score");
  EXPECT_EQ(score["type"], "float64");
  EXPECT_EQ(score["count"], 6);
  EXPECT_EQ(score["nulls"], 2);
  EXPECT_DOUBLE_EQ(score["null_rate"].get<double>(), 2.0 / 6);
  EXPECT_EQ(score["distinct"], 4);
  EXPECT_EQ(score["min"].get<double>(), -1.0);
  EXPECT_EQ(score["max"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(score["mean"].get<double>(), 1.75);
  EXPECT_DOUBLE_EQ(score["stddev"].get<double>(), Stddev({1.5, 2.5, 4.0, -1.0}));
  // Sorted -1 1.5 2.5 4: the least value whose cumulative count reaches q * 4.
  EXPECT_EQ(score["quantiles"], (nlohmann::json{{"p01", -1.0}, {"p05", -1.0}, {"p25", -1.0},
                                               {"p50", 1.5}, {"p75", 2.5}, {"p95", 4.0},
                                               {"p99", 4.0}}));
  EXPECT_FALSE(score.contains("top"));

  const nlohmann::json& name = Col(p, "name");
  EXPECT_EQ(name["type"], "string");
  EXPECT_EQ(name["nulls"], 1);
  EXPECT_EQ(name["distinct"], 3);
  EXPECT_EQ(name["top"], Top({{"ann", 3}, {"bob", 1}, {"cy", 1}}));
  EXPECT_EQ(name["top_exact"], true);
  EXPECT_FALSE(name.contains("mean"));

  const nlohmann::json& active = Col(p, "active");
  EXPECT_EQ(active["type"], "bool");
  EXPECT_EQ(active["nulls"], 0);
  EXPECT_EQ(active["distinct"], 2);
  EXPECT_DOUBLE_EQ(active["mean"].get<double>(), 4.0 / 6);
  EXPECT_EQ(active["top"], Top({{true, 4}, {false, 2}}));

  const nlohmann::json& ts = Col(p, "ts");
  EXPECT_EQ(ts["type"], "timestamp");
  EXPECT_EQ(ts["min"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(ts["max"], "2024-01-06T00:00:00Z");
  EXPECT_EQ(ts["quantiles"]["p50"], "2024-01-03T00:00:00Z");
  EXPECT_EQ(ts["quantiles"]["p75"], "2024-01-05T00:00:00Z");
  EXPECT_FALSE(ts.contains("mean"));
  EXPECT_FALSE(ts.contains("stddev"));

  // --top limits the top values.
  const nlohmann::json top1 = repo.Json("profile data.csv --top 1");
  EXPECT_EQ(Col(top1, "name")["top"], Top({{"ann", 3}}));
  EXPECT_EQ(Col(top1, "active")["top"], Top({{true, 4}}));
}

TEST(ProfileE2E, CsvFileHumanTable) {
  ScratchRepo repo;
  repo.Write("data.csv", kCsv);
  const RunResult r = repo.Run("profile data.csv");
  EXPECT_EQ(r.out.rfind("6 rows\n", 0), 0u) << r.out;
  for (const char* text : {"COLUMN", "TYPE", "NULLS", "DISTINCT", "MIN", "MEDIAN", "MAX", "MEAN",
                           "STDDEV", "TOP", "id", "score", "name", "active", "ts", "ann (3)",
                           "true (4)", "2024-01-01T00:00:00Z", "float64", "timestamp"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << " in\n" << r.out;
  }
}

// A file source with a suite quarantining amounts outside [0, 1000] and unknown categories.
constexpr const char* kDefs = R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - name: tx
    type: file
    path: data/*.csv
    timestamp_field: ts
    schema: {txn_id: int64, user_id: int64, ts: timestamp, amount: float64, category: string}
feature_views:
  - name: spend
    entities: [user]
    source: tx
    features:
      - {name: last_amount, expr: amount}
)yaml";

constexpr const char* kSuite = R"yaml(checks:
  - name: gate
    source: tx
    rules:
      - {rule: range, column: amount, min: 0, max: 1000, severity: quarantine}
      - {rule: accepted_values, column: category, values: [food, travel, fuel], severity: quarantine}
)yaml";

// Delivery 1: txn 2 (amount -5) and 4 (toys) are quarantined; txn 3's null amount is kept.
constexpr const char* kFirst =
    "txn_id,user_id,ts,amount,category\n"
    "1,1,2026-03-01T00:00:00,10.0,food\n"
    "2,1,2026-03-01T01:00:00,-5.0,food\n"
    "3,2,2026-03-01T02:00:00,,travel\n"
    "4,2,2026-03-01T03:00:00,30.0,toys\n"
    "5,3,2026-03-01T04:00:00,20.0,food\n";

// Delivery 2: txn 7 (amount 5000) and 11 (games) are quarantined; txn 9's null amount is kept.
constexpr const char* kSecond =
    "txn_id,user_id,ts,amount,category\n"
    "6,3,2026-03-02T00:00:00,40.0,fuel\n"
    "7,4,2026-03-02T01:00:00,5000.0,food\n"
    "8,4,2026-03-02T02:00:00,60.0,food\n"
    "9,5,2026-03-02T03:00:00,,fuel\n"
    "10,5,2026-03-02T04:00:00,70.0,travel\n"
    "11,6,2026-03-02T05:00:00,1.0,games\n";

TEST(ProfileE2E, SourceProfileCoversTheCommittedRowsOfEachSnapshot) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: p\nbucket_count: 2\n");
  repo.Write("defs.yaml", kDefs);
  repo.Write("checks.yaml", kSuite);
  repo.Write("data/a.csv", kFirst);
  repo.Run("apply");

  // No snapshot yet.
  const RunResult none = repo.Run("profile tx", 2);
  EXPECT_NE(none.err.find("source 'tx' has no snapshot yet"), std::string::npos) << none.err;

  const nlohmann::json in1 = repo.Json("ingest tx");
  EXPECT_EQ(in1["rows_read"], 5);
  EXPECT_EQ(in1["rows_quarantined"], 2);
  EXPECT_EQ(in1["rows_committed"], 3);
  repo.Write("data/b.csv", kSecond);
  const nlohmann::json in2 = repo.Json("ingest tx");
  EXPECT_EQ(in2["snapshot"], 2);
  EXPECT_EQ(in2["rows_read"], 6);
  EXPECT_EQ(in2["rows_quarantined"], 2);
  EXPECT_EQ(in2["rows_committed"], 4);

  // Both deliveries: the committed rows are txn 1 3 5 6 8 9 10.
  const nlohmann::json p = repo.Json("profile tx");
  EXPECT_EQ(p["rows"], 7);
  ASSERT_EQ(p["columns"].size(), 5u) << p.dump(1);

  const nlohmann::json& txn = Col(p, "txn_id");
  EXPECT_EQ(txn["count"], 7);
  EXPECT_EQ(txn["nulls"], 0);
  EXPECT_EQ(txn["distinct"], 7);
  EXPECT_EQ(txn["min"].get<double>(), 1.0);
  EXPECT_EQ(txn["max"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(txn["mean"].get<double>(), 6.0);
  EXPECT_NEAR(txn["stddev"].get<double>(), Stddev({1, 3, 5, 6, 8, 9, 10}), 1e-12);
  EXPECT_EQ(txn["top"], Top({{1, 1}, {10, 1}, {3, 1}, {5, 1}, {6, 1}, {8, 1},
                             {9, 1}}));
  EXPECT_EQ(txn["top_exact"], true);

  const nlohmann::json& user = Col(p, "user_id");
  EXPECT_EQ(user["distinct"], 5);
  EXPECT_EQ(user["top"], Top({{3, 2}, {5, 2}, {1, 1}, {2, 1}, {4, 1}}));
  EXPECT_EQ(user["max"].get<double>(), 5.0);

  const nlohmann::json& amount = Col(p, "amount");
  EXPECT_EQ(amount["type"], "float64");
  EXPECT_EQ(amount["count"], 7);
  EXPECT_EQ(amount["nulls"], 2);
  EXPECT_DOUBLE_EQ(amount["null_rate"].get<double>(), 2.0 / 7);
  EXPECT_EQ(amount["distinct"], 5);
  EXPECT_EQ(amount["min"].get<double>(), 10.0);  // -5 was quarantined
  EXPECT_EQ(amount["max"].get<double>(), 70.0);  // 5000 was quarantined
  EXPECT_NEAR(amount["mean"].get<double>(), 40.0, 1e-12);
  EXPECT_NEAR(amount["stddev"].get<double>(), Stddev({10, 20, 40, 60, 70}), 1e-9);
  EXPECT_EQ(amount["quantiles"]["p50"].get<double>(), 40.0);

  const nlohmann::json& category = Col(p, "category");
  EXPECT_EQ(category["nulls"], 0);
  EXPECT_EQ(category["distinct"], 3);  // neither toys nor games
  EXPECT_EQ(category["top"], Top({{"food", 3}, {"fuel", 2}, {"travel", 2}}));
  EXPECT_EQ(category["top_exact"], true);

  const nlohmann::json& ts = Col(p, "ts");
  EXPECT_EQ(ts["count"], 7);
  EXPECT_EQ(ts["min"], "2026-03-01T00:00:00Z");
  EXPECT_EQ(ts["max"], "2026-03-02T04:00:00Z");  // txn 11 (05:00) was quarantined

  // The newest snapshot is the default: --snapshot 2 is the same profile.
  EXPECT_EQ(repo.Json("profile tx --snapshot 2"), p);

  // Snapshot 1: the first delivery only (txn 1 3 5).
  const nlohmann::json p1 = repo.Json("profile tx --snapshot 1");
  EXPECT_EQ(p1["rows"], 3);
  const nlohmann::json& txn1 = Col(p1, "txn_id");
  EXPECT_EQ(txn1["count"], 3);
  EXPECT_EQ(txn1["min"].get<double>(), 1.0);
  EXPECT_EQ(txn1["max"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(txn1["mean"].get<double>(), 3.0);
  EXPECT_EQ(txn1["top"], Top({{1, 1}, {3, 1}, {5, 1}}));
  const nlohmann::json& amount1 = Col(p1, "amount");
  EXPECT_EQ(amount1["count"], 3);
  EXPECT_EQ(amount1["nulls"], 1);
  EXPECT_EQ(amount1["min"].get<double>(), 10.0);
  EXPECT_EQ(amount1["max"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(amount1["mean"].get<double>(), 15.0);
  EXPECT_DOUBLE_EQ(amount1["stddev"].get<double>(), Stddev({10, 20}));
  EXPECT_EQ(Col(p1, "category")["top"], Top({{"food", 2}, {"travel", 1}}));
  EXPECT_EQ(Col(p1, "ts")["max"], "2026-03-01T04:00:00Z");

  // The stored profile equals a one-pass profile of exactly the committed rows.
  repo.Write("committed.csv",
             "txn_id,user_id,ts,amount,category\n"
             "1,1,2026-03-01T00:00:00,10.0,food\n"
             "3,2,2026-03-01T02:00:00,,travel\n"
             "5,3,2026-03-01T04:00:00,20.0,food\n"
             "6,3,2026-03-02T00:00:00,40.0,fuel\n"
             "8,4,2026-03-02T02:00:00,60.0,food\n"
             "9,5,2026-03-02T03:00:00,,fuel\n"
             "10,5,2026-03-02T04:00:00,70.0,travel\n");
  const nlohmann::json direct = repo.Json("profile committed.csv");
  ASSERT_EQ(direct["columns"].size(), p["columns"].size());
  for (size_t c = 0; c < p["columns"].size(); ++c) {
    nlohmann::json a = p["columns"][c], b = direct["columns"][c];
    ASSERT_EQ(a.contains("mean"), b.contains("mean")) << a["name"];
    if (a.contains("mean")) {
      EXPECT_NEAR(a["mean"].get<double>(), b["mean"].get<double>(), 1e-9) << a["name"];
      EXPECT_NEAR(a["stddev"].get<double>(), b["stddev"].get<double>(), 1e-9) << a["name"];
    }
    for (nlohmann::json* j : {&a, &b}) {
      j->erase("mean");
      j->erase("stddev");
    }
    EXPECT_EQ(a, b);
  }

  // The human table of a source.
  const RunResult human = repo.Run("profile tx --snapshot 1");
  EXPECT_EQ(human.out.rfind("3 rows\n", 0), 0u) << human.out;
  EXPECT_NE(human.out.find("DISTINCT"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("food (2)"), std::string::npos) << human.out;

  // An unknown target, and a snapshot that does not exist.
  const RunResult unknown = repo.Run("profile nosuch", 2);
  EXPECT_NE(unknown.err.find("'nosuch'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("neither a file nor a source"), std::string::npos) << unknown.err;
  const nlohmann::json unknown_json = repo.Json("profile nosuch.csv", 2);
  EXPECT_NE(unknown_json["error"]["message"].get<std::string>().find("'nosuch.csv'"),
            std::string::npos)
      << unknown_json.dump();
  EXPECT_EQ(unknown_json["error"]["exit_code"], 2);
  const RunResult missing = repo.Run("profile tx --snapshot 3", 2);
  EXPECT_NE(missing.err.find("tx"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace sluice
