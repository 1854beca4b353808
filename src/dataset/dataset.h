// Training datasets (SPEC §5.4): point-in-time correct feature values for every row of an
// entity file, written as datasets/NAME/data.parquet with a manifest that makes the dataset
// reproducible from the manifest alone.
//
// Layout of datasets/NAME/:
//   data.parquet     entity columns (in file order, canonical types), then view__feature columns
//   entities.<ext>   a byte-exact copy of the entity file (its sha256 is in the manifest), or
//                    of an entity query's result as Parquet
//   manifest.json    service, view and source definitions with versions, the snapshot of every
//                    source used (with its segment list and hashes), row count, content hash
// The directory is built under a temporary name and renamed into place, so a crash never
// leaves a half-written dataset under its name.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include "quality/suite.h"
#include "repo/definitions.h"

namespace sluice::dataset {

struct CreateOptions {
  std::string name;
  std::string service;
  std::string entities_path;
  // Instead of a file: a DuckDB SQL query whose result is the entity set (relative paths in it
  // from the repository root). Its rows are kept as entities.parquet, so the dataset still
  // reproduces from its manifest alone; the manifest records the query.
  std::string entities_query;
  std::string timestamp_column = "event_timestamp";
  bool force = false;  // replace an existing dataset of the same name
  std::function<void(double)> progress;
};

struct DatasetSummary {
  std::string name;
  std::filesystem::path dir;
  int64_t rows = 0;
  std::string content_hash;
  nlohmann::json manifest;
  // The results of the check suites attached to datasets of this name (SPEC §7).
  std::vector<quality::CheckResult> checks;
  // A rule with severity fail failed: the dataset was not written (an existing one of the
  // same name is untouched).
  bool rejected = false;
};

// Builds dataset `options.name` for the applied repository `repo`, from the newest snapshot of
// every source the service reads, and runs the check suites attached to datasets of that name
// on its rows before writing it. Throws InputError for an unknown service, a missing or
// mistyped column in the entity file, a source without data, an existing dataset (without
// force), or a suite naming a column the dataset does not have.
DatasetSummary Create(const repo::RepoDefinition& repo, const CreateOptions& options);

struct ReproduceResult {
  std::string name;
  bool matches = false;
  std::string expected_hash;
  std::string actual_hash;
  int64_t rows = 0;
};

// Rebuilds dataset `name` of the repository at `root` from its manifest alone (definitions,
// snapshots and the entity-file copy it records) and compares content hashes. Rewrites
// data.parquet when it is missing. Throws InputError when the manifest, entity copy or a
// recorded segment is missing or altered.
ReproduceResult Reproduce(const std::filesystem::path& root, const std::string& name,
                          const std::function<void(double)>& progress = {});

// A dataset found under `root`/datasets: its manifest, or why it cannot be read (one broken
// manifest does not hide the others).
struct ListedDataset {
  std::string name;
  nlohmann::json manifest;  // null when broken
  std::string problem;      // "" when the manifest is readable and has its fields
};

// Every dataset under `root`/datasets, by name.
std::vector<ListedDataset> List(const std::filesystem::path& root);
// Deletes dataset `name` of the repository at `root`: renamed aside (`.NAME.deleted-PID`, so
// that it disappears from listings at once, whole), then removed. NotFoundError when there is
// no such dataset. Snapshots it alone kept become collectable by gc.
void Delete(const std::filesystem::path& root, const std::string& name);

// Removes the temporary directories (`.NAME.tmp-PID`, `.NAME.old-PID`) that a `dataset
// create` killed before its rename left under `root`/datasets, those of a live process
// excepted. Returns how many it removed.
int RemoveAbandoned(const std::filesystem::path& root);

// One dataset's manifest; throws InputError when absent.
nlohmann::json Show(const std::filesystem::path& root, const std::string& name);

}  // namespace sluice::dataset
