// `sluice materialize`: brings the online store up to date from the offline log, view by view,
// incrementally (docs/architecture.md, "The online path").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "online/store.h"
#include "repo/definitions.h"

namespace sluice::online {

struct MaterializeOptions {
  std::vector<std::string> views;  // feature views; empty = all
  // Materialize up to the newest snapshot committed at or before this time (default: the
  // newest snapshot). Snapshots are never split by event time, so runs stay incremental.
  std::optional<Micros> until;
  std::function<void(double)> progress;
};

struct ViewMaterialized {
  std::string view;
  std::string source;
  int64_t from_snapshot = 0;  // snapshot done before the run (0: none)
  int64_t to_snapshot = 0;    // snapshot done after the run
  bool full = false;          // rebuilt from every segment (first run, or the view changed)
  bool no_data = false;       // the source has no snapshot (at or before --until)
  int64_t rows_read = 0;      // source rows read from new segments
  int64_t entities_written = 0;
  int64_t entities_rebuilt = 0;  // keys rebuilt from their whole bucket (late or re-applied rows)
};

class OnlineView;

// The snapshot of the view's source that the store's records of this view version reflect
// (0: none, another version, or unreadable progress).
int64_t MaterializedSnapshot(Store& store, const OnlineView& view);
// The store entry recording that the view's records reflect `snapshot` of its source.
std::pair<std::string, std::string> ProgressEntry(const OnlineView& view, int64_t snapshot);

// Throws InputError for an unknown view name (with a suggestion), a source log that cannot be
// read, or a store that fails.
std::vector<ViewMaterialized> Materialize(const repo::RepoDefinition& repo, Store& store,
                                          const MaterializeOptions& options);

// The results as `materialize --json` and POST /materialize show them.
nlohmann::json MaterializedJson(const std::vector<ViewMaterialized>& results);

}  // namespace sluice::online
