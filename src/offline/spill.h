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
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice::offline {

class BucketSpill {
 public:
  // Spills rows with `schema` into `bucket_count` files in `dir`, which is emptied first (a
  // crashed run may have left files there) and removed by the destructor.
  BucketSpill(std::filesystem::path dir, Schema schema, uint32_t bucket_count);
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
  // Thread-safe for different buckets once flushed.
  Batch Read(uint32_t bucket, const std::string& seq_column) const;

 private:
  struct Bucket {
    int fd = -1;
    std::string buffer;
    int64_t rows = 0;
  };
  void WriteOut(Bucket& b);
  std::filesystem::path dir_;
  Schema schema_;
  std::vector<Bucket> buckets_;
};

}  // namespace sluice::offline
