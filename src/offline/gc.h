// `sluice gc --keep N` (SPEC §4): deletes old snapshots and the segment files no remaining
// snapshot lists. A snapshot that a dataset manifest names is always kept, with its segments,
// so `sluice dataset reproduce` keeps working.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "repo/definitions.h"

namespace sluice::offline {

struct GcResult {
  std::string source;
  std::vector<int64_t> kept_snapshots;
  std::vector<int64_t> deleted_snapshots;
  int64_t deleted_segments = 0;  // segment files, including orphans of crashed ingests
  int64_t deleted_bytes = 0;
};

// Keeps the newest `keep` snapshots (>= 1) of every source directory under the offline store,
// plus every snapshot named in `pinned` (source → snapshot numbers, from dataset manifests).
std::vector<GcResult> CollectGarbage(const std::filesystem::path& offline_root, int keep,
                                     const std::map<std::string, std::set<int64_t>>& pinned);

}  // namespace sluice::offline
