// `sluice dataset delete NAME`: remove a dataset (its data, entity copy and manifest).
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct DatasetDeleteOptions {
  std::string name;
};

CLI::App* RegisterDatasetDelete(CLI::App& dataset, DatasetDeleteOptions& o) {
  CLI::App* cmd = dataset.add_subcommand(
      "delete", "Delete a dataset; the snapshots only it kept become collectable by `sluice gc`");
  cmd->add_option("name", o.name, "Dataset name")->required();
  return cmd;
}

int RunDatasetDelete(const GlobalOptions& g, const DatasetDeleteOptions& o) {
  dataset::Delete(RepoRoot(g), o.name);
  if (g.json) {
    PrintJson({{"name", o.name}, {"deleted", true}});
  } else {
    std::printf("deleted dataset %s\n", o.name.c_str());
  }
  return 0;
}

}  // namespace

void AddDatasetDeleteCommand(CLI::App& dataset, const GlobalOptions& g, Action& action) {
  AddCommand(dataset, g, action, RegisterDatasetDelete, RunDatasetDelete);
}

}  // namespace sluice::cli
