#include "online/materialize.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/json.h"
#include "common/parallel.h"
#include "common/text.h"
#include "common/time.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "online/online_view.h"
#include "online/update.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

using nlohmann::json;

// Records written per store Write (bounds the size of one batch).
constexpr size_t kWriteChunk = 4096;

std::optional<offline::SnapshotManifest> Target(const offline::SourceLog& log,
                                                const std::optional<Micros>& until) {
  const std::vector<int64_t> snaps = log.ListSnapshots();
  for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
    offline::SnapshotManifest m = log.Load(*it);
    if (!until || m.created_at <= *until) return m;
  }
  return std::nullopt;
}

}  // namespace

int64_t MaterializedSnapshot(Store& store, const OnlineView& view) {
  if (auto bytes = store.Get(ProgressKey(view.def().name))) {
    try {
      const json p = json::parse(*bytes);
      if (p.at("view_version").get<std::string>() == view.version()) {
        return p.at("snapshot").get<int64_t>();
      }
    } catch (const std::exception&) {
      // Progress is derived state: a corrupt entry means "start over", never wrong values.
    }
  }
  return 0;
}

std::pair<std::string, std::string> ProgressEntry(const OnlineView& view, int64_t snapshot) {
  return {ProgressKey(view.def().name),
          JsonText(json{{"view_version", view.version()},
                        {"source", view.def().source},
                        {"snapshot", snapshot},
                        {"materialized_at", FormatTimestamp(NowMicros())}})};
}

std::vector<ViewMaterialized> Materialize(const repo::RepoDefinition& repo, Store& store,
                                          const MaterializeOptions& options) {
  std::vector<const repo::FeatureViewDef*> views;
  if (options.views.empty()) {
    for (const auto& v : repo.feature_views) views.push_back(&v);
  } else {
    std::vector<std::string> names;
    for (const auto& v : repo.feature_views) names.push_back(v.name);
    for (const std::string& name : options.views) {
      const repo::FeatureViewDef* v = repo.FindFeatureView(name);
      if (!v) {
        const std::string near = ClosestName(name, names);
        throw NotFoundError(
            fmt::format("unknown feature view '{}'{}", name,
                        near.empty() ? fmt::format(" (feature views: {})", fmt::join(names, ", "))
                                     : "; did you mean '" + near + "'?"));
      }
      views.push_back(v);
    }
  }
  const std::filesystem::path offline_root = offline::OfflineRoot(repo);
  std::vector<ViewMaterialized> results;
  for (size_t vi = 0; vi < views.size(); ++vi) {
    const OnlineView view(repo, *views[vi]);
    ViewMaterialized res;
    res.view = view.def().name;
    res.source = view.def().source;
    // Progress of earlier runs: the snapshot done, for this view version.
    const int64_t done = MaterializedSnapshot(store, view);
    res.full = done == 0;
    res.from_snapshot = done;
    res.to_snapshot = done;
    const offline::SourceLog log(offline_root, res.source);
    const std::optional<offline::SnapshotManifest> target = Target(log, options.until);
    if (!target) {
      res.no_data = true;
      results.push_back(res);
      continue;
    }
    if (target->snapshot <= done) {
      results.push_back(res);
      continue;
    }
    std::map<uint32_t, std::vector<offline::Segment>> fresh;  // new segments by bucket
    for (const offline::Segment& s : target->segments) {
      if (s.snapshot > done && s.rows > 0) fresh[s.bucket].push_back(s);
    }
    std::vector<uint32_t> buckets;
    for (const auto& [b, segs] : fresh) buckets.push_back(b);
    offline::SegmentReader whole(log.dir(), *target);
    std::atomic<int64_t> rows_read{0}, written{0}, rebuilt{0};
    std::mutex progress_mutex;
    size_t buckets_done = 0;
    ParallelFor(buckets.size(), DefaultThreads(), [&](size_t bi, int) {
      const uint32_t bucket = buckets[bi];
      offline::SnapshotManifest part = *target;
      part.segments = fresh.at(bucket);
      offline::SegmentReader reader(log.dir(), part);
      // A large bucket a key slice at a time (engine/bucket_source.h): bounded memory. Keys
      // never straddle slices, so a key's rebuild reads only its slice of the whole bucket.
      const std::vector<engine::KeySlice> slices = reader.Slices(bucket, engine::SliceRows());
      const std::unique_ptr<engine::SliceReader> sliced =
          reader.ReadSlices(bucket, view.columns());  // many runs: merged, each row read once
      for (const engine::KeySlice& slice : slices) {
        const Batch rows = sliced->Next(slice);
        rows_read += static_cast<int64_t>(rows.num_rows);
        std::vector<std::pair<std::string, std::string>> puts;
        const UpdateStats st = UpdateRecords(
            view, store, rows, !res.full, [&] { return whole.Read(bucket, view.columns(), slice); },
            puts);
        rebuilt += st.rebuilt;
        for (size_t i = 0; i < puts.size(); i += kWriteChunk) {
          store.Write(std::vector<std::pair<std::string, std::string>>(
              puts.begin() + i, puts.begin() + std::min(puts.size(), i + kWriteChunk)));
        }
        written += static_cast<int64_t>(puts.size());
      }
      CrashPoint("materialize:after-bucket");
      if (options.progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        options.progress((vi + static_cast<double>(++buckets_done) / buckets.size()) /
                         views.size());
      }
    });
    CrashPoint("materialize:before-progress");
    // Progress last: a crash before this line reruns the same segments, which rebuilds the
    // keys already written (their rows are no longer after the stored newest row).
    store.Write({ProgressEntry(view, target->snapshot)});
    res.to_snapshot = target->snapshot;
    res.rows_read = rows_read;
    res.entities_written = written;
    res.entities_rebuilt = rebuilt;
    results.push_back(res);
  }
  if (options.progress) options.progress(1.0);
  return results;
}

json MaterializedJson(const std::vector<ViewMaterialized>& results) {
  json views = json::array();
  for (const auto& r : results) {
    views.push_back({{"view", r.view},
                     {"source", r.source},
                     {"from_snapshot", r.from_snapshot},
                     {"to_snapshot", r.to_snapshot},
                     {"full", r.full},
                     {"no_data", r.no_data},
                     {"rows_read", r.rows_read},
                     {"entities_written", r.entities_written},
                     {"entities_rebuilt", r.entities_rebuilt}});
  }
  return views;
}

}  // namespace sluice::online
