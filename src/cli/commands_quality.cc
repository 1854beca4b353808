// `sluice validate`, `sluice quarantine list|show` (SPEC §7).
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/time.h"
#include "io/duckdb.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "quality/profile.h"
#include "quality/report.h"
#include "common/fs.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ValidateArgs {
  std::string source;
  std::string path;
  std::string html;  // --html FILE: also write the report as an HTML document
};

struct ProfileArgs {
  std::string target;
  int64_t snapshot = 0;
  int64_t top = 10;
};

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

void PrintProfile(const nlohmann::json& p) {
  std::printf("%s rows\n", WithThousands(p["rows"].get<int64_t>()).c_str());
  std::vector<std::vector<std::string>> rows;
  auto text = [](const nlohmann::json& v) -> std::string {
    if (v.is_null()) return "";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
    return v.dump();
  };
  for (const auto& c : p["columns"]) {
    std::string top;
    if (c.contains("top")) {
      for (const auto& t : c["top"]) {
        if (top.size() > 40) break;
        top += (top.empty() ? "" : ", ") + t["value"].get<std::string>() + " (" +
               std::to_string(t["count"].get<int64_t>()) + ")";
      }
    }
    const nlohmann::json q = c.value("quantiles", nlohmann::json::object());
    rows.push_back({c["name"], c["type"], WithThousands(c["nulls"].get<int64_t>()),
                    WithThousands(c["distinct"].get<int64_t>()), text(c.value("min", nlohmann::json())),
                    text(q.value("p50", nlohmann::json())), text(c.value("max", nlohmann::json())),
                    text(c.value("mean", nlohmann::json())),
                    text(c.value("stddev", nlohmann::json())), top});
  }
  PrintTable({"COLUMN", "TYPE", "NULLS", "DISTINCT", "MIN", "MEDIAN", "MAX", "MEAN", "STDDEV",
              "TOP"},
             rows);
}

struct QuarantineArgs {
  std::string source;
  int64_t snapshot = 0;  // 0: every delivery with quarantined rows
  int64_t limit = 20;
  std::string out;
};

const repo::SourceDef& SourceOrThrow(const repo::RepoDefinition& repo, const std::string& name) {
  const repo::SourceDef* src = repo.FindSource(name);
  if (!src) throw NotFoundError("unknown source '" + name + "' (run `sluice list`)");
  return *src;
}

// The deliveries of `source` with quarantined rows (of snapshot `snapshot`, or all).
std::vector<offline::Delivery> QuarantinedDeliveries(const repo::RepoDefinition& repo,
                                                     const std::string& source, int64_t snapshot) {
  offline::SourceLog log(offline::OfflineRoot(repo), source);
  const std::optional<offline::SnapshotManifest> latest = log.Latest();
  std::vector<offline::Delivery> out;
  if (!latest) return out;
  for (const offline::Delivery& d : latest->deliveries) {
    if (d.quarantined == 0 || (snapshot && d.snapshot != snapshot)) continue;
    out.push_back(d);
  }
  if (snapshot && out.empty()) {
    throw InputError(fmt::format("source '{}' has no quarantined rows in snapshot {}", source,
                                 snapshot));
  }
  return out;
}


}  // namespace

nlohmann::json ChecksJson(const std::vector<quality::CheckResult>& checks) {
  json out = json::array();
  for (const quality::CheckResult& c : checks) out.push_back(c.ToJson());
  return out;
}

void PrintChecks(const std::vector<quality::CheckResult>& checks) {
  std::string delivery;
  std::vector<quality::CheckResult> group;
  auto flush = [&] {
    if (group.empty()) return;
    std::printf("checks of %s:\n", delivery.c_str());
    PrintTable({"STATUS", "SUITE", "RULE", "SEVERITY", "DETAIL"}, quality::CheckRows(group));
    group.clear();
  };
  for (const quality::CheckResult& c : checks) {
    if (c.delivery != delivery) flush();
    delivery = c.delivery;
    group.push_back(c);
  }
  flush();
}

