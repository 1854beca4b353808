// Crash safety of ingest (SPEC §4): the process is killed (an immediate _exit, no cleanup) at
// several points of a commit; the previous snapshot must stay current, intact and readable, and
// a rerun must commit the delivery exactly once.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: "data/*.csv", timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
feature_services:
  - {name: svc, features: [v]}
)";

struct CrashCase {
  const char* point;
  bool committed;  // whether the crash happens after the commit point
};

void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.point; }

class IngestCrash : public testing::TestWithParam<CrashCase> {};

TEST_P(IngestCrash, PreviousSnapshotSurvivesAndRerunCommitsOnce) {
  ScratchRepo repo;
  repo.Write("sluice.yaml", "project: crash\nbucket_count: 3\n");
  repo.Write("defs.yaml", kDefs);
  std::string d1 = "user_id,ts,amount\n";
  for (int u = 1; u <= 9; ++u) d1 += std::to_string(u) + ",2026-01-01T00:00:00," + std::to_string(u) + ".5\n";
  repo.Write("data/d1.csv", d1);
  repo.Write("entities.csv", "user_id,event_timestamp\n1,2026-01-02T00:00:00\n5,2026-01-02T00:00:00\n");
  repo.Run("apply");
  repo.Run("ingest tx");
  nlohmann::json before = repo.Json("dataset create before --service svc --entities entities.csv");

  std::string d2 = "user_id,ts,amount\n";
  for (int u = 1; u <= 9; ++u) d2 += std::to_string(u) + ",2026-01-01T12:00:00,100\n";
  repo.Write("data/d2.csv", d2);
  RunResult crashed = repo.Run("ingest tx", 137, std::string("SLUICE_CRASH_AT=") + GetParam().point);

  nlohmann::json snaps = repo.Json("snapshots tx");
  ASSERT_EQ(snaps.size(), GetParam().committed ? 2u : 1u);
  EXPECT_EQ(snaps.back()["rows"], GetParam().committed ? 18 : 9);
  // The surviving snapshot reads back: a dataset over it equals the one built before the crash.
  nlohmann::json after = repo.Json("dataset create after --service svc --entities entities.csv");
  if (!GetParam().committed) {
    EXPECT_EQ(after["content_hash"], before["content_hash"]);
  }

  nlohmann::json rerun = repo.Json("ingest tx");
  EXPECT_EQ(rerun["unchanged"], GetParam().committed);
  EXPECT_EQ(rerun["snapshot"], 2);
  snaps = repo.Json("snapshots tx");
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(snaps[1]["rows"], 18);  // the delivery counted exactly once
  nlohmann::json final_ds = repo.Json("dataset create final --service svc --entities entities.csv");
  EXPECT_EQ(repo.Query("SELECT CAST(v__amount AS VARCHAR) FROM read_parquet('datasets/final/data.parquet')"),
            (std::vector<std::string>{"100.0", "100.0"}));
  // gc removes the crashed run's orphan files; the reproduce of the first dataset still holds.
  repo.Run("gc --keep 1");
  std::set<std::string> listed;
  const nlohmann::json latest = nlohmann::json::parse(
      std::ifstream(repo.root() / ".sluice/offline/tx/snapshots/00000002.json"));
  for (const auto& s : latest["segments"]) listed.insert(s["path"].get<std::string>());
  const nlohmann::json first = nlohmann::json::parse(
      std::ifstream(repo.root() / ".sluice/offline/tx/snapshots/00000001.json"));
  for (const auto& s : first["segments"]) listed.insert(s["path"].get<std::string>());
  for (const auto& e : std::filesystem::directory_iterator(repo.root() / ".sluice/offline/tx/segments")) {
    EXPECT_TRUE(listed.count("segments/" + e.path().filename().string())) << e.path();
  }
  EXPECT_EQ(repo.Json("dataset reproduce before")["matches"], true);
}

INSTANTIATE_TEST_SUITE_P(
    Points, IngestCrash,
    testing::Values(CrashCase{"ingest:after-segment", false},
                    CrashCase{"ingest:before-commit", false},
                    CrashCase{"atomic-write:before-rename", false},
                    CrashCase{"ingest:after-commit", true}),
    [](const testing::TestParamInfo<CrashCase>& info) {
      std::string name = info.param.point;
      for (char& c : name) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace sluice
