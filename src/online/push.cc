#include "online/push.h"

#include <fmt/format.h>

#include "common/key.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "online/materialize.h"
#include "online/update.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

// Sequences of rows pushed to the online store only: after every logged row (which they are
// not part of), in push order.
constexpr int64_t kOnlineOnlySeq = int64_t{1} << 62;

}  // namespace

std::optional<PushTo> ParsePushTo(std::string_view text) {
  if (text == "online") return PushTo::kOnline;
  if (text == "offline") return PushTo::kOffline;
  if (text == "online_and_offline") return PushTo::kOnlineAndOffline;
  return std::nullopt;
}

Pusher::Pusher(const repo::RepoDefinition& repo, Store& store) : repo_(repo), store_(store) {
  for (const auto& fv : repo.feature_views) {
    views_[fv.source].push_back(std::make_unique<OnlineView>(repo, fv));
  }
}

Pusher::~Pusher() = default;

PushResult Pusher::Push(const std::string& source, const Batch& rows, PushTo to) {
  PushResult result;
  result.rows = static_cast<int64_t>(rows.num_rows);
  if (rows.num_rows == 0) return result;
  int64_t first_seq = kOnlineOnlySeq;
  std::optional<offline::SnapshotManifest> manifest;
  const offline::SourceLog log(offline::OfflineRoot(repo_), source);
  if (to != PushTo::kOnline) {
    offline::IngestOptions o;
    o.rows = &rows;
    const offline::IngestResult r = offline::Ingest(repo_, source, o);
    result.snapshot = r.snapshot;
    first_seq = r.first_seq;
    manifest = log.Load(r.snapshot);
  }
  if (to == PushTo::kOffline) return result;

  Batch with_seq = rows;
  Column seq(DataType::kInt64);
  for (size_t i = 0; i < rows.num_rows; ++i) {
    seq.Append(Value::Int(first_seq + static_cast<int64_t>(i)));
  }
  with_seq.AddColumn(offline::kSeqColumn, std::move(seq));

  // Rows by bucket of the log: a key whose pushed rows are not all after its stored newest
  // row is rebuilt from its bucket of the new snapshot.
  std::map<uint32_t, std::vector<uint32_t>> by_bucket;
  if (manifest) {
    std::vector<const Column*> pk;
    for (const std::string& k : manifest->partition_keys) pk.push_back(&with_seq.Get(k));
    std::string enc;
    for (uint32_t r = 0; r < rows.num_rows; ++r) {
      uint32_t bucket = 0;
      if (!pk.empty()) {
        enc.clear();
        AppendKeyEncoding(pk, r, enc);
        bucket = BucketOfKey(enc, manifest->bucket_count);
      }
      by_bucket[bucket].push_back(r);
    }
  }
  std::vector<std::pair<std::string, std::string>> puts;
  auto it = views_.find(source);
  if (it == views_.end()) return result;
  for (const auto& view : it->second) {
    if (!manifest) {
      const UpdateStats st = UpdateRecords(*view, store_, with_seq, true, {}, puts);
      result.late_rows_dropped += st.late_dropped;
      result.records_written += st.written;
      continue;
    }
    const int64_t done = MaterializedSnapshot(store_, *view);
    offline::SegmentReader reader(log.dir(), *manifest);
    for (const auto& [bucket, picked] : by_bucket) {
      const Batch part = with_seq.Gather(picked);
      const uint32_t b = bucket;
      const UpdateStats st = UpdateRecords(
          *view, store_, part, true, [&] { return reader.Read(b, view->columns()); }, puts);
      result.records_written += st.written;
    }
    // The records were up to date with the previous snapshot and now hold its successor's
    // rows too: materialize need not read them again.
    if (done == manifest->parent) puts.push_back(ProgressEntry(*view, manifest->snapshot));
  }
  if (!puts.empty()) store_.Write(puts);
  return result;
}

}  // namespace sluice::online
