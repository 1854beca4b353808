// `sluice gc --keep N`: delete old snapshots and unreferenced segments, never what a dataset
// names.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"
#include "offline/gc.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "repo/loader.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct GcOptions {
  int keep = 0;  // snapshots to keep per source, newest first
};

CLI::App* RegisterGc(CLI::App& app, GcOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "gc", "Delete old snapshots and unreferenced segments (never what a dataset names)");
  cmd->add_option("--keep", o.keep, "Snapshots to keep per source (newest first)")
      ->required()
      ->check(CLI::PositiveNumber);
  return cmd;
}

// The offline log's root, from sluice.yaml alone (gc needs no applied definitions).
fs::path OfflineRootOf(const GlobalOptions& g) {
  repo::RepoDefinition repo;
  repo.root = RepoRoot(g);
  repo.config = repo::LoadConfig(repo.root);
  return offline::OfflineRoot(repo);
}

// The snapshots each dataset's manifest names, per source: gc keeps them.
std::map<std::string, std::set<int64_t>> SnapshotsNamedByDatasets(const fs::path& root) {
  std::map<std::string, std::set<int64_t>> pinned;
  for (const dataset::ListedDataset& d : dataset::List(root)) {
    if (!d.problem.empty()) {
      throw InputError(fmt::format("{}; gc cannot tell which snapshots dataset '{}' needs: "
                                   "repair or remove datasets/{}, then run gc again",
                                   d.problem, d.name, d.name));
    }
    const json& m = d.manifest;
    for (const json& s : m.at("definitions").at("sources")) {
      pinned[s.at("definition").at("name")].insert(s.at("snapshot").at("snapshot").get<int64_t>());
    }
  }
  return pinned;
}

int RunGc(const GlobalOptions& g, const GcOptions& o) {
  const auto pinned = SnapshotsNamedByDatasets(RepoRoot(g));
  const auto results = offline::CollectGarbage(OfflineRootOf(g), o.keep, pinned);
  // Directories a killed `dataset create` left (its process is gone).
  const int abandoned = dataset::RemoveAbandoned(RepoRoot(g));
  json j = json::array();
  for (const auto& r : results) {
    j.push_back({{"source", r.source},
                 {"kept_snapshots", r.kept_snapshots},
                 {"deleted_snapshots", r.deleted_snapshots},
                 {"deleted_segments", r.deleted_segments},
                 {"deleted_bytes", r.deleted_bytes}});
    if (!g.json) {
      std::printf(
          "%s: kept %zu snapshot(s), deleted %zu snapshot(s) and %lld segment file(s) (%s "
          "bytes)\n",
          r.source.c_str(), r.kept_snapshots.size(), r.deleted_snapshots.size(),
          static_cast<long long>(r.deleted_segments), WithThousands(r.deleted_bytes).c_str());
    }
  }
  if (g.json) {
    PrintJson(j);
  } else if (abandoned > 0) {
    std::printf("removed %d temporary dataset director%s left by an interrupted dataset create\n",
                abandoned, abandoned == 1 ? "y" : "ies");
  }
  return 0;
}

}  // namespace

void AddGcCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterGc, RunGc);
}

}  // namespace sluice::cli
