// `sluice plan`, `sluice apply`, `sluice list`.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "io/duckdb.h"
#include "quality/rules/rule_table.h"
#include "registry/registry.h"
#include "repo/checker.h"
#include "repo/loader.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path RepoRoot(const GlobalOptions& g) { return fs::absolute(g.repo).lexically_normal(); }

void PrintJson(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

namespace {

fs::path RegistryPath(const fs::path& root, const repo::ProjectConfig& config) {
  const fs::path p(config.registry);
  return p.is_absolute() ? p : root / p;
}

json PlanJson(const std::vector<registry::PlanEntry>& plan) {
  json j = json::array();
  for (const auto& e : plan) {
    j.push_back({{"kind", e.kind},
                 {"name", e.name},
                 {"action", e.action},
                 {"old_version", e.old_version},
                 {"new_version", e.new_version}});
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

// Loads and checks the repository's files.
repo::RepoDefinition LoadChecked(const GlobalOptions& g) {
  repo::RepoDefinition repo = repo::LoadRepo(RepoRoot(g), quality::ParseRule);
  io::DuckDb db;
  repo::CheckRepo(repo, db);
  quality::CheckSuites(repo);
  return repo;
}

}  // namespace

repo::RepoDefinition LoadApplied(const GlobalOptions& g) {
  const fs::path root = RepoRoot(g);
  const repo::ProjectConfig config = repo::LoadConfig(root);
  registry::Registry reg(RegistryPath(root, config));
  return reg.LoadApplied(root, config);
}

void AddRepoCommands(CLI::App& app, const GlobalOptions& g, Action& action) {
  CLI::App* plan = app.add_subcommand(
      "plan", "Show what `sluice apply` would add, change or remove (nothing is written)");
  plan->callback([&g, &action] {
    action = [&g] {
      repo::RepoDefinition repo = LoadChecked(g);
      registry::Registry reg(RegistryPath(repo.root, repo.config));
      auto p = reg.Plan(repo);
      if (g.json) {
        PrintJson({{"plan", PlanJson(p)}});
      } else {
        PrintPlan(p);
      }
      return 0;
    };
  });

  CLI::App* apply = app.add_subcommand(
      "apply", "Check the definitions and record their versions in the registry");
  apply->callback([&g, &action] {
    action = [&g] {
      repo::RepoDefinition repo = LoadChecked(g);
      registry::Registry reg(RegistryPath(repo.root, repo.config));
      auto p = reg.Apply(repo);
      if (g.json) {
        PrintJson({{"applied", true}, {"plan", PlanJson(p)}});
      } else {
        PrintPlan(p);
        std::printf("Applied to %s.\n", RegistryPath(repo.root, repo.config).c_str());
      }
      return 0;
    };
  });

  CLI::App* list = app.add_subcommand("list", "List the applied definitions with their versions");
  list->callback([&g, &action] {
    action = [&g] {
      repo::RepoDefinition repo = LoadApplied(g);
      json j = json::array();
      std::vector<std::vector<std::string>> rows;
      auto add = [&](const char* kind, const std::string& name, const std::string& version,
                     const std::string& detail) {
        j.push_back({{"kind", kind}, {"name", name}, {"version", version}, {"detail", detail}});
        rows.push_back({kind, name, version, detail});
      };
      for (const auto& e : repo.entities) {
        add("entity", e.name, e.version, fmt::format("join keys: {}", fmt::join(e.join_keys, ", ")));
      }
      for (const auto& s : repo.sources) {
        add("source", s.name, s.version,
            fmt::format("{} {}, {} columns", repo::SourceTypeName(s.type),
                        s.type == repo::SourceType::kFile  ? s.path
                        : s.type == repo::SourceType::kSql ? "query"
                                                           : "(POST /push)",
                        s.schema.size()));
      }
      for (const auto& v : repo.feature_views) {
        std::vector<std::string> fs;
        for (const auto& f : v.features) fs.push_back(f.name + ":" + std::string(TypeName(f.type)));
        add("feature_view", v.name, v.version,
            fmt::format("{} -> {}", v.source, fmt::join(fs, ", ")));
      }
      for (const auto& v : repo.on_demand_views) {
        add("on_demand_view", v.name, v.version, fmt::format("inputs: {}", fmt::join(v.inputs, ", ")));
      }
      for (const auto& s : repo.feature_services) {
        std::vector<std::string> refs;
        for (const auto& r : s.features) refs.push_back(r.feature.empty() ? r.view : r.view + ":" + r.feature);
        add("feature_service", s.name, s.version, fmt::format("{}", fmt::join(refs, ", ")));
      }
      for (const auto& c : repo.checks) {
        add("check", c.name, c.version, fmt::format("{}: {} rules", c.source, c.rules.size()));
      }
      if (g.json) {
        PrintJson(j);
      } else {
        PrintTable({"KIND", "NAME", "VERSION", "DETAIL"}, rows);
      }
      return 0;
    };
  });
}

}  // namespace sluice::cli
