// `sluice consistency-check --service S`: compare online values with the offline engine's for
// sampled entities.
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "online/consistency.h"
#include "online/store.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct ConsistencyCheckOptions {
  std::string service;
  size_t sample = 1000;  // entities per feature view
  std::string at;        // empty: now
  uint64_t seed = 1;
};

CLI::App* RegisterConsistencyCheck(CLI::App& app, ConsistencyCheckOptions& o) {
  CLI::App* cmd = app.add_subcommand("consistency-check",
                                     "Compare online values with the offline engine's for sampled "
                                     "entities (exit 1 on any mismatch)");
  cmd->add_option("--service", o.service, "Feature service")->required();
  cmd->add_option("--sample", o.sample, "Entities to sample per feature view")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--at", o.at, "The time both paths answer at (default: now)");
  cmd->add_option("--seed", o.seed, "Sampling seed")->capture_default_str();
  return cmd;
}

void PrintReportJson(const online::ConsistencyReport& r, double rate) {
  json examples = json::array();
  for (const auto& m : r.examples) {
    examples.push_back({{"view", m.view},
                        {"feature", m.feature},
                        {"entity", m.entity},
                        {"online", m.online},
                        {"offline", m.offline},
                        {"status", m.status}});
  }
  PrintJson({{"service", r.service},
             {"at", FormatTimestamp(r.at)},
             {"entities", r.entities},
             {"compared", r.compared},
             {"mismatches", r.mismatches},
             {"mismatch_rate", rate},
             {"examples", examples},
             {"skipped", r.skipped}});
}

void PrintReport(const online::ConsistencyReport& r, double rate) {
  std::printf("service %s at %s: %s entities, %s values compared, %s mismatches (%.4f%%)\n",
              r.service.c_str(), FormatTimestamp(r.at).c_str(),
              WithThousands(static_cast<int64_t>(r.entities)).c_str(),
              WithThousands(static_cast<int64_t>(r.compared)).c_str(),
              WithThousands(static_cast<int64_t>(r.mismatches)).c_str(), rate * 100);
  if (!r.examples.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : r.examples) {
      rows.push_back({m.view + ":" + m.feature, m.entity, m.online, m.status, m.offline});
    }
    PrintTable({"feature", "entity", "online", "status", "offline"}, rows);
    std::printf("hint: run `sluice materialize` if the offline log has newer snapshots\n");
  }
  if (!r.skipped.empty()) {
    std::printf("not compared (on-demand, needing request data): %zu features\n", r.skipped.size());
  }
}

// Exit 1 on any mismatch.
int RunConsistencyCheck(const GlobalOptions& g, const ConsistencyCheckOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kRead);
  online::ConsistencyOptions options;
  options.service = o.service;
  options.sample = o.sample;
  options.seed = o.seed;
  options.at = o.at.empty() ? NowMicros() : ParseTimeOption(o.at, "--at");
  const online::ConsistencyReport r = online::CheckConsistency(repo, *store, options);
  const double rate =
      r.compared ? static_cast<double>(r.mismatches) / static_cast<double>(r.compared) : 0.0;
  if (g.json) {
    PrintReportJson(r, rate);
  } else {
    PrintReport(r, rate);
  }
  return r.mismatches == 0 ? 0 : 1;
}

}  // namespace

void AddConsistencyCheckCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterConsistencyCheck, RunConsistencyCheck);
}

}  // namespace sluice::cli
