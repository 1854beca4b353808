// The registry (SPEC §2, §3): every applied version of every definition, and which versions
// are current. A SQLite file in the repository (default .sluice/registry.db).
//
// Apply is one SQLite transaction: either all new versions and the new current set are
// recorded, or nothing is. Old versions are never deleted (datasets name them).
// Thread-safety: one Registry per thread.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "repo/definitions.h"

struct sqlite3;

namespace sluice::registry {

// One line of `sluice plan`.
struct PlanEntry {
  std::string kind;     // entity | source | feature_view | on_demand_view | feature_service
  std::string name;
  std::string action;   // add | change | remove | unchanged
  std::string old_version;
  std::string new_version;
  std::vector<std::string> changes;  // a change: what changed, field by field (DefinitionChanges)
};

// One applied version of a definition.
struct AppliedVersion {
  std::string version;
  int64_t applied_at = 0;  // microseconds since the epoch, when first applied
};

class Registry {
 public:
  // Opens the registry at `path`, creating the file and its tables when missing. Throws
  // InputError naming the file when it is not a sluice registry (corrupt or foreign).
  explicit Registry(const std::filesystem::path& path);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // What applying `repo` would do, in kind then name order.
  std::vector<PlanEntry> Plan(const repo::RepoDefinition& repo);
  // Records `repo`'s definitions as the current ones (new versions added, nothing forgotten).
  // Returns the plan that was applied.
  std::vector<PlanEntry> Apply(const repo::RepoDefinition& repo);
  // The currently applied definitions, as a RepoDefinition rooted at `root` with `config`.
  // Throws InputError when nothing has been applied yet.
  repo::RepoDefinition LoadApplied(const std::filesystem::path& root,
                                   const repo::ProjectConfig& config);
  // The stored canonical JSON of one version (with its "version" field), or throws InputError.
  nlohmann::json GetVersion(const std::string& kind, const std::string& name,
                            const std::string& version);
  // Every version of one definition ever applied, oldest first.
  std::vector<AppliedVersion> History(const std::string& kind, const std::string& name);

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace sluice::registry
