#include "offline/history.h"

#include <fmt/format.h>

#include "common/fs.h"
#include "common/hash.h"
#include "common/key.h"
#include "offline/ingest.h"
#include "sluice/error.h"

namespace sluice::offline {
namespace fs = std::filesystem;

std::optional<quality::Profile> LogHistory::Reference(const std::string& spec) {
  if (spec.rfind("file:", 0) == 0) {
    const fs::path p = root_ / spec.substr(5);
    if (!fs::is_regular_file(p)) {
      throw InputError(fmt::format("drift reference {}: no such file {}", spec, p.string()));
    }
    return quality::ProfileFile(p.string());
  }
  if (spec.rfind("snapshot:", 0) == 0) {
    return SnapshotProfile(log_, log_.Load(std::stoll(spec.substr(9))), false);
  }
  const size_t n = spec == "previous" ? 1 : std::stoull(spec.substr(5));  // last:N
  quality::Profile merged;
  bool any = false;
  for (size_t i = past_.size(); i-- > 0 && n > 0;) {
    if (!past_[i].profile && past_[i].delivery.profile_path.empty()) continue;  // --no-profile
    merged.Merge(past_[i].profile ? *past_[i].profile : DeliveryProfile(log_, past_[i].delivery));
    any = true;
    if (past_.size() - i >= n) break;
  }
  if (!any) return std::nullopt;
  return merged;
}

std::vector<int64_t> LogHistory::RecentRows(int64_t n) {
  std::vector<int64_t> out;
  const size_t from = past_.size() > static_cast<size_t>(n) ? past_.size() - n : 0;
  for (size_t i = from; i < past_.size(); ++i) {
    out.push_back(past_[i].delivery.rows - past_[i].delivery.quarantined);
  }
  return out;
}

// The distinct keys over `columns` of source `name`'s newest snapshot, hashed as referential
// rules compare them (XXH64 of the key encoding). Empty when the source has no snapshot.
quality::DeliveryCheck::KeySet SourceKeys(const repo::RepoDefinition& repo, const std::string& name,
                                          const std::vector<std::string>& columns, io::DuckDb& db) {
  quality::DeliveryCheck::KeySet keys;
  const SourceLog log(OfflineRoot(repo), name);
  const std::optional<SnapshotManifest> m = log.Latest();
  if (!m || m->segments.empty()) return keys;
  std::string files, select;
  for (const Segment& seg : m->segments) {
    files += (files.empty() ? "" : ", ") + io::QuoteLiteral(log.SegmentPath(seg.path).string());
  }
  for (const std::string& c : columns) select += (select.empty() ? "" : ", ") + io::QuoteIdent(c);
  std::string encoded;
  const size_t limit = quality::DeliveryCheck::KeySetLimit();
  db.QueryChunks(
      fmt::format("SELECT DISTINCT {} FROM read_parquet([{}])", select, files),
      [&](Batch&& b) {
        std::vector<const Column*> cols;
        for (const std::string& c : columns) cols.push_back(&b.Get(c));
        // Past the limit the set stops growing; DeliveryCheck then names the rule in an error.
        for (size_t r = 0; r < b.num_rows && keys.size() <= limit; ++r) {
          encoded.clear();
          AppendKeyEncoding(cols, r, encoded);
          keys.Insert(Xxh64(encoded.data(), encoded.size()));
        }
      },
      "reading the keys of source '" + name + "'");
  return keys;
}

quality::Profile DeliveryProfile(const SourceLog& log, const Delivery& d) {
  const fs::path p = log.dir() / d.profile_path;
  return quality::Profile::Deserialize(ReadFile(p), "profile " + p.string());
}

quality::Profile SnapshotProfile(const SourceLog& log, const SnapshotManifest& m,
                                 bool require_every) {
  quality::Profile merged(m.schema);
  for (const Delivery& d : m.deliveries) {
    if (!d.profile_path.empty()) {
      merged.Merge(DeliveryProfile(log, d));
    } else if (require_every) {
      throw InputError(
          fmt::format("source '{}': delivery {} of snapshot {} has no profile (it "
                      "was ingested with --no-profile, or by a sluice without "
                      "profiles)",
                      m.source, d.file, d.snapshot));
    }
  }
  return merged;
}

}  // namespace sluice::offline
