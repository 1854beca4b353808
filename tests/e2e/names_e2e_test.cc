// Names and what a failed command leaves: names are checked once, for every object kind, at
// apply (definitions) or on the command line (datasets); two features with one output name
// are refused at apply; a failed `dataset create` leaves no temporary directory, and `gc`
// removes one a killed run left; one corrupt dataset manifest does not hide the others.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "e2e/e2e_util.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: user_txn
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
feature_services:
  - {name: svc, features: [user_txn]}
)";

void MakeRepo(const ScratchRepo& repo) {
  repo.Write("sluice.yaml", "project: t\nbucket_count: 2\n");
  repo.Write("defs.yaml", kDefs);
  repo.Write("data/d1.csv", "user_id,ts,amount\n1,2026-01-01T00:00:00,10.0\n");
  repo.Write("entities.csv", "user_id,event_timestamp\n1,2026-01-02T00:00:00\n");
}

std::vector<std::string> Hidden(const ScratchRepo& repo) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(repo.root() / "datasets", ec)) {
    if (e.path().filename().string().starts_with(".")) out.push_back(e.path().filename());
  }
  return out;
}

TEST(NamesE2E, TwoFeaturesWithOneOutputNameAreRefusedAtApply) {
  ScratchRepo repo;
  MakeRepo(repo);
  // Adds `last__amount` to user_txn: the same output name as user_txn__last's `amount`.
  std::string defs = std::string(kDefs);
  defs.replace(defs.find("      - {name: amount, expr: amount}\n"), 0,
               "      - {name: last__amount, expr: amount}\n");
  repo.Write("more.yaml", R"(feature_views:
  - name: user_txn__last
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
)");
  repo.Write("defs.yaml", defs);
  const RunResult r = repo.Run("apply", 2);
  EXPECT_NE(r.err.find("feature 'amount' of view 'user_txn__last' and feature 'last__amount' of "
                       "view 'user_txn' both have the output name 'user_txn__last__amount'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("more.yaml:"), std::string::npos) << r.err;
}

TEST(NamesE2E, EveryKindOfNameIsChecked) {
  struct Case {
    std::string from, to, message;
  };
  const std::vector<Case> cases = {
      {"{name: amount, expr: amount}", "{name: last amount, expr: amount}",
       "the name 'last amount' of a feature of feature view 'user_txn' holds a space"},
      {"{name: user, join_keys", "{name: \"us\\ner\", join_keys",
       "the name 'us?er' of an entity holds the control character 0x0a"},
      {"{name: tx, type", "{name: 1tx, type", "the name '1tx' of a source starts with a digit"},
      {"- name: user_txn", "- name: user.txn", "the name 'user.txn' of a feature view holds '.'"},
      {"{name: svc,", "{name: \"\",", "the name '' of a feature service is empty"},
      {"{name: svc,", "{name: " + std::string(129, 's') + ",",
       "of a feature service is 129 characters long (at most 128)"},
  };
  for (const Case& c : cases) {
    ScratchRepo repo;
    MakeRepo(repo);
    std::string defs = kDefs;
    defs.replace(defs.find(c.from), c.from.size(), c.to);
    repo.Write("defs.yaml", defs);
    const RunResult r = repo.Run("apply", 2);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.to << "\n" << r.err;
    EXPECT_NE(r.err.find("a name is 1-128 letters, digits and '_'"), std::string::npos) << r.err;
  }
}

TEST(NamesE2E, DatasetNamesAreCheckedAndAFailedCreateLeavesNothing) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  RunResult r = repo.Run(
      "dataset create " + std::string(300, 'd') + " --service svc --entities entities.csv", 2);
  EXPECT_NE(r.err.find("is 300 characters long (at most 128)"), std::string::npos) << r.err;
  r = repo.Run("dataset create \"$(printf 'a\\nb')\" --service svc --entities entities.csv", 2);
  EXPECT_NE(r.err.find("dataset name 'a?b' holds the control character 0x0a"), std::string::npos)
      << r.err;
  r = repo.Run("dataset show ../x", 2);
  EXPECT_NE(r.err.find("dataset name '../x' holds '/'"), std::string::npos) << r.err;
  repo.Run("dataset create train-2026.v1 --service svc --entities entities.csv");
  // An earlier dataset as the entity file: its feature column clashes.
  r = repo.Run("dataset create again --service svc --entities datasets/train-2026.v1/data.parquet",
               2);
  EXPECT_NE(r.err.find("column 'user_txn__amount' has the name of a feature the dataset adds"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Hidden(repo).empty());
  EXPECT_FALSE(std::filesystem::exists(repo.root() / "datasets/again"));
}

TEST(NamesE2E, GcRemovesWhatAKilledCreateLeftAndOneCorruptManifestHidesNothing) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("dataset create a --service svc --entities entities.csv");
  repo.Run("dataset create b --service svc --entities entities.csv");
  // A killed create's directory (no such process) and a running one's (this process).
  const std::filesystem::path dead = repo.root() / "datasets/.c.tmp-999999999";
  const std::filesystem::path live =
      repo.root() / ("datasets/.d.tmp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dead);
  std::filesystem::create_directories(live);
  // A `--force` create killed between its two renames: the replaced dataset, set aside, is
  // the only copy; gc puts it back rather than deleting it.
  std::filesystem::rename(repo.root() / "datasets/b", repo.root() / "datasets/.b.old-999999998");
  RunResult r = repo.Run("gc --keep 1");
  EXPECT_NE(r.out.find("removed 1 temporary dataset directory"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(repo.root() / "datasets/b/manifest.json"));

  std::ofstream(repo.root() / "datasets/a/manifest.json") << "{\"name\": \"a\", \"row_cou";
  const nlohmann::json list = repo.Json("dataset list");
  ASSERT_EQ(list.size(), 2u) << list.dump();
  EXPECT_EQ(list[0]["name"], "a");
  EXPECT_NE(list[0]["error"].get<std::string>().find("corrupt dataset manifest"),
            std::string::npos);
  EXPECT_EQ(list[1]["name"], "b");
  EXPECT_EQ(list[1]["rows"], 1);
  r = repo.Run("dataset list");
  EXPECT_NE(r.out.find("BROKEN"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning: corrupt dataset manifest"), std::string::npos) << r.err;
  r = repo.Run("gc --keep 1", 2);
  EXPECT_NE(r.err.find("gc cannot tell which snapshots dataset 'a' needs"), std::string::npos)
      << r.err;
  // A manifest that parses but lacks a field is broken too, not an internal error.
  std::ofstream(repo.root() / "datasets/a/manifest.json") << "{\"name\": \"a\"}";
  EXPECT_EQ(repo.Json("dataset list")[0]["error"].is_string(), true);
}

// Every broken object of every file is reported in one run; a duration says why it is bad.
TEST(NamesE2E, EveryBrokenObjectIsReportedAndDurationsSayWhy) {
  ScratchRepo repo;
  MakeRepo(repo);
  std::string defs = kDefs;
  defs.replace(defs.find("{name: user, join"), 17, "{name: us er, join");
  defs.replace(defs.find("    source: tx\n"), 15, "    source: tx\n    ttl: [1, 2]\n");
  repo.Write("defs.yaml", defs);
  repo.Write("more.yaml", R"(feature_views:
  - {name: w, entities: [user], source: tx, ttl: 99999999999999999999d, features: [{name: a, expr: amount}]}
  - {name: w2, entities: [user], source: tx, ttl: 5 days, features: [{name: a, expr: amount}]}
)");
  const RunResult r = repo.Run("plan", 2);
  for (const std::string& m : {
           std::string("defs.yaml:2: the name 'us er' of an entity holds a space"),
           std::string("defs.yaml:9: 'ttl' of feature view 'user_txn' must be a duration, not a "
                       "list"),
           std::string("more.yaml:2: duration '99999999999999999999d' for 'ttl' of feature view "
                       "'w' is too large"),
           std::string("more.yaml:3: bad duration '5 days' for 'ttl' of feature view 'w2'"),
           std::string("4 errors in the definitions"),
       }) {
    EXPECT_NE(r.err.find(m), std::string::npos) << m << "\n" << r.err;
  }
}

// Found by definitions_fuzz: a mapping key that is not a scalar (`? [a, b]`) made yaml-cpp
// throw past the loader (an abort). Any value yaml-cpp cannot convert is a definition error.
TEST(NamesE2E, YamlKeysAndValuesYamlCppCannotConvertAreDefinitionErrors) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("defs.yaml", "entities:\n  - {name: user, ? [a, b] : 1, join_keys: [user_id]}\n");
  RunResult r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("defs.yaml:2: a key of an entity must be a name"), std::string::npos)
      << r.err;
  repo.Write("defs.yaml", kDefs);
  repo.Write("sluice.yaml", "project: t\n? {a: 1}\n: x\n");
  r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("sluice.yaml:2: a key of sluice.yaml must be a name"), std::string::npos)
      << r.err;
}

// YAML files of other tools in the repository: named for what they are, and skipped when
// .sluiceignore lists them (a name at any depth, a path from the root, a directory).
TEST(NamesE2E, SluiceignoreSkipsOtherToolsYaml) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Write("docker-compose.yml", "services:\n  web: {image: nginx}\n");
  repo.Write("ci/pipeline.yaml", "stages: [build]\n");
  repo.Write("charts/app/values.yaml", "replicas: 2\n");
  repo.Write("charts/app/features.yaml", "entities:\n  - {name: shop, join_keys: [shop_id]}\n");
  RunResult r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("docker-compose.yml:1: not a sluice definition file (its keys: services)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("list it in .sluiceignore"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 errors in the definitions"), std::string::npos) << r.err;
  repo.Write(".sluiceignore",
             "# other tools\ndocker-compose.yml\nci/\n/charts/*/values.yaml\n\n");
  const nlohmann::json plan = repo.Json("plan");
  bool shop = false;
  for (const auto& e : plan["plan"]) shop = shop || e["name"] == "shop";
  EXPECT_TRUE(shop) << plan.dump();  // charts/app/features.yaml is still read
}

