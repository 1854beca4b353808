// What the feature engine reads: a source's rows, one bucket at a time. The offline store
// implements it over Parquet segments; tests implement it over in-memory batches. The engine
// knows nothing of files or stores beyond this.
#pragma once

#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice::engine {

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
};

}  // namespace sluice::engine
