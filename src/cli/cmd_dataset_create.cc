// `sluice dataset create NAME`: compute a service's features as of each entity row's timestamp.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"
#include "io/duckdb.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;

namespace {

struct DatasetCreateOptions {
  std::string name;
  std::string service;
  std::string entities;  // entity file: join keys, a timestamp, any labels
  std::string entities_sql;  // or a DuckDB query giving them
  std::string timestamp_column = "event_timestamp";
  bool force = false;
  int head = 5;  // rows to print after creating (human output)
};

CLI::App* RegisterDatasetCreate(CLI::App& dataset, DatasetCreateOptions& o) {
  CLI::App* cmd = dataset.add_subcommand(
      "create", "Compute a service's features as of each entity row's timestamp");
  cmd->add_option("name", o.name, "Dataset name (datasets/NAME/)")->required();
  cmd->add_option("--service", o.service, "Feature service")->required();
  CLI::Option* file = cmd->add_option(
      "--entities", o.entities, "Entity file (Parquet, CSV or JSON lines): join keys, a timestamp, any labels");
  CLI::Option* sql = cmd->add_option("--entities-sql", o.entities_sql,
                                     "Or a DuckDB SQL query whose rows are the entity set (paths "
                                     "in it from the repository root)")
                         ->option_text("QUERY");
  file->excludes(sql);

  cmd->add_option("--timestamp-column", o.timestamp_column, "Entity timestamp column")
      ->capture_default_str();
  cmd->add_flag("--force", o.force, "Replace an existing dataset of the same name");
  cmd->add_option("--head", o.head, "Rows to print after creating (human output)")
      ->capture_default_str();
  return cmd;
}

void PrintHead(const fs::path& data, int n) {
  io::DuckDb db;
  PrintBatch(db.Query(
      fmt::format("SELECT * FROM read_parquet({}) LIMIT {}", io::QuoteLiteral(data.string()), n)));
}

void PrintCreatedJson(const dataset::DatasetSummary& s, double secs) {
  if (s.rejected) {
    PrintJson({{"name", s.name},
               {"rows", s.rows},
               {"rejected", true},
               {"seconds", secs},
               {"checks", ChecksJson(s.checks)}});
    return;
  }
  PrintJson({{"name", s.name},
             {"path", (s.dir / "data.parquet").string()},
             {"rows", s.rows},
             {"content_hash", s.content_hash},
             {"seconds", secs},
             {"manifest", s.manifest},
             {"rejected", false},
             {"checks", ChecksJson(s.checks)}});
}

void PrintCreated(const dataset::DatasetSummary& s, double secs, int head) {
  if (!s.checks.empty()) PrintChecks(s.checks);
  if (s.rejected) {
    std::printf("Dataset %s: rejected by its checks: nothing was written\n", s.name.c_str());
    return;
  }
  std::printf("Dataset %s: %s rows, %zu columns in %.2f s\n", s.name.c_str(),
              WithThousands(s.rows).c_str(), s.manifest["columns"].size(), secs);
  std::printf("  data:     %s\n", (s.dir / "data.parquet").c_str());
  std::printf("  manifest: %s\n", (s.dir / "manifest.json").c_str());
  std::printf("  content hash: %s\n\n", s.content_hash.c_str());
  if (head > 0) PrintHead(s.dir / "data.parquet", head);
}

// Exit 1 when a fail rule of the dataset's checks rejected it.
int RunDatasetCreate(const GlobalOptions& g, const DatasetCreateOptions& o) {
  if (o.entities.empty() == o.entities_sql.empty()) {
    throw UsageError("give the entity set: --entities FILE or --entities-sql QUERY");
  }
  const repo::RepoDefinition repo = LoadApplied(g);
  const auto start = std::chrono::steady_clock::now();
  dataset::DatasetSummary s;
  {
    ProgressBar bar("dataset " + o.name);
    dataset::CreateOptions create;
    create.name = o.name;
    create.service = o.service;
    create.entities_path = o.entities;
    create.entities_query = o.entities_sql;
    create.timestamp_column = o.timestamp_column;
    create.force = o.force;
    create.progress = [&bar](double f) { bar.Update(f); };
    s = dataset::Create(repo, create);
  }
  const double secs = SecondsSince(start);
  if (g.json) {
    PrintCreatedJson(s, secs);
  } else {
    PrintCreated(s, secs, o.head);
  }
  return s.rejected ? 1 : 0;
}

}  // namespace

void AddDatasetCreateCommand(CLI::App& dataset, const GlobalOptions& g, Action& action) {
  AddCommand(dataset, g, action, RegisterDatasetCreate, RunDatasetCreate);
}

}  // namespace sluice::cli
