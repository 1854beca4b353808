// The command line's own errors: an unknown or missing command, values out of range, a bad
// environment knob. Each is "error: …" with a hint and exit 2, and JSON with --json.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

TEST(CliE2E, UnknownCommandSuggestsTheClosest) {
  ScratchRepo repo;
  RunResult r = repo.Run("injest", 2);
  EXPECT_EQ(r.err,
            "error: unknown command 'injest' for `sluice`; did you mean 'ingest'?\n"
            "Run `sluice --help` for more information.\n");
  r = repo.Run("--repo . dataset creat x", 2);
  EXPECT_EQ(r.err,
            "error: unknown command 'creat' for `sluice dataset`; did you mean 'create'?\n"
            "Run `sluice dataset --help` for more information.\n");
  r = repo.Run("quarantine", 2);
  EXPECT_EQ(r.err,
            "error: `sluice quarantine` needs a command: list, show\n"
            "Run `sluice quarantine --help` for more information.\n");
  const nlohmann::json j = repo.Json("zzzzzz", 2);
  EXPECT_EQ(j["error"]["exit_code"], 2);
  EXPECT_EQ(j["error"]["message"], "unknown command 'zzzzzz' for `sluice`");
}

TEST(CliE2E, ValuesOutOfRangeAreShortErrors) {
  ScratchRepo repo;
  const std::string huge(300, '9');
  RunResult r = repo.Run("serve --threads " + huge, 2);
  EXPECT_NE(r.err.find("error: --threads: Value " + std::string(40, '9') + "... not in range"),
            std::string::npos)
      << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
  // A very long word in a parse error (it once went through std::regex, which recurses per
  // character) is cut short too.
  r = repo.Run(std::string(100000, 'x'), 2);  // (an argument holds at most 128 KiB)
  EXPECT_NE(r.err.find("unknown command '" + std::string(39, 'x') + "... for"), std::string::npos)
      << r.err.substr(0, 300);
  r = repo.Run("serve --help");
  EXPECT_NE(r.out.find("--port PORT"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("-1"), std::string::npos) << r.out;
}

TEST(CliE2E, AnEnvironmentKnobThatIsNotANumberIsAnError) {
  ScratchRepo repo;
  for (const std::string v : {"abc", "0", "-2", "4x", "99999999999999999999999"}) {
    const RunResult r = repo.Run("list", 2, "SLUICE_THREADS=" + v);
    EXPECT_NE(
        r.err.find("environment variable SLUICE_THREADS=" + v + ": must be a positive integer"),
        std::string::npos)
        << r.err;
  }
  // Empty is unset: the error is then the missing repository's.
  const RunResult r = repo.Run("list", 2, "SLUICE_THREADS=");
  EXPECT_EQ(r.err.find("SLUICE_THREADS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sluice.yaml"), std::string::npos) << r.err;
}

// init writes a repository on which the whole product works at once; it overwrites nothing.
TEST(CliE2E, InitWritesAWorkingRepository) {
  ScratchRepo repo;  // sluice runs in its root; init writes the repository into demo/
  const nlohmann::json created = repo.Json("init demo");
  EXPECT_EQ(created["project"], "demo");
  EXPECT_EQ(created["files"], (nlohmann::json{"sluice.yaml", "features.yaml",
                                              "data/transactions.csv", "entities.csv",
                                              ".sluiceignore"}));
  const std::string d = "--repo demo ";
  repo.Run(d + "apply");
  const nlohmann::json ingest = repo.Json(d + "ingest transactions");
  EXPECT_EQ(ingest["rows_committed"], 1997) << ingest.dump();
  EXPECT_EQ(ingest["rows_quarantined"], 3);
  // The entity file's paths are from the working directory.
  const nlohmann::json ds =
      repo.Json(d + "dataset create training --service fraud_v1 --entities demo/entities.csv");
  EXPECT_EQ(ds["rows"], 200);
  repo.Run(d + "materialize");
  const nlohmann::json online =
      repo.Json(d + "get-online --service fraud_v1 --entity user_id=7,merchant_id=3");
  // The data end an hour ago: user 7's last values and 7-day windows are there now.
  for (int f : {1, 2, 4, 6}) {
    EXPECT_EQ(online["results"][f]["statuses"][0], "PRESENT") << f << " " << online.dump();
  }
  RunResult again = repo.Run("init demo", 2);
  EXPECT_NE(again.err.find("demo/sluice.yaml already exists: init writes a new repository and "
                           "overwrites nothing"),
            std::string::npos)
      << again.err;
  repo.Write("file", "x");
  again = repo.Run("init file", 2);
  EXPECT_NE(again.err.find("file exists and is not a directory"), std::string::npos) << again.err;
  // Without DIR: --repo, else the working directory, named after it.
  EXPECT_EQ(repo.Json("--repo second init")["project"], "second");
  EXPECT_TRUE(std::filesystem::exists(repo.root() / "second/features.yaml"));
  std::filesystem::create_directories(repo.root() / "third");
  const RunResult here = RunSluice("--json init", repo.root() / "third");
  EXPECT_EQ(here.exit_code, 0) << here.err;
  EXPECT_EQ(nlohmann::json::parse(here.out)["project"], "third");
}

}  // namespace
}  // namespace sluice
