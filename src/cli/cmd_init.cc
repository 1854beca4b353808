// `sluice init [DIR]`: a working example feature repository — definitions (last values, windows,
// a check suite), a few weeks of generated transactions ending now, and an entity file — so
// that apply, ingest, dataset create, materialize, get-online and serve work at once.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/fs.h"
#include "common/text.h"
#include "common/time.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct InitOptions {
  std::string dir;  // "": --repo (default .)
};

CLI::App* RegisterInit(CLI::App& app, InitOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a working example feature repository (definitions, data, entity file)");
  cmd->add_option("dir", o.dir,
                  "Directory to create it in (created if missing; default: --repo, or .)");
  cmd->footer(
      "Then: cd DIR && sluice apply && sluice ingest transactions && sluice dataset create "
      "training --service fraud_v1 --entities entities.csv && sluice materialize");
  return cmd;
}

constexpr const char* kFeatures = R"(# A feature repository (docs/guide.md). `sluice plan` shows what `sluice apply` records.
entities:
  - name: user
    join_keys: [user_id]
  - name: merchant
    join_keys: [merchant_id]

sources:
  - name: transactions
    type: file
    path: data/transactions.csv      # a glob works too: data/*.parquet
    timestamp_field: event_time
    created_timestamp_field: created_at

feature_views:
  - name: user_txn
    entities: [user]
    source: transactions
    ttl: 7d
    features:
      - {name: last_amount, expr: amount}
      - {name: last_category, expr: category}
      - {name: last_was_food, expr: "category == 'food'"}
      # Windows: the same tiles compute training data and online values.
      - {name: txn_count_7d, aggregate: count, window: 7d, hop: 1d}
      - {name: spend_1d, aggregate: sum, expr: amount, window: 1d, hop: 1h}
      - {name: max_amount_7d, aggregate: max, expr: amount, window: 7d, hop: 1h}
  - name: user_merchant
    entities: [user, merchant]
    source: transactions
    ttl: 30d
    features:
      - {name: last_amount_here, expr: amount}

feature_services:
  - name: fraud_v1
    features: [user_txn, "user_merchant:last_amount_here"]

# Data quality, run at every ingest: a negative amount is quarantined (kept aside, listed by
# `sluice quarantine show transactions`); a null user rejects the whole delivery.
checks:
  - name: transactions_quality
    source: transactions
    rules:
      - {rule: not_null, column: user_id, severity: fail}
      - {rule: range, column: amount, min: 0, max: 10000, severity: quarantine}
)";

constexpr int kUsers = 50;
constexpr int kMerchants = 20;
constexpr int kTransactions = 2000;
constexpr int kEntityRows = 200;
constexpr int64_t kDays = 21;

// Transactions over the last three weeks, ending an hour ago (so that windows and TTLs hold
// values now), from a fixed seed: the same shape every time, the times moved to today. Three
// negative amounts show the quarantine.
std::string Transactions(Micros now) {
  std::mt19937_64 rng(20261202);
  const Micros span = kDays * 86400 * kMicrosPerSecond;
  const Micros first = now - kMicrosPerSecond * 3600 - span;
  std::vector<Micros> times(kTransactions);
  for (Micros& t : times) t = first + static_cast<Micros>(rng() % static_cast<uint64_t>(span));
  std::sort(times.begin(), times.end());
  static const char* kCategories[] = {"food", "travel", "games", "fuel", "home"};
  std::string out = "txn_id,user_id,merchant_id,event_time,created_at,amount,category\n";
  for (int i = 0; i < kTransactions; ++i) {
    const Micros t = times[i] / kMicrosPerSecond * kMicrosPerSecond;
    const Micros created = t + static_cast<Micros>(rng() % 120) * kMicrosPerSecond;
    double amount = static_cast<double>(rng() % 20000) / 100.0 + 1.0;
    if (i == 400 || i == 1100 || i == 1700) amount = -amount;  // for the quarantine
    out += fmt::format("{},{},{},{},{},{:.2f},{}\n", 1000 + i, 1 + rng() % kUsers,
                       1 + rng() % kMerchants, FormatTimestamp(t).substr(0, 19),
                       FormatTimestamp(created).substr(0, 19), amount,
                       kCategories[rng() % std::size(kCategories)]);
  }
  return out;
}

