// Reads a snapshot's segments a bucket at a time, for the feature engine.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/bucket_source.h"
#include "io/duckdb.h"
#include "offline/snapshot.h"

namespace sluice::offline {

// A BucketSource over the segments listed in a snapshot manifest. Read is thread-safe: each
// concurrent call uses its own single-threaded DuckDB instance from a small pool.
class SegmentReader : public engine::BucketSource {
 public:
  SegmentReader(std::filesystem::path source_dir, SnapshotManifest manifest);
  uint32_t bucket_count() const override { return manifest_.bucket_count; }
  const std::vector<std::string>& partition_keys() const override {
    return manifest_.partition_keys;
  }
  // Throws InputError naming the segment files when they are missing or corrupt.
  Batch Read(uint32_t bucket, const std::vector<std::string>& columns) override;

 private:
  std::filesystem::path dir_;
  SnapshotManifest manifest_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<io::DuckDb>> idle_;
};

}  // namespace sluice::offline