// `dataset delete`: gone from list and show at once; the snapshot only it kept is then
// collected by gc; an unknown name is exit 2.
TEST(NamesE2E, DatasetDeleteRemovesItAndReleasesItsSnapshots) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("dataset create a --service svc --entities entities.csv");
  repo.Write("data/d2.csv", "user_id,ts,amount\n1,2026-01-01T05:00:00,11.0\n");
  repo.Run("ingest tx");
  repo.Run("dataset create b --service svc --entities entities.csv");
  // gc --keep 1 keeps snapshot 1 while dataset a names it.
  EXPECT_EQ(repo.Json("gc --keep 1")[0]["kept_snapshots"], (nlohmann::json{1, 2}));
  const nlohmann::json d = repo.Json("dataset delete a");
  EXPECT_EQ(d, (nlohmann::json{{"name", "a"}, {"deleted", true}}));
  const nlohmann::json list = repo.Json("dataset list");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "b");
  EXPECT_TRUE(Hidden(repo).empty());
  RunResult r = repo.Run("dataset delete a", 2);
  EXPECT_NE(r.err.find("no dataset 'a'"), std::string::npos) << r.err;
  r = repo.Run("dataset show a", 2);
  const nlohmann::json gc = repo.Json("gc --keep 1");
  EXPECT_EQ(gc[0]["kept_snapshots"], (nlohmann::json{2}));
  EXPECT_EQ(gc[0]["deleted_snapshots"], (nlohmann::json{1}));
  EXPECT_EQ(repo.Json("dataset reproduce b")["matches"], true);
}

