// `sluice validate SOURCE --html FILE` end to end: the report is written when a fail rule
// fails (exit 1) and when none does (exit 0), is one self-contained HTML document naming the
// source, the delivery and every rule, escapes values from the data, and `--json` names it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/fs.h"
#include "e2e/e2e_util.h"

namespace sluice {
namespace {

// Row 3: amount -5; row 4: a category that is a script tag; row 6 repeats txn_id 5.
constexpr const char* kRows =
    "txn_id,user_id,ts,amount,category\n"
    "1,1,2026-03-01T00:00:00,10.0,food\n"
    "2,1,2026-03-01T01:00:00,20.0,travel\n"
    "3,2,2026-03-01T02:00:00,-5.0,food\n"
    "4,2,2026-03-01T03:00:00,30.0,<script>alert(1)</script>\n"
    "5,3,2026-03-01T04:00:00,40.0,games\n"
    "5,3,2026-03-01T05:00:00,50.0,fuel\n"
    "7,4,2026-03-01T06:00:00,60.0,food\n"
    "8,4,2026-03-01T07:00:00,70.0,food\n";

constexpr const char* kSource = R"yaml(entities:
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

// `mean` max decides the exit code: 100 passes, 10 fails.
std::string Suite(int mean_max) {
  return "checks:\n"
         "  - name: gate\n"
         "    source: tx\n"
         "    rules:\n"
         "      - {rule: not_null, column: user_id}\n"
         "      - {rule: range, column: amount, min: 0, max: 1000, severity: quarantine}\n"
         "      - {rule: accepted_values, column: category, values: [food, travel, games, "
         "fuel], severity: warn}\n"
         "      - {rule: unique, columns: [txn_id], severity: warn}\n"
         "      - {rule: row_count, min: 5}\n"
         "      - {rule: mean, column: amount, max: " +
         std::to_string(mean_max) + "}\n";
}

void MakeRepo(const ScratchRepo& repo, int mean_max) {
  repo.Write("sluice.yaml", "project: r\nbucket_count: 2\n");
  repo.Write("defs.yaml", kSource);
  repo.Write("checks.yaml", Suite(mean_max));
  repo.Write("data/a.csv", kRows);
  repo.Run("apply");
}

void ExpectReport(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Validation of source tx"), std::string::npos);
  EXPECT_NE(html.find("data/a.csv"), std::string::npos);
  for (const char* rule : {"not_null(user_id)", "range(amount)", "accepted_values(category)",
                           "unique(txn_id)", "row_count", "mean(amount)"}) {
    EXPECT_NE(html.find(std::string("<code>") + rule + "</code>"), std::string::npos) << rule;
  }
  // One card with one chart per column of the source.
  EXPECT_EQ(html.find("<article class=\"card\">", 0) != std::string::npos, true);
  size_t svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++svgs;
  EXPECT_EQ(svgs, 5u);
  // Seven rows kept (row 3 quarantined), eight judged.
  EXPECT_NE(html.find("<b>8</b><span>rows judged</span>"), std::string::npos);
  EXPECT_NE(html.find("<b>1</b><span>rows ingest would quarantine</span>"), std::string::npos);
}

TEST(ReportE2E, WrittenWhenAFailRuleFails) {
  ScratchRepo repo;
  MakeRepo(repo, 10);
  const RunResult r = repo.Run("validate tx --html report.html", 1);
  EXPECT_NE(r.out.find("wrote the report to report.html"), std::string::npos) << r.out;
  ASSERT_TRUE(std::filesystem::is_regular_file(repo.root() / "report.html"));
  const std::string html = ReadFile(repo.root() / "report.html");
  ExpectReport(html);
  EXPECT_NE(html.find("<span class=\"badge fail\">fail</span>"), std::string::npos);
  EXPECT_NE(html.find("verdict fail"), std::string::npos);
  // No temporary file left beside it.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(repo.root())) {
    files += e.path().filename().string().rfind("report.html", 0) == 0;
  }
  EXPECT_EQ(files, 1u);
}

TEST(ReportE2E, WrittenWhenTheDataPassesAndNamedInJson) {
  ScratchRepo repo;
  MakeRepo(repo, 100);
  std::filesystem::create_directories(repo.root() / "out");
  const nlohmann::json j = repo.Json("validate tx --html out/report.html");
  EXPECT_EQ(j["html"], "out/report.html");
  EXPECT_EQ(j["failed"], false);
  EXPECT_EQ(j["checks"].size(), 6u);
  const std::string html = ReadFile(repo.root() / "out/report.html");
  ExpectReport(html);
  EXPECT_EQ(html.find("<span class=\"badge fail\">"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge warn\">warn</span>"), std::string::npos);
  // Rewritten in place by a second run; without --html, no "html" key.
  repo.Run("validate tx --html out/report.html");
  EXPECT_FALSE(repo.Json("validate tx").contains("html"));
}

TEST(ReportE2E, AMissingDirectoryIsAUsageError) {
  ScratchRepo repo;
  MakeRepo(repo, 100);
  const RunResult r = repo.Run("validate tx --html nope/report.html", 2);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice
