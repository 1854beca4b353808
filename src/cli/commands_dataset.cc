// `sluice dataset create | reproduce | list | show`.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"
#include "io/duckdb.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct DatasetArgs {
  std::string name;
  std::string service;
  std::string entities;
  std::string timestamp_column = "event_timestamp";
  bool force = false;
  int head = 5;
};

void PrintHead(const fs::path& data, int n) {
  io::DuckDb db;
  Batch b = db.Query(fmt::format("SELECT * FROM read_parquet({}) LIMIT {}",
                                 io::QuoteLiteral(data.string()), n));
  std::vector<std::string> header;
  for (const Field& f : b.schema) header.push_back(f.name);
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < b.num_rows; ++r) {
    std::vector<std::string> row;
    for (const Column& c : b.columns) row.push_back(c.Get(r).ToString());
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
}

}  // namespace

void AddDatasetCommands(CLI::App& app, const GlobalOptions& g, Action& action) {
  static DatasetArgs a;
  CLI::App* ds = app.add_subcommand("dataset", "Build, reproduce and inspect training datasets");
  ds->require_subcommand(1);

  CLI::App* create = ds->add_subcommand(
      "create", "Compute a service's features as of each entity row's timestamp");
  create->add_option("name", a.name, "Dataset name (datasets/NAME/)")->required();
  create->add_option("--service", a.service, "Feature service")->required();
  create->add_option("--entities", a.entities,
                     "Entity file (Parquet or CSV): join keys, a timestamp, any labels")
      ->required();
  create->add_option("--timestamp-column", a.timestamp_column, "Entity timestamp column")
      ->capture_default_str();
  create->add_flag("--force", a.force, "Replace an existing dataset of the same name");
  create->add_option("--head", a.head, "Rows to print after creating (human output)")
      ->capture_default_str();
  create->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      const auto start = std::chrono::steady_clock::now();
      dataset::DatasetSummary s;
      {
        ProgressBar bar("dataset " + a.name);
        dataset::CreateOptions o;
        o.name = a.name;
        o.service = a.service;
        o.entities_path = a.entities;
        o.timestamp_column = a.timestamp_column;
        o.force = a.force;
        o.progress = [&bar](double f) { bar.Update(f); };
        s = dataset::Create(repo, o);
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (g.json) {
        if (s.rejected) {
          PrintJson({{"name", s.name}, {"rows", s.rows}, {"rejected", true},
                     {"seconds", secs}, {"checks", ChecksJson(s.checks)}});
          return 1;
        }
        PrintJson({{"name", s.name},
                   {"path", (s.dir / "data.parquet").string()},
                   {"rows", s.rows},
                   {"content_hash", s.content_hash},
                   {"seconds", secs},
                   {"manifest", s.manifest},
                   {"rejected", false},
                   {"checks", ChecksJson(s.checks)}});
        return 0;
      }
      if (!s.checks.empty()) PrintChecks(s.checks);
      if (s.rejected) {
        std::printf("Dataset %s: rejected by its checks: nothing was written\n", s.name.c_str());
        return 1;
      }
      std::printf("Dataset %s: %s rows, %zu columns in %.2f s\n", s.name.c_str(),
                  WithThousands(s.rows).c_str(), s.manifest["columns"].size(), secs);
      std::printf("  data:     %s\n", (s.dir / "data.parquet").c_str());
      std::printf("  manifest: %s\n", (s.dir / "manifest.json").c_str());
      std::printf("  content hash: %s\n\n", s.content_hash.c_str());
      if (a.head > 0) PrintHead(s.dir / "data.parquet", a.head);
      return 0;
    };
  });

  CLI::App* reproduce = ds->add_subcommand(
      "reproduce", "Rebuild a dataset from its manifest and verify its content hash (exit 1 if it differs)");
  reproduce->add_option("name", a.name, "Dataset name")->required();
  reproduce->callback([&g, &action] {
    action = [&g] {
      dataset::ReproduceResult r;
      {
        ProgressBar bar("reproduce " + a.name);
        r = dataset::Reproduce(RepoRoot(g), a.name, [&bar](double f) { bar.Update(f); });
      }
      if (g.json) {
        PrintJson({{"name", r.name},
                   {"matches", r.matches},
                   {"rows", r.rows},
                   {"expected_hash", r.expected_hash},
                   {"actual_hash", r.actual_hash}});
      } else if (r.matches) {
        std::printf("Dataset %s reproduced exactly: %s rows, content hash %s\n", r.name.c_str(),
                    WithThousands(r.rows).c_str(), r.actual_hash.c_str());
      } else {
        std::printf("Dataset %s does NOT reproduce:\n  manifest hash: %s\n  rebuilt hash:  %s\n",
                    r.name.c_str(), r.expected_hash.c_str(), r.actual_hash.c_str());
      }
      return r.matches ? 0 : 1;
    };
  });

  CLI::App* list = ds->add_subcommand("list", "List datasets");
  list->callback([&g, &action] {
    action = [&g] {
      const auto all = dataset::List(RepoRoot(g));
      json j = json::array();
      std::vector<std::vector<std::string>> rows;
      for (const json& m : all) {
        j.push_back({{"name", m["name"]},
                     {"created_at", m["created_at"]},
                     {"service", m["definitions"]["service"]["name"]},
                     {"rows", m["row_count"]},
                     {"content_hash", m["content_hash"]}});
        rows.push_back({m["name"], m["created_at"], m["definitions"]["service"]["name"],
                        WithThousands(m["row_count"].get<int64_t>()),
                        m["content_hash"].get<std::string>().substr(0, 16)});
      }
      if (g.json) {
        PrintJson(j);
      } else {
        PrintTable({"NAME", "CREATED_AT", "SERVICE", "ROWS", "CONTENT_HASH"}, rows);
      }
      return 0;
    };
  });

  CLI::App* show = ds->add_subcommand("show", "Show a dataset's manifest");
  show->add_option("name", a.name, "Dataset name")->required();
  show->callback([&g, &action] {
    action = [&g] {
      const json m = dataset::Show(RepoRoot(g), a.name);
      if (g.json) {
        PrintJson(m);
        return 0;
      }
      const json& d = m["definitions"];
      std::printf("dataset:      %s\ncreated_at:   %s\nrows:         %s\ncontent hash: %s\n",
                  m["name"].get<std::string>().c_str(), m["created_at"].get<std::string>().c_str(),
                  WithThousands(m["row_count"].get<int64_t>()).c_str(),
                  m["content_hash"].get<std::string>().c_str());
      std::printf("service:      %s (version %s)\n", d["service"]["name"].get<std::string>().c_str(),
                  d["service"]["version"].get<std::string>().c_str());
      for (const json& v : d["feature_views"]) {
        std::printf("view:         %s (version %s)\n", v["name"].get<std::string>().c_str(),
                    v["version"].get<std::string>().c_str());
      }
      for (const json& s : d["sources"]) {
        std::printf("source:       %s snapshot %lld (%s rows)\n",
                    s["definition"]["name"].get<std::string>().c_str(),
                    static_cast<long long>(s["snapshot"]["snapshot"].get<int64_t>()),
                    WithThousands(s["snapshot"]["rows"].get<int64_t>()).c_str());
      }
      std::printf("entity file:  %s (sha256 %s)\ncolumns:\n",
                  m["entity_file"]["path"].get<std::string>().c_str(),
                  m["entity_file"]["sha256"].get<std::string>().c_str());
      for (const json& c : m["columns"]) {
        std::printf("  %-32s %s\n", c["name"].get<std::string>().c_str(),
                    c["type"].get<std::string>().c_str());
      }
      return 0;
    };
  });
}

}  // namespace sluice::cli