void AddQualityCommands(CLI::App& app, const GlobalOptions& g, Action& action) {
  static ValidateArgs validate_args;
  CLI::App* validate = app.add_subcommand(
      "validate", "Run a source's check suites on its deliveries without committing anything");
  validate->add_option("source", validate_args.source, "Source name")->required();
  validate->add_option("--path", validate_args.path,
                       "Validate this one file instead of the files of the source's path");
  validate->add_option("--html", validate_args.html,
                       "Also write the report (rule results, examples, per-column profiles "
                       "with histograms) to this self-contained HTML file");
  validate->footer(
      "Every file matching the source's path is judged, committed or not. Exit 0 when no rule "
      "with severity fail failed, 1 otherwise.");
  validate->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      const repo::SourceDef& src = SourceOrThrow(repo, validate_args.source);
      if (repo.SuitesOf(src.name).empty()) {
        throw InputError(fmt::format("source '{}' has no check suite (add one under checks: with "
                                     "source: {})",
                                     src.name, src.name));
      }
      if (!validate_args.html.empty()) {
        // Checked before the (possibly long) run rather than failing after it.
        const fs::path dir = fs::path(validate_args.html).parent_path();
        if (!dir.empty() && !fs::is_directory(dir)) {
          throw UsageError("--html " + validate_args.html + ": directory " + dir.string() +
                           " does not exist");
        }
      }
      offline::IngestOptions options;
      options.path = validate_args.path;
      options.validate_only = true;
      const offline::IngestResult r = offline::Ingest(repo, src.name, options);
      if (!validate_args.html.empty()) {
        // Written whether or not a rule failed: the exit code alone tells that.
        WriteFileAtomic(validate_args.html,
                        quality::HtmlReport("Validation of source " + r.source, r.checks,
                                            r.delivery_names, r.profiles, NowMicros(),
                                            r.delivery_rows));
      }
      if (g.json) {
        json j = {{"source", r.source},
                  {"rows_read", r.rows_read},
                  {"rows_quarantined", r.rows_quarantined},
                  {"failed", r.rejected},
                  {"checks", ChecksJson(r.checks)}};
        if (!validate_args.html.empty()) j["html"] = validate_args.html;
        PrintJson(j);
      } else {
        PrintChecks(r.checks);
        std::printf("%s: %s rows judged; %s\n", r.source.c_str(),
                    WithThousands(r.rows_read).c_str(),
                    r.rejected ? "a fail rule failed: ingest would reject it"
                    : r.rows_quarantined
                        ? fmt::format("ingest would quarantine {} rows",
                                      WithThousands(r.rows_quarantined))
                              .c_str()
                        : "ingest would commit every row");
        if (!validate_args.html.empty()) {
          std::printf("wrote the report to %s\n", validate_args.html.c_str());
        }
      }
      return r.rejected ? 1 : 0;
    };
  });

  static ProfileArgs profile_args;
  CLI::App* profile = app.add_subcommand(
      "profile", "Profile a file, or a source as of a snapshot (counts, nulls, distinct, "
                 "min/max/mean/stddev, quantiles, top values)");
  profile->add_option("target", profile_args.target,
                      "A data file (.parquet, .csv, .json) or a source name")
      ->required();
  profile->add_option("--snapshot", profile_args.snapshot,
                      "For a source: the snapshot (default: the newest)");
  profile->add_option("--top", profile_args.top, "Top values per column (default 10; 0: none)")
      ->check(CLI::NonNegativeNumber);
  profile->callback([&g, &action] {
    action = [&g] {
      quality::Profile p;
      if (fs::is_regular_file(profile_args.target)) {
        p = quality::ProfileFile(fs::absolute(profile_args.target).string());
      } else {
        const repo::RepoDefinition repo = LoadApplied(g);
        const repo::SourceDef* src = repo.FindSource(profile_args.target);
        if (!src) {
          throw InputError(fmt::format("'{}' is neither a file nor a source (run `sluice list`)",
                                       profile_args.target));
        }
        p = ProfileSource(repo, *src, profile_args.snapshot);
      }
      const nlohmann::json j = p.ToJson(static_cast<size_t>(std::max<int64_t>(0, profile_args.top)));
      if (g.json) {
        PrintJson(j);
      } else {
        PrintProfile(j);
      }
      return 0;
    };
  });

  static QuarantineArgs q_args;
  CLI::App* quarantine =
      app.add_subcommand("quarantine", "Rows that check suites quarantined at ingest");
  quarantine->require_subcommand(1);
  CLI::App* list = quarantine->add_subcommand("list", "Deliveries with quarantined rows");
  list->add_option("source", q_args.source, "Only this source");
  list->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      if (!q_args.source.empty()) SourceOrThrow(repo, q_args.source);
      json j = json::array();
      std::vector<std::vector<std::string>> rows;
      for (const repo::SourceDef& src : repo.sources) {
        if (!q_args.source.empty() && src.name != q_args.source) continue;
        for (const offline::Delivery& d : QuarantinedDeliveries(repo, src.name, 0)) {
          j.push_back({{"source", src.name},
                       {"snapshot", d.snapshot},
                       {"delivery", d.file},
                       {"rows", d.rows},
                       {"quarantined", d.quarantined},
                       {"paths", d.quarantine_paths}});
          rows.push_back({src.name, std::to_string(d.snapshot), d.file, WithThousands(d.rows),
                          WithThousands(d.quarantined), fmt::format("{}", fmt::join(d.quarantine_paths, ", "))});
        }
      }
      if (g.json) {
        PrintJson(j);
      } else if (rows.empty()) {
        std::printf("no quarantined rows\n");
      } else {
        PrintTable({"SOURCE", "SNAPSHOT", "DELIVERY", "ROWS", "QUARANTINED", "FILES"}, rows);
      }
      return 0;
    };
  });

  CLI::App* show = quarantine->add_subcommand("show", "Print (or export) quarantined rows");
  show->add_option("source", q_args.source, "Source name")->required();
  show->add_option("--snapshot", q_args.snapshot, "Only the deliveries of this snapshot");
  show->add_option("--limit", q_args.limit, "Rows to print (default 20; 0: all)");
  show->add_option("--out", q_args.out,
                   "Write the rows (without _row and _reason) to this .csv or .parquet file, to "
                   "fix and re-ingest with `sluice ingest SOURCE --path FILE`");
  show->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      const repo::SourceDef& src = SourceOrThrow(repo, q_args.source);
      const std::vector<offline::Delivery> deliveries =
          QuarantinedDeliveries(repo, src.name, q_args.snapshot);
      if (deliveries.empty()) {
        if (g.json) {
          PrintJson(json::array());
        } else {
          std::printf("%s has no quarantined rows\n", src.name.c_str());
        }
        return 0;
      }
      offline::SourceLog log(offline::OfflineRoot(repo), src.name);
      std::string files;
      for (const offline::Delivery& d : deliveries) {
        for (const std::string& rel : d.quarantine_paths) {
          files += (files.empty() ? "" : ", ") + io::QuoteLiteral((log.dir() / rel).string());
        }
      }
      std::string columns;
      for (const Field& f : src.schema) {
        columns += (columns.empty() ? "" : ", ") + io::QuoteIdent(f.name);
      }
      io::DuckDb db;
      const std::string from = "read_parquet([" + files + "])";
      if (!q_args.out.empty()) {
        const std::string ext = fs::path(q_args.out).extension().string();
        if (ext != ".csv" && ext != ".parquet") {
          throw UsageError("--out " + q_args.out + ": write a .csv or .parquet file");
        }
        db.Execute(fmt::format("COPY (SELECT {} FROM {} ORDER BY filename, _row) TO {} ({})",
                               columns, "read_parquet([" + files + "], filename = true)",
                               io::QuoteLiteral(q_args.out),
                               ext == ".csv" ? "FORMAT csv, HEADER" : "FORMAT parquet"));
      }
      const Batch rows = db.Query(fmt::format(
          "SELECT {}, _row, _reason FROM read_parquet([{}], filename = true) ORDER BY filename, "
          "_row{}",
          columns, files, q_args.limit > 0 ? fmt::format(" LIMIT {}", q_args.limit) : ""));
      if (g.json) {
        json j = json::array();
        for (size_t r = 0; r < rows.num_rows; ++r) {
          json row = json::object();
          for (size_t c = 0; c < rows.columns.size(); ++c) {
            row[rows.schema[c].name] = quality::ValueJson(rows.columns[c].Get(r));
          }
          j.push_back(std::move(row));
        }
        PrintJson(j);
      } else {
        std::vector<std::string> header;
        for (const Field& f : rows.schema) header.push_back(f.name);
        std::vector<std::vector<std::string>> table;
        for (size_t r = 0; r < rows.num_rows; ++r) {
          std::vector<std::string> line;
          for (const Column& c : rows.columns) line.push_back(c.Get(r).ToString());
          table.push_back(std::move(line));
        }
        PrintTable(header, table);
        if (!q_args.out.empty()) std::printf("wrote the rows to %s\n", q_args.out.c_str());
      }
      return 0;
    };
  });
}

}  // namespace sluice::cli
