// The offline store's on-disk layout (SPEC §4), one directory per source:
//
//   <offline_store>/<source>/LOCK                      writers of this source serialise on it
//   <offline_store>/<source>/segments/<s>-<b>.parquet  immutable, sorted segment files
//   <offline_store>/<source>/snapshots/<s>.json        one manifest per snapshot (8 digits)
//   <offline_store>/<source>/quarantine/<s>-<d>-<part>.parquet  rows a check suite
//                                   quarantined from delivery d of snapshot s, with _row, _reason
//   <offline_store>/<source>/profiles/<s>-<d>.profile  the profile of delivery d's committed rows
//
// A snapshot manifest lists every live segment of the source, so each snapshot stands alone.
// The newest manifest file present is the current snapshot; manifests appear only by atomic
// rename, so a crash leaves either the old or the new snapshot, never a partial one.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice::offline {

struct Segment {
  std::string path;  // relative to the source directory
  uint32_t bucket = 0;
  int64_t rows = 0;
  Micros min_ts = 0;
  Micros max_ts = 0;
  std::string sha256;    // of the file's bytes
  int64_t snapshot = 0;  // the snapshot that added it
};

struct Delivery {
  std::string content_hash;  // sha256 of a file's bytes, or of a SQL result's canonical rows
  std::string file;          // the file it came from ("" for a SQL source)
  int64_t rows = 0;          // rows read (committed + quarantined)
  int64_t snapshot = 0;
  int64_t quarantined = 0;                    // rows a check suite quarantined (SPEC §7)
  std::vector<std::string> quarantine_paths;  // their files, relative to the source directory
  std::string profile_path;  // the profile of its committed rows (quality/profile.h)
};

struct SnapshotManifest {
  int64_t snapshot = 0;  // 1, 2, ...
  int64_t parent = 0;    // 0 for the first
  std::string source;
  std::string source_version;
  Micros created_at = 0;
  Schema schema;  // source columns in the segments (plus _seq, not listed)
  std::vector<std::string> partition_keys;
  uint32_t bucket_count = 1;
  int64_t next_seq = 0;  // ingestion sequence of the next row to be ingested
  std::vector<Delivery> deliveries;
  std::vector<Segment> segments;

  int64_t TotalRows() const;
  nlohmann::json ToJson() const;
  static SnapshotManifest FromJson(const nlohmann::json& j);
};

// Name of the per-row ingestion sequence column in every segment.
inline constexpr const char* kSeqColumn = "_seq";

// Paths of one source's log.
class SourceLog {
 public:
  SourceLog(const std::filesystem::path& offline_root, const std::string& source);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path SegmentPath(const std::string& rel) const { return dir_ / rel; }
  std::filesystem::path ManifestPath(int64_t snapshot) const;

  // Creates the source's directories (segments/, snapshots/) if missing. Writers call it
  // first, so that every source directory has the full layout even before its first commit.
  void CreateDirectories() const;

  // Snapshot numbers present, ascending.
  std::vector<int64_t> ListSnapshots() const;
  // The newest snapshot, or nullopt when nothing was ever committed.
  std::optional<SnapshotManifest> Latest() const;
  // Snapshot `n`; throws InputError naming the source and number when absent or corrupt.
  SnapshotManifest Load(int64_t n) const;
  // Durably writes `m` as snapshot m.snapshot (temp file, fsync, rename, fsync dir). Fails if
  // that snapshot already exists (never overwrites a committed snapshot).
  void Commit(const SnapshotManifest& m) const;

 private:
  std::filesystem::path dir_;
  std::string source_;
};

}  // namespace sluice::offline
