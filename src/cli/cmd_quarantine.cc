// `sluice quarantine list [SOURCE]` and `sluice quarantine show SOURCE`: the rows that check
// suites quarantined at ingest (SPEC §7).
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "io/duckdb.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct QuarantineListOptions {
  std::string source;  // empty: every source
};

struct QuarantineShowOptions {
  std::string source;
  int64_t snapshot = 0;  // 0: every delivery with quarantined rows
  int64_t limit = 20;    // rows to print; 0: all
  std::string out;       // --out FILE (.csv or .parquet): also export the rows
};

CLI::App* RegisterQuarantineList(CLI::App& quarantine, QuarantineListOptions& o) {
  CLI::App* cmd = quarantine.add_subcommand("list", "Deliveries with quarantined rows");
  cmd->add_option("source", o.source, "Only this source");
  return cmd;
}

CLI::App* RegisterQuarantineShow(CLI::App& quarantine, QuarantineShowOptions& o) {
  CLI::App* cmd = quarantine.add_subcommand("show", "Print (or export) quarantined rows");
  cmd->add_option("source", o.source, "Source name")->required();
  cmd->add_option("--snapshot", o.snapshot, "Only the deliveries of this snapshot");
  cmd->add_option("--limit", o.limit, "Rows to print (default 20; 0: all)");
  cmd->add_option("--out", o.out,
                  "Write the rows (without _row and _reason) to this .csv or .parquet file, to "
                  "fix and re-ingest with `sluice ingest SOURCE --path FILE`");
  return cmd;
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
    throw InputError(
        fmt::format("source '{}' has no quarantined rows in snapshot {}", source, snapshot));
  }
  return out;
}

int RunQuarantineList(const GlobalOptions& g, const QuarantineListOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  if (!o.source.empty()) SourceOrThrow(repo, o.source);
  json j = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const repo::SourceDef& src : repo.sources) {
    if (!o.source.empty() && src.name != o.source) continue;
    for (const offline::Delivery& d : QuarantinedDeliveries(repo, src.name, 0)) {
      j.push_back({{"source", src.name},
                   {"snapshot", d.snapshot},
                   {"delivery", d.file},
                   {"rows", d.rows},
                   {"quarantined", d.quarantined},
                   {"paths", d.quarantine_paths}});
      rows.push_back({src.name, std::to_string(d.snapshot), d.file, WithThousands(d.rows),
                      WithThousands(d.quarantined),
                      fmt::format("{}", fmt::join(d.quarantine_paths, ", "))});
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
}

// The deliveries' quarantine files as a SQL list of quoted paths ("'a', 'b'").
std::string QuarantineFilesSql(const repo::RepoDefinition& repo, const std::string& source,
                               const std::vector<offline::Delivery>& deliveries) {
  offline::SourceLog log(offline::OfflineRoot(repo), source);
  std::string files;
  for (const offline::Delivery& d : deliveries) {
    for (const std::string& rel : d.quarantine_paths) {
      files += (files.empty() ? "" : ", ") + io::QuoteLiteral((log.dir() / rel).string());
    }
  }
  return files;
}

// The source's columns as a SQL select list of quoted names.
std::string SourceColumnsSql(const repo::SourceDef& src) {
  std::string columns;
  for (const Field& f : src.schema) {
    columns += (columns.empty() ? "" : ", ") + io::QuoteIdent(f.name);
  }
  return columns;
}

// Writes the quarantined rows (the source's columns only, without _row and _reason) to `out`,
// a .csv or .parquet file; throws UsageError for another extension.
void ExportQuarantined(io::DuckDb& db, const std::string& columns, const std::string& files,
                       const std::string& out) {
  const std::string ext = fs::path(out).extension().string();
  if (ext != ".csv" && ext != ".parquet") {
    throw UsageError("--out " + out + ": write a .csv or .parquet file");
  }
  db.Execute(fmt::format("COPY (SELECT {} FROM {} ORDER BY filename, _row) TO {} ({})", columns,
                         "read_parquet([" + files + "], filename = true)", io::QuoteLiteral(out),
                         ext == ".csv" ? "FORMAT csv, HEADER" : "FORMAT parquet"));
}

void PrintRowsJson(const Batch& rows) {
  json j = json::array();
  for (size_t r = 0; r < rows.num_rows; ++r) {
    json row = json::object();
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      row[rows.schema[c].name] = quality::ValueJson(rows.columns[c].Get(r));
    }
    j.push_back(std::move(row));
  }
  PrintJson(j);
}

int RunQuarantineShow(const GlobalOptions& g, const QuarantineShowOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  const repo::SourceDef& src = SourceOrThrow(repo, o.source);
  const std::vector<offline::Delivery> deliveries =
      QuarantinedDeliveries(repo, src.name, o.snapshot);
  if (deliveries.empty()) {
    if (g.json) {
      PrintJson(json::array());
    } else {
      std::printf("%s has no quarantined rows\n", src.name.c_str());
    }
    return 0;
  }
  const std::string files = QuarantineFilesSql(repo, src.name, deliveries);
  const std::string columns = SourceColumnsSql(src);
  io::DuckDb db;
  if (!o.out.empty()) ExportQuarantined(db, columns, files, o.out);
  const Batch rows = db.Query(fmt::format(
      "SELECT {}, _row, _reason FROM read_parquet([{}], filename = true) ORDER BY filename, "
      "_row{}",
      columns, files, o.limit > 0 ? fmt::format(" LIMIT {}", o.limit) : ""));
  if (g.json) {
    PrintRowsJson(rows);
  } else {
    PrintBatch(rows);
    if (!o.out.empty()) std::printf("wrote the rows to %s\n", o.out.c_str());
  }
  return 0;
}

}  // namespace

void AddQuarantineListCommand(CLI::App& quarantine, const GlobalOptions& g, Action& action) {
  AddCommand(quarantine, g, action, RegisterQuarantineList, RunQuarantineList);
}

void AddQuarantineShowCommand(CLI::App& quarantine, const GlobalOptions& g, Action& action) {
  AddCommand(quarantine, g, action, RegisterQuarantineShow, RunQuarantineShow);
}

}  // namespace sluice::cli