// Labelled (user, merchant, time) rows for `dataset create`, over the same three weeks.
std::string Entities(Micros now) {
  std::mt19937_64 rng(7);
  const Micros span = kDays * 86400 * kMicrosPerSecond;
  std::string out = "user_id,merchant_id,event_timestamp,label\n";
  for (int i = 0; i < kEntityRows; ++i) {
    const Micros t = now - span + static_cast<Micros>(rng() % static_cast<uint64_t>(span));
    out += fmt::format("{},{},{},{}\n", 1 + rng() % kUsers, 1 + rng() % kMerchants,
                       FormatTimestamp(t / kMicrosPerSecond * kMicrosPerSecond).substr(0, 19),
                       rng() % 10 == 0 ? 1 : 0);
  }
  return out;
}

int RunInit(const GlobalOptions& g, const InitOptions& o) {
  const std::string given = o.dir.empty() ? g.repo : o.dir;
  const fs::path dir = (fs::absolute(given) / "").lexically_normal().parent_path();
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw UsageError(fmt::format("{} exists and is not a directory", dir.string()));
  }
  std::string project = dir.filename().string();
  if (project.empty() || NameProblem(project, NameKind::kDefinition) != "") project = "example";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"sluice.yaml",
       fmt::format("# Project settings (docs/guide.md, \"sluice.yaml\").\nproject: {}\n"
                   "registry: .sluice/registry.db\noffline_store: {{path: .sluice/offline}}\n"
                   "online_store: {{type: rocksdb, path: .sluice/online}}\n"
                   "server: {{port: 6566}}\n",
                   project)},
      {"features.yaml", kFeatures},
      {"data/transactions.csv", Transactions(NowMicros())},
      {"entities.csv", Entities(NowMicros())},
      {".sluiceignore", "# YAML files here that are not sluice definitions (gitignore-like).\n"},
  };
  // Nothing is overwritten: a repository (or files of the same names) already there is kept.
  for (const auto& [name, text] : files) {
    if (fs::exists(dir / name)) {
      throw UsageError(fmt::format("{} already exists: init writes a new repository and "
                                   "overwrites nothing (choose an empty directory)",
                                   (dir / name).string()));
    }
  }
  for (const auto& [name, text] : files) {
    fs::create_directories((dir / name).parent_path());
    WriteFileAtomic(dir / name, text);
  }
  if (g.json) {
    json written = json::array();
    for (const auto& f : files) written.push_back(f.first);
    PrintJson({{"path", dir.string()}, {"project", project}, {"files", written}});
    return 0;
  }
  std::printf("Created the feature repository '%s' in %s:\n", project.c_str(),
              dir.string().c_str());
  for (const auto& [name, text] : files) std::printf("  %s\n", name.c_str());
  const std::string cd = given == "." ? "" : "cd " + given + "\n  ";
  std::printf(
      "\nNext:\n  %ssluice apply                  # check the definitions, record them\n"
      "  sluice ingest transactions    # commit the data (3 negative amounts quarantined)\n"
      "  sluice dataset create training --service fraud_v1 --entities entities.csv\n"
      "  sluice materialize            # the online store\n"
      "  sluice get-online --service fraud_v1 --entity user_id=7,merchant_id=3\n"
      "  sluice serve                  # http://127.0.0.1:6566 (POST /get-online-features)\n",
      cd.c_str());
  return 0;
}

}  // namespace

void AddInitCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterInit, RunInit);
}

}  // namespace sluice::cli
