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
  // Cuts from the Parquet row groups' statistics of the first partition key (the footers of
  // the bucket's segments; no data is read); finer than `max_rows` when the bucket has more
  // than 8 segments (ReadSlices holds a little per segment).
  std::vector<engine::KeySlice> Slices(uint32_t bucket, size_t max_rows) override;
  // A filter on the first partition key, which DuckDB pushes down to the row groups.
  Batch Read(uint32_t bucket, const std::vector<std::string>& columns,
             const engine::KeySlice& slice) override;
  // A bucket of 5 segments or more is merged on read: one streaming scan per segment (each
  // sorted by the key), each advanced up to the slice's upper bound, so every row is read once
  // however many runs the bucket has; memory holds a chunk per segment besides the slice.
  // Fewer segments are read by a filter per slice (Read).
  std::unique_ptr<engine::SliceReader> ReadSlices(uint32_t bucket,
                                                  const std::vector<std::string>& columns) override;
  bool MergesSlices(uint32_t bucket) override;

 private:
  // The bucket's segment files (checked to exist) and their rows in all.
  std::vector<std::string> Files(uint32_t bucket, size_t* rows) const;
  std::string Context(uint32_t bucket) const;
  // A single-threaded DuckDB from the pool (or a new one), and back.
  std::unique_ptr<io::DuckDb> Borrow();
  void Return(std::unique_ptr<io::DuckDb> db);

  std::filesystem::path dir_;
  SnapshotManifest manifest_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<io::DuckDb>> idle_;
};

}  // namespace sluice::offline
