// `sluice snapshots SOURCE`: a source's snapshots in the offline log.
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct SnapshotsOptions {
  std::string source;
};

CLI::App* RegisterSnapshots(CLI::App& app, SnapshotsOptions& o) {
  CLI::App* cmd = app.add_subcommand("snapshots", "List a source's snapshots");
  cmd->add_option("source", o.source, "Source name")->required();
  return cmd;
}

int RunSnapshots(const GlobalOptions& g, const SnapshotsOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  SourceOrThrow(repo, o.source);
  offline::SourceLog log(offline::OfflineRoot(repo), o.source);
  json j = json::array();
  std::vector<std::vector<std::string>> rows;
  for (int64_t n : log.ListSnapshots()) {
    const offline::SnapshotManifest m = log.Load(n);
    j.push_back({{"snapshot", n},
                 {"created_at", FormatTimestamp(m.created_at)},
                 {"rows", m.TotalRows()},
                 {"segments", m.segments.size()},
                 {"deliveries", m.deliveries.size()}});
    rows.push_back({std::to_string(n), FormatTimestamp(m.created_at), WithThousands(m.TotalRows()),
                    std::to_string(m.segments.size()), std::to_string(m.deliveries.size())});
  }
  if (g.json) {
    PrintJson(j);
  } else if (rows.empty()) {
    std::printf("%s has no snapshots yet (run `sluice ingest %s`)\n", o.source.c_str(),
                o.source.c_str());
  } else {
    PrintTable({"SNAPSHOT", "CREATED_AT", "ROWS", "SEGMENTS", "DELIVERIES"}, rows);
  }
  return 0;
}

}  // namespace

void AddSnapshotsCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterSnapshots, RunSnapshots);
}

}  // namespace sluice::cli
