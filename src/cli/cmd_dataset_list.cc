// `sluice dataset list`: the datasets of the repository.
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct DatasetListOptions {};

CLI::App* RegisterDatasetList(CLI::App& dataset, DatasetListOptions&) {
  return dataset.add_subcommand("list", "List datasets");
}

int RunDatasetList(const GlobalOptions& g, const DatasetListOptions&) {
  const auto all = dataset::List(RepoRoot(g));
  json j = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const dataset::ListedDataset& d : all) {
    if (!d.problem.empty()) {
      // Listed, marked; the others still show.
      j.push_back({{"name", d.name}, {"error", d.problem}});
      rows.push_back({d.name, "BROKEN", "", "", ""});
      std::fprintf(stderr, "warning: %s\n", d.problem.c_str());
      continue;
    }
    const json& m = d.manifest;
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
}

}  // namespace

void AddDatasetListCommand(CLI::App& dataset, const GlobalOptions& g, Action& action) {
  AddCommand(dataset, g, action, RegisterDatasetList, RunDatasetList);
}

}  // namespace sluice::cli