// bucket_count is fixed by a source's first ingest: a later change is named, not ignored.
TEST(NamesE2E, PlanWarnsThatAChangedBucketCountDoesNotApply) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Write("sluice.yaml", "project: t\nbucket_count: 8\n");
  const RunResult r = repo.Run("plan");
  EXPECT_NE(r.err.find("warning: bucket_count is 8 in sluice.yaml, but source 'tx' keeps the 2 "
                       "buckets of its first ingest"),
            std::string::npos)
      << r.err;
  const nlohmann::json j = repo.Json("apply");
  ASSERT_EQ(j["warnings"].size(), 1u) << j.dump();
  EXPECT_EQ(repo.Json("ingest tx")["unchanged"], true);
}

// plan shows what changed inside a definition, field by field (issue 15, "CLI habits").
TEST(NamesE2E, PlanShowsFieldLevelChanges) {
  ScratchRepo repo;
  MakeRepo(repo);
  std::string defs = kDefs;
  defs.replace(defs.find("    source: tx\n"), 15,
               "    source: tx\n    ttl: 30d\n");
  defs.replace(defs.find("      - {name: amount, expr: amount}\n"), 37,
               "      - {name: amount, expr: amount}\n      - {name: n_1d, aggregate: count, "
               "window: 1d, hop: 1h}\n");
  repo.Write("defs.yaml", defs);
  repo.Run("apply");
  defs.replace(defs.find("ttl: 30d"), 8, "ttl: 14d");
  defs.replace(defs.find("      - {name: amount, expr: amount}\n"), 37, "");
  defs.replace(defs.find("window: 1d"), 10, "window: 36h");
  repo.Write("defs.yaml", defs);
  const nlohmann::json plan = repo.Json("plan")["plan"];
  nlohmann::json view;
  for (const auto& e : plan) {
    if (e["name"] == "user_txn") view = e;
  }
  EXPECT_EQ(view["action"], "change");
  EXPECT_EQ(view["changes"], (nlohmann::json{"feature 'n_1d' window: 1d -> 36h",
                                             "feature 'amount' removed", "ttl: 30d -> 14d"}))
      << view.dump();
  const RunResult r = repo.Run("plan");
  EXPECT_NE(r.out.find("(" + view["old_version"].get<std::string>() + " -> " +
                       view["new_version"].get<std::string>() +
                       ")\n      feature 'n_1d' window: 1d -> 36h\n      feature 'amount' "
                       "removed\n      ttl: 30d -> 14d\n"),
            std::string::npos)
      << r.out;
}

// describe: one applied definition, its links both ways, its versions; a source's snapshots.
TEST(NamesE2E, DescribeShowsADefinitionItsLinksAndVersions) {
  ScratchRepo repo;
  MakeRepo(repo);
  repo.Run("apply");
  repo.Run("ingest tx");
  std::string defs = kDefs;
  defs.replace(defs.find("expr: amount}"), 13, "expr: amount * 2}");
  repo.Write("defs.yaml", defs);
  repo.Run("apply");
  nlohmann::json j = repo.Json("describe user_txn");
  EXPECT_EQ(j["kind"], "feature_view");
  EXPECT_EQ(j["definition"]["features"][0]["expr"], "amount * 2");
  EXPECT_EQ(j["uses"], nlohmann::json::parse(R"([{"kind": "source", "name": "tx"},
                                                {"kind": "entity", "name": "user"}])"));
  EXPECT_EQ(j["used_by"], nlohmann::json::parse(R"([{"kind": "feature_service", "name": "svc"}])"));
  ASSERT_EQ(j["versions"].size(), 2u);
  EXPECT_EQ(j["versions"][1]["version"], j["version"]);
  j = repo.Json("describe tx");
  EXPECT_EQ(j["snapshots"]["count"], 1);
  EXPECT_EQ(j["snapshots"]["latest"]["rows"], 1);
  const RunResult r = repo.Run("describe user_txn");
  for (const std::string& line : {std::string("feature_view user_txn (version "),
                                  std::string("  source:                  tx\n"),
                                  std::string("    amount                   float64    amount * 2\n"),
                                  std::string("  used by:                 feature_service svc\n")}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  RunResult bad = repo.Run("describe user_tx", 2);
  EXPECT_NE(bad.err.find("no applied definition named 'user_tx'; did you mean 'user_txn'?"),
            std::string::npos)
      << bad.err;
  bad = repo.Run("describe user --kind source", 2);
  EXPECT_NE(bad.err.find("no applied source named 'user'"), std::string::npos) << bad.err;
  EXPECT_EQ(repo.Json("describe user --kind entity")["definition"]["join_keys"],
            nlohmann::json{"user_id"});
}

}  // namespace
}  // namespace sluice
