// `sluice dataset show NAME`: a dataset's manifest.
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct DatasetShowOptions {
  std::string name;
};

CLI::App* RegisterDatasetShow(CLI::App& dataset, DatasetShowOptions& o) {
  CLI::App* cmd = dataset.add_subcommand("show", "Show a dataset's manifest");
  cmd->add_option("name", o.name, "Dataset name")->required();
  return cmd;
}

// The manifest for people: what was built, from which definitions and snapshots, with which
// columns.
void PrintManifest(const json& m) {
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
  const json& ef = m["entity_file"];
  if (ef.contains("query")) {  // --entities-sql: its rows are kept as the copy
    std::printf("entity query: %s\n              (rows kept as %s, sha256 %s)\ncolumns:\n",
                ef["query"].get<std::string>().c_str(), ef["copy"].get<std::string>().c_str(),
                ef["sha256"].get<std::string>().c_str());
  } else {
    std::printf("entity file:  %s (sha256 %s)\ncolumns:\n", ef["path"].get<std::string>().c_str(),
                ef["sha256"].get<std::string>().c_str());
  }
  for (const json& c : m["columns"]) {
    std::printf("  %-32s %s\n", c["name"].get<std::string>().c_str(),
                c["type"].get<std::string>().c_str());
  }
}

int RunDatasetShow(const GlobalOptions& g, const DatasetShowOptions& o) {
  const json m = dataset::Show(RepoRoot(g), o.name);
  if (g.json) {
    PrintJson(m);
  } else {
    PrintManifest(m);
  }
  return 0;
}

}  // namespace

void AddDatasetShowCommand(CLI::App& dataset, const GlobalOptions& g, Action& action) {
  AddCommand(dataset, g, action, RegisterDatasetShow, RunDatasetShow);
}

}  // namespace sluice::cli
