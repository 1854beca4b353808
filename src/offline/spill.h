// Bucket spill files: how ingest partitions a delivery of any size by bucket in one pass and
// then reads it back one bucket at a time, so memory holds one bucket per worker, not the
// delivery.
//
// Each bucket has one append-only file of blocks; a block holds some rows of the source's
// columns plus their ingestion sequence:
//   u32 rows, then per column: rows validity bytes (1 = value), then the payload:
//   int64/timestamp/bool/float64 → rows × 8 bytes; string → rows × u32 length, then the bytes;
//   float64 list → rows × u32 length, then the doubles;
//   then rows × int64 sequence numbers.
// Native byte order: the files live for one ingest on one machine and are never committed.
//
// A bucket is read back whole or in runs: consecutive blocks of at most a given number of rows
// (at least one block), so that ingest holds a bounded number of rows whatever the delivery's
// size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice::offline {

// Consecutive blocks [first_block, end_block) of one bucket's file, `rows` rows in all.
struct SpillRun {
  size_t first_block = 0;
  size_t end_block = 0;
  int64_t rows = 0;
};

class BucketSpill {
 public:
  // Spills rows with `schema` into `bucket_count` files in `dir`, which is emptied first (a
  // crashed run may have left files there) and removed by the destructor. A block holds at
  // most `max_block_rows` rows (the granularity of runs).
  BucketSpill(std::filesystem::path dir, Schema schema, uint32_t bucket_count,
              uint32_t max_block_rows = UINT32_MAX);
  ~BucketSpill();
  BucketSpill(const BucketSpill&) = delete;
  BucketSpill& operator=(const BucketSpill&) = delete;

  // Appends rows `rows` of `columns` (one per schema field, in schema order) to `bucket`, row
  // rows[i] getting sequence number seq_base + rows[i].
  void Append(uint32_t bucket, const std::vector<const Column*>& columns,
              const std::vector<uint32_t>& rows, int64_t seq_base);
  // Writes out what is buffered; call before Read.
  void Flush();

  uint32_t bucket_count() const { return static_cast<uint32_t>(buckets_.size()); }
  int64_t rows(uint32_t bucket) const { return buckets_[bucket].rows; }
  // All rows of `bucket` in append order: the schema's columns, then `seq_column` (int64).
  // Thread-safe once flushed.
  Batch Read(uint32_t bucket, const std::string& seq_column) const;
  // `bucket`'s blocks split into runs of at most `max_rows` rows (a single larger block is a
  // run of its own), as many as that takes and of about equal size, in append order. Empty
  // when the bucket has no rows.
  std::vector<SpillRun> Runs(uint32_t bucket, int64_t max_rows) const;
  // The rows of one run, as Read. Thread-safe once flushed.
  Batch Read(uint32_t bucket, const std::string& seq_column, const SpillRun& run) const;

 private:
  struct Block {
    uint64_t offset = 0;  // in the bucket's file
    uint32_t rows = 0;
  };
  struct Bucket {
    std::string buffer;
    uint64_t file_bytes = 0;  // written to the file so far
    std::vector<Block> blocks;
    int64_t rows = 0;
  };
  void WriteOut(Bucket& b);
  void AppendBlock(uint32_t bucket, const std::vector<const Column*>& columns, const uint32_t* rows,
                   size_t n, int64_t seq_base);
  std::filesystem::path dir_;
  Schema schema_;
  uint32_t max_block_rows_;
  std::vector<Bucket> buckets_;
};

}  // namespace sluice::offline
