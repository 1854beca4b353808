// `sluice dataset reproduce NAME`: rebuild a dataset from its manifest and verify its content
// hash.
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "dataset/dataset.h"

namespace sluice::cli {

namespace {

struct DatasetReproduceOptions {
  std::string name;
};

CLI::App* RegisterDatasetReproduce(CLI::App& dataset, DatasetReproduceOptions& o) {
  CLI::App* cmd = dataset.add_subcommand(
      "reproduce",
      "Rebuild a dataset from its manifest and verify its content hash (exit 1 if it differs)");
  cmd->add_option("name", o.name, "Dataset name")->required();
  return cmd;
}

// Exit 1 when the rebuilt content hash differs from the manifest's.
int RunDatasetReproduce(const GlobalOptions& g, const DatasetReproduceOptions& o) {
  dataset::ReproduceResult r;
  {
    ProgressBar bar("reproduce " + o.name);
    r = dataset::Reproduce(RepoRoot(g), o.name, [&bar](double f) { bar.Update(f); });
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
}

}  // namespace

void AddDatasetReproduceCommand(CLI::App& dataset, const GlobalOptions& g, Action& action) {
  AddCommand(dataset, g, action, RegisterDatasetReproduce, RunDatasetReproduce);
}

}  // namespace sluice::cli
