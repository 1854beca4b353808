// `sluice list`: the applied definitions with their versions.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct ListOptions {};

CLI::App* RegisterList(CLI::App& app, ListOptions&) {
  return app.add_subcommand("list", "List the applied definitions with their versions");
}

// One line of the listing.
struct ListedDefinition {
  std::string kind;
  std::string name;
  std::string version;
  std::string detail;
};

std::string SourceDetail(const repo::SourceDef& s) {
  return fmt::format("{} {}, {} columns", repo::SourceTypeName(s.type),
                     s.type == repo::SourceType::kFile  ? s.path
                     : s.type == repo::SourceType::kSql ? "query"
                                                        : "(POST /push)",
                     s.schema.size());
}

std::string FeatureViewDetail(const repo::FeatureViewDef& v) {
  std::vector<std::string> features;
  for (const auto& f : v.features) features.push_back(f.name + ":" + std::string(TypeName(f.type)));
  return fmt::format("{} -> {}", v.source, fmt::join(features, ", "));
}

std::string FeatureServiceDetail(const repo::FeatureServiceDef& s) {
  std::vector<std::string> refs;
  for (const auto& r : s.features) {
    refs.push_back(r.feature.empty() ? r.view : r.view + ":" + r.feature);
  }
  return fmt::format("{}", fmt::join(refs, ", "));
}

// Every applied definition, kind by kind in the order of the listing.
std::vector<ListedDefinition> ListDefinitions(const repo::RepoDefinition& repo) {
  std::vector<ListedDefinition> out;
  for (const auto& e : repo.entities) {
    out.push_back(
        {"entity", e.name, e.version, fmt::format("join keys: {}", fmt::join(e.join_keys, ", "))});
  }
  for (const auto& s : repo.sources) out.push_back({"source", s.name, s.version, SourceDetail(s)});
  for (const auto& v : repo.feature_views) {
    out.push_back({"feature_view", v.name, v.version, FeatureViewDetail(v)});
  }
  for (const auto& v : repo.on_demand_views) {
    out.push_back({"on_demand_view", v.name, v.version,
                   fmt::format("inputs: {}", fmt::join(v.inputs, ", "))});
  }
  for (const auto& s : repo.feature_services) {
    out.push_back({"feature_service", s.name, s.version, FeatureServiceDetail(s)});
  }
  for (const auto& c : repo.checks) {
    out.push_back(
        {"check", c.name, c.version, fmt::format("{}: {} rules", c.source, c.rules.size())});
  }
  return out;
}

int RunList(const GlobalOptions& g, const ListOptions&) {
  const std::vector<ListedDefinition> listed = ListDefinitions(LoadApplied(g));
  if (g.json) {
    json j = json::array();
    for (const auto& d : listed) {
      j.push_back(
          {{"kind", d.kind}, {"name", d.name}, {"version", d.version}, {"detail", d.detail}});
    }
    PrintJson(j);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : listed) rows.push_back({d.kind, d.name, d.version, d.detail});
    PrintTable({"KIND", "NAME", "VERSION", "DETAIL"}, rows);
  }
  return 0;
}

}  // namespace

void AddListCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterList, RunList);
}

}  // namespace sluice::cli
