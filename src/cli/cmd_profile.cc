// `sluice profile TARGET`: profile a data file, or a source as of a snapshot.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/json.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "quality/profile.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ProfileOptions {
  std::string target;    // a data file or a source name
  int64_t snapshot = 0;  // for a source; 0: the newest
  int64_t top = 10;      // top values per column; 0: none
};

CLI::App* RegisterProfile(CLI::App& app, ProfileOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("profile",
                         "Profile a file, or a source as of a snapshot (counts, nulls, distinct, "
                         "min/max/mean/stddev, quantiles, top values)");
  cmd->add_option("target", o.target, "A data file (.parquet, .csv, .json) or a source name")
      ->required();
  cmd->add_option("--snapshot", o.snapshot, "For a source: the snapshot (default: the newest)");
  cmd->add_option("--top", o.top, "Top values per column (default 10; 0: none)")
      ->check(CLI::NonNegativeNumber);
  return cmd;
}

// A source's profile at snapshot `n` (0: the newest): its deliveries' profiles merged.
quality::Profile ProfileSource(const repo::RepoDefinition& repo, const repo::SourceDef& src,
                               int64_t n) {
  offline::SourceLog log(offline::OfflineRoot(repo), src.name);
  const std::optional<offline::SnapshotManifest> m = n ? log.Load(n) : log.Latest();
  if (!m) {
    throw InputError(fmt::format("source '{}' has no snapshot yet (run `sluice ingest {}`)",
                                 src.name, src.name));
  }
  return offline::SnapshotProfile(log, *m, true);
}

// A profile value as a table cell: numbers with 6 significant digits, null as nothing.
std::string CellText(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return JsonText(v);
}

// The most frequent values "value (count), …", cut after about 40 characters.
std::string TopValuesText(const json& column) {
  std::string top;
  if (!column.contains("top")) return top;
  for (const auto& t : column["top"]) {
    if (top.size() > 40) break;
    top += (top.empty() ? "" : ", ") + CellText(t["value"]) + " (" +
           std::to_string(t["count"].get<int64_t>()) + ")";
  }
  return top;
}

void PrintProfile(const json& p) {
  std::printf("%s rows\n", WithThousands(p["rows"].get<int64_t>()).c_str());
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : p["columns"]) {
    const json q = c.value("quantiles", json::object());
    rows.push_back({c["name"], c["type"], WithThousands(c["nulls"].get<int64_t>()),
                    WithThousands(c["distinct"].get<int64_t>()), CellText(c.value("min", json())),
                    CellText(q.value("p50", json())), CellText(c.value("max", json())),
                    CellText(c.value("mean", json())), CellText(c.value("stddev", json())),
                    TopValuesText(c)});
  }
  PrintTable(
      {"COLUMN", "TYPE", "NULLS", "DISTINCT", "MIN", "MEDIAN", "MAX", "MEAN", "STDDEV", "TOP"},
      rows);
}

int RunProfile(const GlobalOptions& g, const ProfileOptions& o) {
  quality::Profile p;
  if (fs::is_regular_file(o.target)) {
    p = quality::ProfileFile(fs::absolute(o.target).string());
  } else {
    const repo::RepoDefinition repo = LoadApplied(g);
    const repo::SourceDef* src = repo.FindSource(o.target);
    if (!src) {
      throw InputError(
          fmt::format("'{}' is neither a file nor a source (run `sluice list`)", o.target));
    }
    p = ProfileSource(repo, *src, o.snapshot);
  }
  const json j = p.ToJson(static_cast<size_t>(std::max<int64_t>(0, o.top)));
  if (g.json) {
    PrintJson(j);
  } else {
    PrintProfile(j);
  }
  return 0;
}

}  // namespace

void AddProfileCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterProfile, RunProfile);
}

}  // namespace sluice::cli
