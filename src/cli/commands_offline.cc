// `sluice ingest`, `sluice snapshots`, `sluice gc`.
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/time.h"
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

struct IngestArgs {
  std::string source;
  std::string path;
  bool no_profile = false;
};

struct SnapshotsArgs {
  std::string source;
};

struct GcArgs {
  int keep = 0;
};

fs::path OfflineRootOf(const GlobalOptions& g) {
  repo::RepoDefinition repo;
  repo.root = RepoRoot(g);
  repo.config = repo::LoadConfig(repo.root);
  return offline::OfflineRoot(repo);
}

}  // namespace

void AddOfflineCommands(CLI::App& app, const GlobalOptions& g, Action& action) {
  static IngestArgs ingest_args;
  CLI::App* ingest = app.add_subcommand(
      "ingest", "Read a source's new deliveries and commit them as a new snapshot");
  ingest->add_option("source", ingest_args.source, "Source name")->required();
  ingest->add_option("--path", ingest_args.path, "Ingest this one file instead of the source's path");
  ingest->add_flag("--no-profile", ingest_args.no_profile,
                   "Do not store the deliveries' profiles (`sluice profile SOURCE` then cannot "
                   "cover this snapshot)");
  ingest->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      const auto start = std::chrono::steady_clock::now();
      offline::IngestResult r;
      {
        ProgressBar bar("ingest " + ingest_args.source);
        offline::IngestOptions options;
        options.path = ingest_args.path;
        options.profile = !ingest_args.no_profile;
        options.progress = [&bar](double f) { bar.Update(f); };
        r = offline::Ingest(repo, ingest_args.source, options);
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (g.json) {
        PrintJson({{"source", r.source},
                   {"snapshot", r.snapshot},
                   {"rows_read", r.rows_read},
                   {"rows_committed", r.rows_committed},
                   {"rows_quarantined", r.rows_quarantined},
                   {"unchanged", r.unchanged},
                   {"rejected", r.rejected},
                   {"segments_written", r.segments_written},
                   {"seconds", secs},
                   {"checks", ChecksJson(r.checks)}});
      } else if (r.unchanged) {
        std::printf("%s: nothing new: every delivery is already committed (snapshot %lld)\n",
                    r.source.c_str(), static_cast<long long>(r.snapshot));
      } else {
        if (!r.checks.empty()) PrintChecks(r.checks);
        if (r.rejected) {
          std::printf("%s: rejected by its checks: nothing was committed (snapshot %lld stays "
                      "current)\n",
                      r.source.c_str(), static_cast<long long>(r.snapshot));
        } else {
          std::printf("%s: committed %s rows as snapshot %lld (%lld segments) in %.2f s\n",
                      r.source.c_str(), WithThousands(r.rows_committed).c_str(),
                      static_cast<long long>(r.snapshot),
                      static_cast<long long>(r.segments_written), secs);
        }
        if (r.rows_quarantined > 0 && !r.rejected) {
          std::printf("%s rows quarantined: sluice quarantine show %s\n",
                      WithThousands(r.rows_quarantined).c_str(), r.source.c_str());
        }
      }
      return r.rejected ? 1 : 0;
    };
  });

  static SnapshotsArgs snapshots_args;
  CLI::App* snapshots = app.add_subcommand("snapshots", "List a source's snapshots");
  snapshots->add_option("source", snapshots_args.source, "Source name")->required();
  snapshots->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      if (!repo.FindSource(snapshots_args.source)) {
        throw NotFoundError("unknown source '" + snapshots_args.source + "' (run `sluice list`)");
      }
      offline::SourceLog log(offline::OfflineRoot(repo), snapshots_args.source);
      json j = json::array();
      std::vector<std::vector<std::string>> rows;
      for (int64_t n : log.ListSnapshots()) {
        const offline::SnapshotManifest m = log.Load(n);
        j.push_back({{"snapshot", n},
                     {"created_at", FormatTimestamp(m.created_at)},
                     {"rows", m.TotalRows()},
                     {"segments", m.segments.size()},
                     {"deliveries", m.deliveries.size()}});
        rows.push_back({std::to_string(n), FormatTimestamp(m.created_at),
                        WithThousands(m.TotalRows()), std::to_string(m.segments.size()),
                        std::to_string(m.deliveries.size())});
      }
      if (g.json) {
        PrintJson(j);
      } else if (rows.empty()) {
        std::printf("%s has no snapshots yet (run `sluice ingest %s`)\n",
                    snapshots_args.source.c_str(), snapshots_args.source.c_str());
      } else {
        PrintTable({"SNAPSHOT", "CREATED_AT", "ROWS", "SEGMENTS", "DELIVERIES"}, rows);
      }
      return 0;
    };
  });

  static GcArgs gc_args;
  CLI::App* gc = app.add_subcommand(
      "gc", "Delete old snapshots and unreferenced segments (never what a dataset names)");
  gc->add_option("--keep", gc_args.keep, "Snapshots to keep per source (newest first)")
      ->required()
      ->check(CLI::PositiveNumber);
  gc->callback([&g, &action] {
    action = [&g] {
      const fs::path root = RepoRoot(g);
      std::map<std::string, std::set<int64_t>> pinned;
      for (const json& m : dataset::List(root)) {
        for (const json& s : m.at("definitions").at("sources")) {
          pinned[s.at("definition").at("name")].insert(s.at("snapshot").at("snapshot").get<int64_t>());
        }
      }
      const auto results = offline::CollectGarbage(OfflineRootOf(g), gc_args.keep, pinned);
      json j = json::array();
      for (const auto& r : results) {
        j.push_back({{"source", r.source},
                     {"kept_snapshots", r.kept_snapshots},
                     {"deleted_snapshots", r.deleted_snapshots},
                     {"deleted_segments", r.deleted_segments},
                     {"deleted_bytes", r.deleted_bytes}});
        if (!g.json) {
          std::printf("%s: kept %zu snapshot(s), deleted %zu snapshot(s) and %lld segment file(s) "
                      "(%s bytes)\n",
                      r.source.c_str(), r.kept_snapshots.size(), r.deleted_snapshots.size(),
                      static_cast<long long>(r.deleted_segments),
                      WithThousands(r.deleted_bytes).c_str());
        }
      }
      if (g.json) PrintJson(j);
      return 0;
    };
  });
}

}  // namespace sluice::cli
