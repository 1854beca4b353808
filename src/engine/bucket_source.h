// What the feature engine reads: a source's rows, one bucket at a time. The offline store
// implements it over Parquet segments; tests implement it over in-memory batches. The engine
// knows nothing of files or stores beyond this.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice::engine {

// A range of the first partition key within a bucket: rows with lo <= key < hi, an absent
// bound open. Rows of a bucket are sorted by the partition keys, so a slice is a contiguous
// part of every sorted run, and a reader can skip what lies outside it.
struct KeySlice {
  std::optional<Value> lo, hi;  // same type as the key column (int64 or string)

  bool whole() const { return !lo && !hi; }
  // Whether row `row` of `key` (non-null) lies in the slice.
  bool Contains(const Column& key, size_t row) const;
};

// -1, 0, 1: row `row` of `key` against `v` (same type; int64 numerically, strings bytewise:
// the order segments are sorted in).
int CompareKey(const Column& key, size_t row, const Value& v);

// Source rows the engine and materialize read at once, about: the slice size (default 2^18;
// SLUICE_SLICE_ROWS overrides, docs/guide.md "Environment").
size_t SliceRows();

// Consecutive slices of one bucket, read in key order (see BucketSource::ReadSlices).
class SliceReader {
 public:
  virtual ~SliceReader() = default;
  // The rows of the next slice wanted, as BucketSource::Read(bucket, columns, slice). Slices
  // come in key order and do not overlap; slices may be skipped.
  virtual Batch Next(const KeySlice& slice) = 0;
};

class BucketSource {
 public:
  virtual ~BucketSource() = default;
  // Number of buckets rows are spread over (>= 1).
  virtual uint32_t bucket_count() const = 0;
  // The keys rows are bucketed by (common/key.h encoding); empty = all rows in bucket 0.
  virtual const std::vector<std::string>& partition_keys() const = 0;
  // Rows of `bucket` with exactly `columns` (names of source columns or "_seq"), any order.
  // Throws InputError when the underlying data is unreadable. Must be safe to call
  // concurrently for different buckets (the engine reads buckets in parallel).
  virtual Batch Read(uint32_t bucket, const std::vector<std::string>& columns) = 0;

  // `bucket` cut into slices of the first partition key holding about `max_rows` rows each
  // (more when one key holds more), in key order, covering every key. The default, and any
  // bucket of at most `max_rows` rows: one whole slice. Safe to call concurrently.
  virtual std::vector<KeySlice> Slices(uint32_t bucket, size_t max_rows);
  // The rows of `bucket` in `slice`, as Read. The default reads the whole bucket and filters.
  virtual Batch Read(uint32_t bucket, const std::vector<std::string>& columns,
                     const KeySlice& slice);
  // A reader of `bucket`'s slices in key order, for a worker that takes them one after the
  // other: a source can then read each row once instead of once per slice. The default calls
  // Read(bucket, columns, slice) for each. Safe to call concurrently; each reader is used by
  // one thread.
  virtual std::unique_ptr<SliceReader> ReadSlices(uint32_t bucket,
                                                  const std::vector<std::string>& columns);
  // Whether ReadSlices does better than a Read per slice for `bucket` (then its slices are
  // worth taking in order on one worker; else they are spread over the workers). Default: no.
  virtual bool MergesSlices(uint32_t bucket);
};

}  // namespace sluice::engine
