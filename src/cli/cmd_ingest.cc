// `sluice ingest SOURCE`: read a source's new deliveries and commit them as a new snapshot.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "offline/ingest.h"

namespace sluice::cli {

namespace {

struct IngestCommandOptions {
  std::string source;
  std::string path;  // --path: this one file instead of the source's path
  bool no_profile = false;
};

CLI::App* RegisterIngest(CLI::App& app, IngestCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Read a source's new deliveries and commit them as a new snapshot");
  cmd->add_option("source", o.source, "Source name")->required();
  cmd->add_option("--path", o.path, "Ingest this one file instead of the source's path");
  cmd->add_flag("--no-profile", o.no_profile,
                "Do not store the deliveries' profiles (`sluice profile SOURCE` then cannot "
                "cover this snapshot)");
  return cmd;
}

void PrintIngestJson(const offline::IngestResult& r, double secs) {
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
}

void PrintIngest(const offline::IngestResult& r, double secs) {
  if (r.unchanged) {
    std::printf("%s: nothing new: every delivery is already committed (snapshot %lld)\n",
                r.source.c_str(), static_cast<long long>(r.snapshot));
    return;
  }
  if (!r.checks.empty()) PrintChecks(r.checks);
  if (r.rejected) {
    std::printf("%s: rejected by its checks: nothing was committed (snapshot %lld stays current)\n",
                r.source.c_str(), static_cast<long long>(r.snapshot));
    return;
  }
  std::printf("%s: committed %s rows as snapshot %lld (%lld segments) in %.2f s\n",
              r.source.c_str(), WithThousands(r.rows_committed).c_str(),
              static_cast<long long>(r.snapshot), static_cast<long long>(r.segments_written), secs);
  if (r.rows_quarantined > 0) {
    std::printf("%s rows quarantined: sluice quarantine show %s\n",
                WithThousands(r.rows_quarantined).c_str(), r.source.c_str());
  }
}

// Exit 1 when a fail rule rejected the deliveries.
int RunIngest(const GlobalOptions& g, const IngestCommandOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  const auto start = std::chrono::steady_clock::now();
  offline::IngestResult r;
  {
    ProgressBar bar("ingest " + o.source);
    offline::IngestOptions options;
    options.path = o.path;
    options.profile = !o.no_profile;
    options.progress = [&bar](double f) { bar.Update(f); };
    r = offline::Ingest(repo, o.source, options);
  }
  const double secs = SecondsSince(start);
  if (g.json) {
    PrintIngestJson(r, secs);
  } else {
    PrintIngest(r, secs);
  }
  return r.rejected ? 1 : 0;
}

}  // namespace

void AddIngestCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterIngest, RunIngest);
}

}  // namespace sluice::cli
