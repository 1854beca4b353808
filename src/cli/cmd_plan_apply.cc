// `sluice plan` and `sluice apply`: check the repository's definitions and compare them with
// (plan) or record them in (apply) the registry.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "io/duckdb.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "quality/rules/rule_table.h"
#include "registry/registry.h"
#include "repo/checker.h"
#include "repo/loader.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct PlanOptions {};
struct ApplyOptions {};

CLI::App* RegisterPlan(CLI::App& app, PlanOptions&) {
  return app.add_subcommand(
      "plan", "Show what `sluice apply` would add, change or remove (nothing is written)");
}

CLI::App* RegisterApply(CLI::App& app, ApplyOptions&) {
  return app.add_subcommand("apply",
                            "Check the definitions and record their versions in the registry");
}

// Loads and checks the repository's files.
repo::RepoDefinition LoadChecked(const GlobalOptions& g) {
  repo::RepoDefinition repo = repo::LoadRepo(RepoRoot(g), quality::ParseRule);
  io::DuckDb db;
  repo::CheckRepo(repo, db);
  quality::CheckSuites(repo);
  return repo;
}

// What plan and apply should tell beside the changes: settings that do not take effect.
std::vector<std::string> PlanWarnings(const repo::RepoDefinition& repo) {
  std::vector<std::string> out;
  const auto root = offline::OfflineRoot(repo);
  for (const repo::SourceDef& src : repo.sources) {
    const auto latest = offline::SourceLog(root, src.name).Latest();
    if (latest && latest->bucket_count != static_cast<uint32_t>(repo.config.bucket_count)) {
      out.push_back(fmt::format(
          "bucket_count is {} in sluice.yaml, but source '{}' keeps the {} buckets of its first "
          "ingest (bucket_count applies to sources not ingested yet)",
          repo.config.bucket_count, src.name, latest->bucket_count));
    }
  }
  return out;
}

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

json PlanJson(const std::vector<registry::PlanEntry>& plan) {
  json j = json::array();
  for (const auto& e : plan) {
    j.push_back({{"kind", e.kind},
                 {"name", e.name},
                 {"action", e.action},
                 {"old_version", e.old_version},
                 {"new_version", e.new_version},
                 {"changes", e.changes}});
  }
  return j;
}

void PrintPlan(const std::vector<registry::PlanEntry>& plan) {
  int add = 0, change = 0, remove = 0, same = 0;
  for (const auto& e : plan) {
    if (e.action == "add") {
      ++add;
      std::printf("  + %-16s %s (version %s)\n", e.kind.c_str(), e.name.c_str(),
                  e.new_version.c_str());
    } else if (e.action == "change") {
      ++change;
      std::printf("  ~ %-16s %s (%s -> %s)\n", e.kind.c_str(), e.name.c_str(),
                  e.old_version.c_str(), e.new_version.c_str());
      for (const std::string& c : e.changes) std::printf("      %s\n", c.c_str());
    } else if (e.action == "remove") {
      ++remove;
      std::printf("  - %-16s %s (version %s)\n", e.kind.c_str(), e.name.c_str(),
                  e.old_version.c_str());
    } else {
      ++same;
    }
  }
  std::printf("%d to add, %d to change, %d to remove, %d unchanged.\n", add, change, remove, same);
}

int RunPlan(const GlobalOptions& g, const PlanOptions&) {
  const repo::RepoDefinition repo = LoadChecked(g);
  registry::Registry reg(RegistryPath(repo.root, repo.config));
  const auto plan = reg.Plan(repo);
  const auto warnings = PlanWarnings(repo);
  if (g.json) {
    PrintJson({{"plan", PlanJson(plan)}, {"warnings", warnings}});
  } else {
    PrintPlan(plan);
    PrintWarnings(warnings);
  }
  return 0;
}

int RunApply(const GlobalOptions& g, const ApplyOptions&) {
  const repo::RepoDefinition repo = LoadChecked(g);
  registry::Registry reg(RegistryPath(repo.root, repo.config));
  const auto plan = reg.Apply(repo);
  const auto warnings = PlanWarnings(repo);
  if (g.json) {
    PrintJson({{"applied", true}, {"plan", PlanJson(plan)}, {"warnings", warnings}});
  } else {
    PrintPlan(plan);
    PrintWarnings(warnings);
    std::printf("Applied to %s.\n", RegistryPath(repo.root, repo.config).c_str());
  }
  return 0;
}

}  // namespace

void AddPlanCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterPlan, RunPlan);
}

void AddApplyCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterApply, RunApply);
}

}  // namespace sluice::cli
