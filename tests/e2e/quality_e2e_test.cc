// Check suites end to end through the sluice binary (SPEC §7): every rule's observed value on
// hand-built data, fail rejecting a delivery, quarantine keeping good rows and setting bad ones
// aside, the quarantine round trip (good + quarantined = input; fixed rows re-ingested), and
// definition errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/time.h"
#include "e2e/e2e_util.h"

namespace sluice {
namespace {

// Ten transactions. Row 3: amount -5 and a bad email; row 4: category 'toys'; row 6 repeats
// txn_id 5; row 7: null amount; row 8: amount 20000; row 9: null email.
constexpr const char* kRows =
    "txn_id,user_id,ts,amount,category,email\n"
    "1,1,2026-03-01T00:00:00,10.0,food,a@x.com\n"
    "2,1,2026-03-01T01:00:00,20.0,travel,b@x.com\n"
    "3,2,2026-03-01T02:00:00,-5.0,food,bad-email\n"
    "4,2,2026-03-01T03:00:00,30.0,toys,c@x.com\n"
    "5,3,2026-03-01T04:00:00,40.0,games,d@x.com\n"
    "5,3,2026-03-01T05:00:00,50.0,fuel,e@x.com\n"
    "7,4,2026-03-01T06:00:00,,food,f@x.com\n"
    "8,4,2026-03-01T07:00:00,20000.0,food,g@x.com\n"
    "9,5,2026-03-01T08:00:00,60.0,fuel,\n"
    "10,5,2026-03-01T09:00:00,70.0,travel,h@x.com\n";

constexpr const char* kSource = R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - name: tx
    type: file
    path: data/*.csv
    timestamp_field: ts
    schema: {txn_id: int64, user_id: int64, ts: timestamp, amount: float64, category: string, email: string}
feature_views:
  - name: spend
    entities: [user]
    source: tx
    features:
      - {name: last_amount, expr: amount}
)yaml";

constexpr const char* kMeasureSuite = R"yaml(checks:
  - name: gate
    source: tx
    rules:
      - {rule: schema, columns: {txn_id: int64, amount: float64, email: string}}
      - {rule: not_null, column: user_id}
      - {rule: range, column: amount, min: 0, max: 10000, severity: warn}
      - {rule: accepted_values, column: category, values: [food, travel, games, fuel], mostly: 0.8}
      - {rule: regex, column: email, pattern: "^[^@]+@[^@]+$", severity: warn}
      - {rule: unique, columns: [txn_id], severity: warn}
      - {rule: row_count, min: 5}
      - {rule: null_rate, column: amount, max: 0.05, severity: warn}
      - {rule: mean, column: amount, min: 0, max: 100}
      - {rule: stddev, column: amount, max: 100000}
      - {rule: quantile, column: amount, q: 0.5, max: 100}
      - {rule: freshness, warn_after: 1h, error_after: 3650d}
)yaml";

const nlohmann::json& Find(const nlohmann::json& checks, const std::string& rule) {
  for (const auto& c : checks) {
    if (c["rule"] == rule) return c;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no result for " << rule;
  return none;
}

void MakeRepo(const ScratchRepo& repo, const std::string& suite) {
  repo.Write("sluice.yaml", "project: q\nbucket_count: 2\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("checks.yaml", suite);
  repo.Write("data/a.csv", kRows);
  repo.Run("apply");
}

TEST(QualityE2E, EveryRuleReportsItsObservedValue) {
  ScratchRepo repo;
  MakeRepo(repo, kMeasureSuite);
  const Micros before = NowMicros();
  const nlohmann::json v = repo.Json("validate tx", 1);
  const Micros after = NowMicros();
  EXPECT_EQ(v["failed"], true);
  EXPECT_EQ(v["rows_read"], 10);
  const nlohmann::json& checks = v["checks"];
  ASSERT_EQ(checks.size(), 12u) << checks.dump(2);
  for (const auto& c : checks) EXPECT_EQ(c["delivery"], "data/a.csv");

  const auto& schema = Find(checks, "schema");
  EXPECT_EQ(schema["status"], "pass") << schema.dump();

  const auto& not_null = Find(checks, "not_null");
  EXPECT_EQ(not_null["status"], "pass");
  EXPECT_EQ(not_null["element_count"], 10);
  EXPECT_EQ(not_null["unexpected_count"], 0);
  EXPECT_EQ(not_null["observed"], 1.0);

  // 9 non-null amounts, two outside [0, 10000]: rows 3 and 8.
  const auto& range = Find(checks, "range");
  EXPECT_EQ(range["status"], "warn");
  EXPECT_EQ(range["element_count"], 9);
  EXPECT_EQ(range["unexpected_count"], 2);
  EXPECT_DOUBLE_EQ(range["observed"].get<double>(), 7.0 / 9.0);
  EXPECT_DOUBLE_EQ(range["unexpected_percent"].get<double>(), 200.0 / 9.0);
  ASSERT_EQ(range["examples"].size(), 2u);
  EXPECT_EQ(range["examples"][0], (nlohmann::json{{"row", 3}, {"value", -5.0}}));
  EXPECT_EQ(range["examples"][1], (nlohmann::json{{"row", 8}, {"value", 20000.0}}));

  // 'toys' is not accepted: 9 of 10 pass, mostly 0.8 holds.
  const auto& accepted = Find(checks, "accepted_values");
  EXPECT_EQ(accepted["status"], "pass");
  EXPECT_EQ(accepted["unexpected_count"], 1);
  EXPECT_DOUBLE_EQ(accepted["observed"].get<double>(), 0.9);
  EXPECT_EQ(accepted["examples"][0], (nlohmann::json{{"row", 4}, {"value", "toys"}}));

  const auto& regex = Find(checks, "regex");
  EXPECT_EQ(regex["status"], "warn");
  EXPECT_EQ(regex["element_count"], 9);  // row 9's email is null: not judged
  EXPECT_EQ(regex["unexpected_count"], 1);
  EXPECT_EQ(regex["examples"][0], (nlohmann::json{{"row", 3}, {"value", "bad-email"}}));

  const auto& unique = Find(checks, "unique");
  EXPECT_EQ(unique["status"], "warn");
  EXPECT_EQ(unique["unexpected_count"], 1);
  EXPECT_EQ(unique["examples"][0], (nlohmann::json{{"row", 6}, {"value", 5}}));

  const auto& row_count = Find(checks, "row_count");
  EXPECT_EQ(row_count["status"], "pass");
  EXPECT_EQ(row_count["observed"], 10.0);

  const auto& null_rate = Find(checks, "null_rate");
  EXPECT_EQ(null_rate["status"], "warn");
  EXPECT_DOUBLE_EQ(null_rate["observed"].get<double>(), 0.1);

  // The nine amounts, computed here.
  const std::vector<double> amounts = {10, 20, -5, 30, 40, 50, 20000, 60, 70};
  double sum = 0;
  for (double a : amounts) sum += a;
  const double mean = sum / 9;
  double ss = 0;
  for (double a : amounts) ss += (a - mean) * (a - mean);
  const auto& mean_result = Find(checks, "mean");
  EXPECT_EQ(mean_result["status"], "fail");
  EXPECT_NEAR(mean_result["observed"].get<double>(), mean, 1e-9);
  const auto& stddev = Find(checks, "stddev");
  EXPECT_EQ(stddev["status"], "pass");
  EXPECT_NEAR(stddev["observed"].get<double>(), std::sqrt(ss / 8), 1e-6);
  const auto& median = Find(checks, "quantile");
  EXPECT_EQ(median["status"], "pass");
  EXPECT_EQ(median["observed"], 40.0);  // sorted: -5 10 20 30 [40] 50 60 70 20000

  // Newest ts 2026-03-01T09:00:00: older than 1h (warn), younger than 3650d.
  const auto& fresh = Find(checks, "freshness");
  EXPECT_EQ(fresh["status"], "warn");
  EXPECT_EQ(fresh["severity"], "warn");
  const double newest_s = static_cast<double>(*ParseTimestamp("2026-03-01T09:00:00")) / 1e6;
  EXPECT_GE(fresh["observed"].get<double>(), static_cast<double>(before) / 1e6 - newest_s - 1);
  EXPECT_LE(fresh["observed"].get<double>(), static_cast<double>(after) / 1e6 - newest_s + 1);

  // Ingest rejects the delivery (the fail rule `mean`), commits nothing, exits 1.
  const nlohmann::json in = repo.Json("ingest tx", 1);
  EXPECT_EQ(in["rejected"], true);
  EXPECT_EQ(in["rows_committed"], 0);
  EXPECT_EQ(in["snapshot"], 0);
  EXPECT_EQ(in["checks"].size(), 12u);
  EXPECT_TRUE(repo.Json("snapshots tx").empty());
  const RunResult human = repo.Run("ingest tx", 1);
  EXPECT_NE(human.out.find("FAIL"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("rejected by its checks: nothing was committed"), std::string::npos)
      << human.out;
}

constexpr const char* kQuarantineSuite = R"yaml(checks:
  - name: gate
    source: tx
    rules:
      - {rule: range, column: amount, min: 0, max: 10000, severity: quarantine}
      - {rule: regex, column: email, pattern: "^[^@]+@[^@]+$", severity: quarantine}
      - {rule: unique, columns: [txn_id], severity: quarantine}
      - {rule: accepted_values, column: category, values: [food, travel, games, fuel, toys]}
)yaml";

TEST(QualityE2E, QuarantineCommitsGoodRowsAndKeepsEveryRow) {
  ScratchRepo repo;
  MakeRepo(repo, kQuarantineSuite);
  // validate counts what ingest would quarantine, and writes nothing.
  const nlohmann::json v = repo.Json("validate tx");
  EXPECT_EQ(v["rows_read"], 10);
  EXPECT_EQ(v["rows_quarantined"], 3);
  EXPECT_TRUE(repo.Json("snapshots tx").empty());
  const nlohmann::json in = repo.Json("ingest tx");
  EXPECT_EQ(in["rejected"], false);
  EXPECT_EQ(in["rows_read"], 10);
  EXPECT_EQ(in["rows_quarantined"], 3);  // rows 3 (range, regex), 6 (unique), 8 (range)
  EXPECT_EQ(in["rows_committed"], 7);
  const auto& range = Find(in["checks"], "range");
  EXPECT_EQ(range["status"], "warn");
  EXPECT_EQ(range["quarantined"], 2);
  EXPECT_EQ(Find(in["checks"], "unique")["quarantined"], 1);
  EXPECT_EQ(Find(in["checks"], "accepted_values")["status"], "pass");
  EXPECT_EQ(repo.Json("snapshots tx")[0]["rows"], 7);

  const nlohmann::json list = repo.Json("quarantine list");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["paths"], (nlohmann::json{"quarantine/00000001-0000-0000.parquet"}));
  EXPECT_EQ(list[0]["source"], "tx");
  EXPECT_EQ(list[0]["snapshot"], 1);
  EXPECT_EQ(list[0]["rows"], 10);
  EXPECT_EQ(list[0]["quarantined"], 3);

  const nlohmann::json shown = repo.Json("quarantine show tx");
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0]["_row"], 3);
  EXPECT_EQ(shown[0]["txn_id"], 3);
  EXPECT_EQ(shown[0]["_reason"], "range(amount), regex(email)");
  EXPECT_EQ(shown[1]["_row"], 6);
  EXPECT_EQ(shown[1]["_reason"], "unique(txn_id)");
  EXPECT_EQ(shown[2]["_row"], 8);
  EXPECT_EQ(shown[2]["amount"], 20000.0);
  EXPECT_EQ(shown[2]["_reason"], "range(amount)");

  // Export, fix, re-ingest: good + quarantined = input.
  repo.Run("quarantine show tx --out " + (repo.root() / "fixed.csv").string());
  const std::vector<std::string> exported =
      repo.Query("SELECT txn_id::VARCHAR FROM read_csv('" + (repo.root() / "fixed.csv").string() +
                 "') ORDER BY txn_id");
  EXPECT_EQ(exported, (std::vector<std::string>{"3", "5", "8"}));
  repo.Write("fixed.csv",
             "txn_id,user_id,ts,amount,category,email\n"
             "3,2,2026-03-01T02:00:00,5.0,food,c2@x.com\n"
             "6,3,2026-03-01T05:00:00,50.0,fuel,e@x.com\n"
             "8,4,2026-03-01T07:00:00,2000.0,food,g@x.com\n");
  const nlohmann::json again = repo.Json("ingest tx --path " + (repo.root() / "fixed.csv").string());
  EXPECT_EQ(again["rows_committed"], 3);
  EXPECT_EQ(again["rows_quarantined"], 0);
  EXPECT_EQ(repo.Json("snapshots tx")[1]["rows"], 10);
}

TEST(QualityE2E, QuarantinedNullTimestampsAndKeysInsteadOfRejecting) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("data/a.csv",
             "txn_id,user_id,ts,amount,category,email\n"
             "1,1,2026-03-01T00:00:00,10.0,food,a@x.com\n"
             "2,,2026-03-01T01:00:00,20.0,food,b@x.com\n"
             "3,2,,30.0,food,c@x.com\n");
  repo.Run("apply");
  // Without a suite, a null key or timestamp rejects the delivery as bad input (exit 2).
  const RunResult bad = repo.Run("ingest tx", 2);
  EXPECT_NE(bad.err.find("have a null timestamp 'ts'"), std::string::npos) << bad.err;
  repo.Write("checks.yaml", R"yaml(checks:
  - name: keys
    source: tx
    rules:
      - {rule: not_null, column: user_id, severity: quarantine}
      - {rule: not_null, column: ts, severity: quarantine}
)yaml");
  repo.Run("apply");
  const nlohmann::json in = repo.Json("ingest tx");
  EXPECT_EQ(in["rows_committed"], 1);
  EXPECT_EQ(in["rows_quarantined"], 2);
  const nlohmann::json shown = repo.Json("quarantine show tx");
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0]["_reason"], "not_null(user_id)");
  EXPECT_EQ(shown[1]["_reason"], "not_null(ts)");
  EXPECT_EQ(shown[1]["ts"], nullptr);
}

TEST(QualityE2E, BadSuitesAreDefinitionErrors) {
  struct Case {
    std::string rules;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{rule: rnage, column: amount, min: 0}", "unknown rule 'rnage' in check suite 'gate'"},
      {"{rule: row_count, min: 1, severity: quarantine}", "cannot quarantine"},
      {"{rule: regex, column: email, pattern: \"(\"}", "bad pattern '('"},
      {"{rule: range, column: email, min: 0}", "column 'email' is string, not a number"},
      {"{rule: range, column: amount}", "has neither min nor max"},
      {"{rule: not_null, column: amuont}", "source 'tx' has no column 'amuont'"},
      {"{rule: not_null, column: amount, mostly: 2}", "must be between 0 and 1"},
      {"{rule: accepted_values, column: txn_id, values: [1, x]}", "value 'x' is not a int64"},
      {"{rule: mean, column: amount, max: 1, mostly: 0.5}", "unknown key 'mostly'"},
      {"{rule: drift, column: amount, method: wasserstein, max: 1}", "unknown method 'wasserstein'"},
      {"{rule: drift, column: category, method: ks, max: 1}", "ks compares numbers"},
      {"{rule: drift, column: amount, method: psi, reference: yesterday, max: 1}",
       "bad reference 'yesterday'"},
      {"{rule: drift, column: amount, method: psi}", "has no max"},
      {"{rule: volume, last: 1}", "N >= 2"},
      {"{rule: referential, columns: [user_id], source: nope}", "names unknown source 'nope'"},
  };
  for (const auto& [suite, message] : std::vector<std::pair<std::string, std::string>>{
           {"  - name: g\n    source: tx\n    dataset: d\n    rules: [{rule: row_count, min: 1}]\n",
            "needs exactly one of source and dataset"},
           {"  - name: g\n    dataset: d\n    rules: [{rule: volume, last: 3}]\n",
            "volume applies to sources, not datasets"},
           {"  - name: g\n    dataset: d\n    rules: [{rule: not_null, column: x, severity: "
            "quarantine}]\n",
            "a dataset cannot quarantine rows"}}) {
    ScratchRepo repo;
    repo.Write("sluice.yaml", "project: q\n");
    repo.Write("defs.yaml", kSource);
    repo.Write("data/a.csv", kRows);
    repo.Write("checks.yaml", "checks:\n" + suite);
    const RunResult r = repo.Run("apply", 2);
    EXPECT_NE(r.err.find(message), std::string::npos) << suite << "\n" << r.err;
  }
  for (const Case& c : cases) {
    ScratchRepo repo;
    repo.Write("sluice.yaml", "project: q\n");
    repo.Write("defs.yaml", kSource);
    repo.Write("data/a.csv", kRows);
    repo.Write("checks.yaml", "checks:\n  - name: gate\n    source: tx\n    rules:\n      - " +
                                  c.rules + "\n");
    const RunResult r = repo.Run("apply", 2);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.rules << "\n" << r.err;
    EXPECT_NE(r.err.find("checks.yaml:"), std::string::npos) << r.err;
  }
}


// Drift scores computed here from the raw values, by the definitions of docs/guide.md.
struct Drift {
  // The q-quantile: the smallest value with at least q·n values at or below it.
  static double Quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double threshold = q * static_cast<double>(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (static_cast<double>(i + 1) >= threshold) return v[i];
    }
    return v.back();
  }
  static double Cdf(const std::vector<double>& v, double x) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [&](double y) { return y <= x; })) /
           static_cast<double>(v.size());
  }
  static double Term(double e, double a) {
    e = std::max(e, 1e-4);
    a = std::max(a, 1e-4);
    return (a - e) * std::log(a / e);
  }
  static double NumericPsi(const std::vector<double>& ref, const std::vector<double>& cur) {
    std::vector<double> edges;
    for (int i = 1; i <= 9; ++i) {
      const double e = Quantile(ref, i / 10.0);
      if (edges.empty() || e > edges.back()) edges.push_back(e);
    }
    double psi = 0, below_e = 0, below_a = 0;
    for (double edge : edges) {
      psi += Term(Cdf(ref, edge) - below_e, Cdf(cur, edge) - below_a);
      below_e = Cdf(ref, edge);
      below_a = Cdf(cur, edge);
    }
    return psi + Term(1 - below_e, 1 - below_a);
  }
  static double Ks(const std::vector<double>& ref, const std::vector<double>& cur) {
    double d = 0;
    for (const auto* side : {&ref, &cur}) {
      for (double x : *side) d = std::max(d, std::abs(Cdf(ref, x) - Cdf(cur, x)));
    }
    return d;
  }
};

std::string Deliver(const std::vector<double>& amounts, const std::vector<std::string>& cats,
                    int first_id) {
  std::string out = "txn_id,user_id,ts,amount,category,email\n";
  for (size_t i = 0; i < amounts.size(); ++i) {
    out += fmt::format("{},{},2026-03-01T00:{:02d}:{:02d},{},{},u@x.com\n", first_id + i, i % 7,
                       i / 60, i % 60, amounts[i], cats[i]);
  }
  return out;
}

TEST(QualityE2E, DriftAndVolumeAgainstTheSourceHistory) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("checks.yaml", R"yaml(checks:
  - name: drift
    source: tx
    rules:
      - {rule: drift, column: amount, method: psi, max: 0.2, severity: warn}
      - {rule: drift, column: amount, method: ks, reference: "last:2", max: 0.6}
      - {rule: drift, column: category, method: js, max: 0.5}
      - {rule: drift, column: category, method: psi, max: 10, severity: warn}
      - {rule: volume, last: 2, k: 3}
)yaml");
  repo.Run("apply");
  std::vector<double> ref, cur;
  std::vector<std::string> ref_cats, cur_cats;
  for (int i = 1; i <= 100; ++i) {
    ref.push_back(i);
    cur.push_back(i + 50);
    ref_cats.push_back(i <= 50 ? "a" : i <= 80 ? "b" : "c");
    cur_cats.push_back(i <= 20 ? "a" : i <= 50 ? "b" : i <= 80 ? "c" : "d");
  }
  repo.Write("a.csv", Deliver(ref, ref_cats, 1));
  repo.Write("b.csv", Deliver(cur, cur_cats, 1000));
  const nlohmann::json first = repo.Json("ingest tx --path a.csv");
  for (const auto& c : first["checks"]) {
    EXPECT_EQ(c["status"], "pass") << c.dump();  // nothing to compare with yet
    EXPECT_EQ(c["observed"], c["rule"] == "volume" ? nlohmann::json(100.0) : nlohmann::json(nullptr));
  }
  const nlohmann::json second = repo.Json("ingest tx --path b.csv");
  const nlohmann::json& checks = second["checks"];
  ASSERT_EQ(checks.size(), 5u);
  const double psi = Drift::NumericPsi(ref, cur);
  EXPECT_NEAR(checks[0]["observed"].get<double>(), psi, 1e-9);
  EXPECT_EQ(checks[0]["status"], "warn");
  EXPECT_NEAR(checks[1]["observed"].get<double>(), Drift::Ks(ref, cur), 1e-12);
  EXPECT_DOUBLE_EQ(checks[1]["observed"].get<double>(), 0.5);
  EXPECT_EQ(checks[1]["status"], "pass");
  // JS of {a .5, b .3, c .2} and {a .2, b .3, c .3, d .2}, log base 2.
  const std::vector<std::pair<double, double>> pq = {{.5, .2}, {.3, .3}, {.2, .3}, {0, .2}};
  double js = 0, cat_psi = 0;
  for (const auto& [p, q] : pq) {
    const double m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * std::log2(p / m);
    if (q > 0) js += 0.5 * q * std::log2(q / m);
  }
  // Categorical PSI: the reference's values a, b, c, then every other value (d).
  cat_psi = Drift::Term(.5, .2) + Drift::Term(.3, .3) + Drift::Term(.2, .3) + Drift::Term(0, .2);
  EXPECT_NEAR(checks[2]["observed"].get<double>(), js, 1e-12);
  EXPECT_EQ(checks[2]["status"], "pass");
  EXPECT_NEAR(checks[3]["observed"].get<double>(), cat_psi, 1e-12);
  EXPECT_EQ(checks[4]["status"], "pass");  // one earlier delivery: not enough history
  // A third delivery of 10 rows: the last two had 100 each (stddev 0), so volume fails.
  repo.Write("c.csv", Deliver(std::vector<double>(10, 5.0), std::vector<std::string>(10, "a"), 5000));
  const nlohmann::json third = repo.Json("ingest tx --path c.csv", 1);
  EXPECT_EQ(third["rejected"], true);
  EXPECT_EQ(third["checks"][4]["status"], "fail");
  EXPECT_EQ(third["checks"][4]["observed"], 10.0);
  EXPECT_EQ(repo.Json("snapshots tx").size(), 2u);
}

// A source `users` of user_ids 1, 2 and 3.
void WriteUsers(const ScratchRepo& repo) {
  repo.Write("users.yaml", R"yaml(sources:
  - name: users
    type: file
    path: users.csv
    timestamp_field: signup
    schema: {user_id: int64, signup: timestamp}
)yaml");
  repo.Write("users.csv", "user_id,signup\n1,2026-01-01T00:00:00\n2,2026-01-01T00:00:00\n"
                          "3,2026-01-01T00:00:00\n");
}

TEST(QualityE2E, ReferentialKeysMustExistInTheOtherSource) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  WriteUsers(repo);
  repo.Write("checks.yaml", R"yaml(checks:
  - name: refs
    source: tx
    rules:
      - {rule: referential, columns: [user_id], source: users, severity: quarantine}
)yaml");
  repo.Write("data/a.csv", kRows);  // user_ids 1, 1, 2, 2, 3, 3, 4, 4, 5, 5
  repo.Run("apply");
  repo.Run("ingest users");
  const nlohmann::json in = repo.Json("ingest tx");
  const auto& ref = Find(in["checks"], "referential");
  EXPECT_EQ(ref["column"], "user_id");
  EXPECT_EQ(ref["element_count"], 10);
  EXPECT_EQ(ref["unexpected_count"], 4);
  EXPECT_EQ(ref["quarantined"], 4);
  EXPECT_DOUBLE_EQ(ref["observed"].get<double>(), 0.6);
  EXPECT_EQ(ref["examples"][0], (nlohmann::json{{"row", 7}, {"value", 4}}));
  EXPECT_EQ(ref["status"], "warn");
  EXPECT_EQ(in["rows_committed"], 6);
  const nlohmann::json shown = repo.Json("quarantine show tx");
  ASSERT_EQ(shown.size(), 4u);
  EXPECT_EQ(shown[0]["_reason"], "referential(user_id)");
  // With mostly 0.9, 60% passing rejects the delivery.
  repo.Write("checks.yaml", R"yaml(checks:
  - name: refs
    source: tx
    rules:
      - {rule: referential, columns: [user_id], source: users, mostly: 0.9}
)yaml");
  repo.Run("apply");
  repo.Write("data/b.csv", std::string(kRows) + "11,1,2026-03-02T00:00:00,1.0,food,z@x.com\n");
  const nlohmann::json rejected = repo.Json("ingest tx", 1);
  EXPECT_EQ(Find(rejected["checks"], "referential")["status"], "fail");
}

TEST(QualityE2E, KeySetsStopAtTheirLimitWithAClearError) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  WriteUsers(repo);
  repo.Write("checks.yaml", R"yaml(checks:
  - name: keys
    source: tx
    rules:
      - {rule: unique, columns: [txn_id], severity: warn}
)yaml");
  repo.Write("data/a.csv", kRows);  // 9 distinct txn_ids
  repo.Run("apply");
  repo.Run("ingest users");
  // A unique rule over 9 distinct keys with room for 8: exit 2, nothing committed.
  const RunResult over = repo.Run("ingest tx", 2, "SLUICE_KEY_SET_LIMIT=8");
  EXPECT_NE(over.err.find("check suite 'keys', rule 'unique(txn_id)': more than 8 distinct keys "
                          "in the delivery"),
            std::string::npos)
      << over.err;
  EXPECT_NE(over.err.find("SLUICE_KEY_SET_LIMIT"), std::string::npos) << over.err;
  EXPECT_TRUE(repo.Json("snapshots tx").empty());
  // Room for 9 is enough.
  EXPECT_EQ(Find(repo.Json("validate tx", 0, "SLUICE_KEY_SET_LIMIT=9")["checks"],
                 "unique")["unexpected_count"],
            1);
  // A referential rule over a source of 3 distinct keys with room for 2.
  repo.Write("checks.yaml", R"yaml(checks:
  - name: refs
    source: tx
    rules:
      - {rule: referential, columns: [user_id], source: users}
)yaml");
  repo.Run("apply");
  const RunResult refs = repo.Run("validate tx", 2, "SLUICE_KEY_SET_LIMIT=2");
  EXPECT_NE(refs.err.find("check suite 'refs', rule 'referential': source 'users' has more than "
                          "2 distinct keys"),
            std::string::npos)
      << refs.err;
  EXPECT_EQ(repo.Json("validate tx", 1, "SLUICE_KEY_SET_LIMIT=3")["checks"][0]["unexpected_count"],
            4);
}

TEST(QualityE2E, DatasetSuitesJudgeTheBuiltRows) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("svc.yaml", "feature_services:\n  - {name: svc, features: [spend]}\n");
  repo.Write("data/a.csv", kRows);
  // Users 1 (last amount 20 at 01:00), 4 (20000 at 07:00), 9 (unknown: null).
  repo.Write("entities.csv", "user_id,event_timestamp\n1,2026-03-02T00:00:00\n"
                             "4,2026-03-02T00:00:00\n9,2026-03-02T00:00:00\n");
  repo.Write("checks.yaml", R"yaml(checks:
  - name: training
    dataset: d
    rules:
      - {rule: not_null, column: spend__last_amount, mostly: 0.5}
      - {rule: range, column: spend__last_amount, min: 0, max: 1000, severity: warn}
      - {rule: row_count, min: 3}
      - {rule: mean, column: spend__last_amount, max: 100}
)yaml");
  repo.Run("apply");
  repo.Run("ingest tx");
  const nlohmann::json bad = repo.Json("dataset create d --service svc --entities entities.csv", 1);
  EXPECT_EQ(bad["rejected"], true);
  const auto& not_null = Find(bad["checks"], "not_null");
  EXPECT_EQ(not_null["status"], "pass");
  EXPECT_DOUBLE_EQ(not_null["observed"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(Find(bad["checks"], "range")["status"], "warn");
  EXPECT_EQ(Find(bad["checks"], "range")["examples"][0],
            (nlohmann::json{{"row", 2}, {"value", 20000.0}}));
  EXPECT_EQ(Find(bad["checks"], "mean")["observed"], 10010.0);
  EXPECT_EQ(Find(bad["checks"], "mean")["status"], "fail");
  EXPECT_EQ(Find(bad["checks"], "mean")["delivery"], "dataset d");
  EXPECT_FALSE(std::filesystem::exists(repo.root() / "datasets/d"));
  // A suite naming a column the dataset lacks is bad input.
  repo.Write("checks.yaml", R"yaml(checks:
  - name: training
    dataset: d
    rules:
      - {rule: not_null, column: spend__last_amnt}
)yaml");
  repo.Run("apply");
  const RunResult typo = repo.Run("dataset create d --service svc --entities entities.csv", 2);
  EXPECT_NE(typo.err.find("no column 'spend__last_amnt'; did you mean 'spend__last_amount'?"),
            std::string::npos)
      << typo.err;
  repo.Write("checks.yaml", R"yaml(checks:
  - name: training
    dataset: d
    rules:
      - {rule: mean, column: spend__last_amount, max: 100000}
      - {rule: schema, columns: {user_id: int64, spend__last_amount: float64}, allow_extra: true}
)yaml");
  repo.Run("apply");
  const nlohmann::json good = repo.Json("dataset create d --service svc --entities entities.csv");
  EXPECT_EQ(good["rejected"], false);
  EXPECT_EQ(good["rows"], 3);
  EXPECT_EQ(good["checks"][0]["status"], "pass");
  EXPECT_EQ(good["checks"][1]["status"], "pass") << good["checks"][1].dump();
  EXPECT_TRUE(std::filesystem::exists(repo.root() / "datasets/d/data.parquet"));
}

TEST(QualityE2E, QuarantineInPartsKeepsEveryRow) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: q\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("checks.yaml", kQuarantineSuite);
  // 150,000 rows, every 25,000th with a negative amount: ingest reads chunks of 65,536 rows,
  // so with parts of 1 row each chunk's bad rows go to disk as a part of their own.
  std::string csv = "txn_id,user_id,ts,amount,category,email\n";
  for (int i = 0; i < 150000; ++i) {
    csv += fmt::format("{},{},2026-03-01T00:00:00,{:.1f},food,a@x.com\n", i, i % 50,
                       i % 25000 == 24999 ? -1.0 : 1.0);
  }
  repo.Write("data/a.csv", csv);
  repo.Run("apply");
  const nlohmann::json in = repo.Json("ingest tx", 0, "SLUICE_QUARANTINE_PART_ROWS=1");
  EXPECT_EQ(in["rows_quarantined"], 6);
  EXPECT_EQ(in["rows_committed"], 149994);
  const nlohmann::json list = repo.Json("quarantine list tx");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["paths"].size(), 3u);  // the three chunks hold 2, 3 and 1 bad rows
  const nlohmann::json shown = repo.Json("quarantine show tx --limit 0");
  ASSERT_EQ(shown.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(shown[i]["_row"], 25000 * (i + 1)) << i;
  EXPECT_TRUE(std::filesystem::is_empty(repo.root() / ".sluice/offline/tx/quarantine") == false);
  for (const auto& e : std::filesystem::directory_iterator(repo.root() / ".sluice/offline/tx/quarantine")) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
}

// validate --select: only the suites or rules named (a rule kind or the column it checks).
TEST(QualityE2E, ValidateSelectRunsOnlyTheNamedChecks) {
  ScratchRepo repo;
  MakeRepo(repo, std::string(kMeasureSuite) + R"yaml(  - name: extra
    source: tx
    rules:
      - {rule: not_null, column: email}
      - {rule: range, column: txn_id, min: 0}
)yaml");
  auto rules = [&](const std::string& args, int exit_code) {
    std::vector<std::string> out;
    const nlohmann::json v = repo.Json("validate tx " + args, exit_code);
    for (const auto& c : v["checks"]) {
      const std::string column = c.contains("column") && c["column"].is_string() ? c["column"] : "";
      out.push_back(c["suite"].get<std::string>() + ":" + c["rule"].get<std::string>() + "(" +
                    column + ")");
    }
    return out;
  };
  using Lines = std::vector<std::string>;
  // extra's not_null(email) fails (row 9): exit 1; without it, exit 0.
  EXPECT_EQ(rules("--select extra", 1), (Lines{"extra:not_null(email)", "extra:range(txn_id)"}));
  EXPECT_EQ(rules("--select 'extra:range'", 0), (Lines{"extra:range(txn_id)"}));
  EXPECT_EQ(rules("--select '*:amount'", 1),
            (Lines{"gate:schema()", "gate:range(amount)", "gate:null_rate(amount)",
                   "gate:mean(amount)", "gate:stddev(amount)", "gate:quantile(amount)"}));
  EXPECT_EQ(rules("--select 'gate:row_count' --select 'extra:txn_id'", 0),
            (Lines{"extra:range(txn_id)", "gate:row_count()"}));  // suites in name order
  // A rule over several columns (unique, schema) is selected by any of them.
  EXPECT_EQ(rules("--select 'gate:email'", 0),
            (Lines{"gate:schema()", "gate:regex(email)"}));
  const RunResult r = repo.Run("validate tx --select gaet", 2);
  EXPECT_NE(r.err.find("--select gaet matches no check of source 'tx' (its suites: extra, gate;"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sluice
