// Reads a snapshot's segments a bucket at a time, for the feature engine.
#pragma once

#include <filesystem>

#include "engine/bucket_source.h"
#include "io/duckdb.h"
#include "offline/snapshot.h"

namespace sluice::offline {

// A BucketSource over the segments listed in a snapshot manifest. Holds references: `db` must
// outlive it. Not thread-safe.
class SegmentReader : public engine::BucketSource {
 public:
  SegmentReader(std::filesystem::path source_dir, SnapshotManifest manifest, io::DuckDb& db);
  uint32_t bucket_count() const override { return manifest_.bucket_count; }
  const std::vector<std::string>& partition_keys() const override {
    return manifest_.partition_keys;
  }
  // Throws InputError naming the segment files when they are missing or corrupt.
  Batch Read(uint32_t bucket, const std::vector<std::string>& columns) override;

 private:
  std::filesystem::path dir_;
  SnapshotManifest manifest_;
  io::DuckDb& db_;
};

}  // namespace sluice::offline
