#include "online/materialize.h"

#include <atomic>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/key.h"
#include "common/parallel.h"
#include "common/text.h"
#include "common/time.h"
#include "engine/row_order.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "online/online_view.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

using nlohmann::json;

// Records written per store Write (bounds the size of one batch).
constexpr size_t kWriteChunk = 4096;

// One key's rows in a sorted batch: order[begin, end).
struct Group {
  std::string entity;  // encoded join keys
  size_t begin = 0, end = 0;
};

// Sorts `rows` in row order and cuts it into key groups.
std::vector<Group> GroupByKey(const OnlineView& view, const Batch& rows,
                              std::vector<uint32_t>& order) {
  const engine::LastValueSpec& spec = view.spec();
  std::vector<const Column*> keys;
  for (const std::string& k : spec.join_keys) keys.push_back(&rows.Get(k));
  const Column* created =
      spec.created_timestamp_field.empty() ? nullptr : &rows.Get(spec.created_timestamp_field);
  std::vector<uint32_t> all(rows.num_rows);
  std::iota(all.begin(), all.end(), 0u);
  order = engine::SortRows(keys, rows.Get(spec.timestamp_field), created,
                           rows.Get(offline::kSeqColumn).i64.data(), std::move(all));
  std::vector<Group> groups;
  std::string enc;
  for (size_t i = 0; i < order.size(); ++i) {
    enc.clear();
    AppendKeyEncoding(keys, order[i], enc);
    if (groups.empty() || groups.back().entity != enc) {
      if (!groups.empty()) groups.back().end = i;
      groups.push_back({enc, i, i});
    }
  }
  if (!groups.empty()) groups.back().end = order.size();
  return groups;
}

// Builds records for `groups` of `rows` on top of `base` (nullptr entries start empty) and
// appends their encodings to `puts`.
void BuildRecords(const OnlineView& view, const Batch& rows, const std::vector<uint32_t>& order,
                  const std::vector<const Group*>& groups, std::vector<ViewRecord>& records,
                  std::vector<std::pair<std::string, std::string>>& puts) {
  const OnlineView::Prepared prepared = view.Prepare(rows);
  std::vector<ViewRecord*> recs;
  std::vector<uint32_t> newest;
  for (size_t g = 0; g < groups.size(); ++g) {
    const Group& grp = *groups[g];
    view.Append(records[g], prepared, order.data() + grp.begin, grp.end - grp.begin);
    recs.push_back(&records[g]);
    newest.push_back(order[grp.end - 1]);
  }
  view.SetLastValues(recs, rows, newest);
  for (size_t g = 0; g < groups.size(); ++g) {
    view.Expire(records[g]);
    puts.emplace_back(RecordKey(view.def().name, groups[g]->entity), records[g].Encode());
  }
}

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
        throw InputError(fmt::format(
            "unknown feature view '{}'{}", name,
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
    int64_t done = 0;
    if (auto bytes = store.Get(ProgressKey(res.view))) {
      try {
        const json p = json::parse(*bytes);
        if (p.at("view_version").get<std::string>() == view.version()) {
          done = p.at("snapshot").get<int64_t>();
        }
      } catch (const std::exception&) {
        // Progress is derived state: a corrupt entry means "start over", never wrong values.
        done = 0;
      }
    }
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
      const Batch rows = reader.Read(bucket, view.columns());
      rows_read += static_cast<int64_t>(rows.num_rows);
      std::vector<uint32_t> order;
      const std::vector<Group> groups = GroupByKey(view, rows, order);
      // Stored records of these keys (none on a full rebuild).
      std::vector<std::optional<std::string>> stored(groups.size());
      if (!res.full) {
        std::vector<std::string> keys;
        for (const Group& g : groups) keys.push_back(RecordKey(res.view, g.entity));
        stored = store.MultiGet(keys);
      }
      std::vector<const Group*> append_groups;
      std::vector<ViewRecord> append_records;
      std::set<std::string> rebuild;
      for (size_t g = 0; g < groups.size(); ++g) {
        ViewRecord rec = view.NewRecord();
        if (stored[g]) {
          try {
            ViewRecord old = ViewRecord::Decode(*stored[g], res.view);
            if (old.view_version == view.version()) rec = std::move(old);
          } catch (const InputError&) {
            rebuild.insert(groups[g].entity);  // derived state: rebuild what does not decode
            continue;
          }
        }
        // Appending is exact only when every new row comes after the stored ones.
        if (rec.has_row && view.RowKeyOf(rows, order[groups[g].begin]).Compare(rec.newest) <= 0) {
          rebuild.insert(groups[g].entity);
          continue;
        }
        append_groups.push_back(&groups[g]);
        append_records.push_back(std::move(rec));
      }
      std::vector<std::pair<std::string, std::string>> puts;
      BuildRecords(view, rows, order, append_groups, append_records, puts);
      if (!rebuild.empty()) {
        // Late or re-applied rows: these keys start over from every segment of the bucket.
        const Batch all = whole.Read(bucket, view.columns());
        std::vector<uint32_t> all_order;
        const std::vector<Group> all_groups = GroupByKey(view, all, all_order);
        std::vector<const Group*> chosen;
        for (const Group& g : all_groups) {
          if (rebuild.count(g.entity)) chosen.push_back(&g);
        }
        std::vector<ViewRecord> fresh_records(chosen.size(), view.NewRecord());
        BuildRecords(view, all, all_order, chosen, fresh_records, puts);
        rebuilt += static_cast<int64_t>(chosen.size());
      }
      for (size_t i = 0; i < puts.size(); i += kWriteChunk) {
        store.Write(std::vector<std::pair<std::string, std::string>>(
            puts.begin() + i, puts.begin() + std::min(puts.size(), i + kWriteChunk)));
      }
      written += static_cast<int64_t>(puts.size());
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
    store.Write({{ProgressKey(res.view), json{{"view_version", view.version()},
                                              {"source", res.source},
                                              {"snapshot", target->snapshot},
                                              {"materialized_at", FormatTimestamp(NowMicros())}}
                                             .dump()}});
    res.to_snapshot = target->snapshot;
    res.rows_read = rows_read;
    res.entities_written = written;
    res.entities_rebuilt = rebuilt;
    results.push_back(res);
  }
  if (options.progress) options.progress(1.0);
  return results;
}

}  // namespace sluice::online
