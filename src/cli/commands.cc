// What the commands share: the repository they act on, its applied definitions, option parsing.
#include "cli/commands.h"

#include <fmt/format.h>

#include "registry/registry.h"
#include "repo/loader.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;

CLI::App& AddCommandGroup(CLI::App& parent, const std::string& name,
                          const std::string& description) {
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  group->footer(kGlobalOptionsHelp);
  return *group;
}

fs::path RepoRoot(const GlobalOptions& g) { return fs::absolute(g.repo).lexically_normal(); }

fs::path RegistryPath(const fs::path& root, const repo::ProjectConfig& config) {
  const fs::path p(config.registry);
  return p.is_absolute() ? p : root / p;
}

repo::RepoDefinition LoadApplied(const GlobalOptions& g) {
  const fs::path root = RepoRoot(g);
  const repo::ProjectConfig config = repo::LoadConfig(root);
  registry::Registry reg(RegistryPath(root, config));
  return reg.LoadApplied(root, config);
}

const repo::SourceDef& SourceOrThrow(const repo::RepoDefinition& repo, const std::string& name) {
  const repo::SourceDef* src = repo.FindSource(name);
  if (!src) throw NotFoundError("unknown source '" + name + "' (run `sluice list`)");
  return *src;
}

Micros ParseTimeOption(const std::string& text, const char* option) {
  const auto t = ParseTimestamp(text);
  if (!t) {
    throw UsageError(
        fmt::format("{} '{}' is not a timestamp (write 2026-01-31T12:00:00Z)", option, text));
  }
  return *t;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sluice::cli
