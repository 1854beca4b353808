#include "offline/gc.h"

#include <map>

#include "common/fs.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

namespace sluice::offline {
namespace fs = std::filesystem;

std::vector<GcResult> CollectGarbage(const fs::path& offline_root, int keep,
                                     const std::map<std::string, std::set<int64_t>>& pinned) {
  if (keep < 1) throw UsageError("--keep must be at least 1");
  std::vector<GcResult> results;
  std::error_code ec;
  std::vector<std::string> sources;
  for (const auto& e : fs::directory_iterator(offline_root, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && !name.starts_with(".")) sources.push_back(name);
  }
  std::sort(sources.begin(), sources.end());
  for (const std::string& source : sources) {
    SourceLog log(offline_root, source);
    FileLock lock(log.dir() / "LOCK");  // no ingest of this source runs meanwhile
    log.CreateDirectories();  // a source whose first delivery was rejected has no snapshots/
    GcResult r;
    r.source = source;
    const std::vector<int64_t> all = log.ListSnapshots();
    const auto pins = pinned.count(source) ? pinned.at(source) : std::set<int64_t>{};
    std::set<std::string> live;
    for (size_t i = 0; i < all.size(); ++i) {
      const bool newest = i + static_cast<size_t>(keep) >= all.size();
      if (newest || pins.count(all[i])) {
        r.kept_snapshots.push_back(all[i]);
        for (const Segment& s : log.Load(all[i]).segments) live.insert(s.path);
      } else {
        r.deleted_snapshots.push_back(all[i]);
      }
    }
    // Unlist snapshots first (newest deletions last), then delete what no kept one lists.
    for (int64_t n : r.deleted_snapshots) fs::remove(log.ManifestPath(n));
    for (const auto& e : fs::directory_iterator(log.dir() / "snapshots", ec)) {
      if (e.path().string().find(".tmp.") != std::string::npos) fs::remove(e.path());
    }
    FsyncDir(log.dir() / "snapshots");
    for (const auto& e : fs::directory_iterator(log.dir() / "segments", ec)) {
      const std::string rel = "segments/" + e.path().filename().string();
      if (live.count(rel)) continue;
      r.deleted_bytes += static_cast<int64_t>(e.file_size());
      fs::remove(e.path());
      ++r.deleted_segments;
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace sluice::offline
