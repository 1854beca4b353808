#include "engine/bucket_source.h"

#include <algorithm>

#include "common/env.h"
#include "sluice/error.h"

namespace sluice::engine {
int CompareKey(const Column& key, size_t row, const Value& v) {
  if (key.type == DataType::kString) {
    const int c = key.str[row].compare(v.s);
    return (c > 0) - (c < 0);
  }
  return (key.i64[row] > v.i) - (key.i64[row] < v.i);
}

size_t SliceRows() {
  static const size_t rows = static_cast<size_t>(PositiveEnv("SLUICE_SLICE_ROWS", 1 << 18));
  return rows;
}

bool KeySlice::Contains(const Column& key, size_t row) const {
  if (lo && CompareKey(key, row, *lo) < 0) return false;
  return !hi || CompareKey(key, row, *hi) < 0;
}

std::vector<KeySlice> BucketSource::Slices(uint32_t, size_t) { return {KeySlice{}}; }

Batch BucketSource::Read(uint32_t bucket, const std::vector<std::string>& columns,
                         const KeySlice& slice) {
  Batch all = Read(bucket, columns);
  if (slice.whole()) return all;
  if (partition_keys().empty()) {
    throw InternalError("a key slice of a source without partition keys");
  }
  const Column& key = all.Get(partition_keys()[0]);
  std::vector<uint32_t> rows;
  for (size_t r = 0; r < all.num_rows; ++r) {
    if (slice.Contains(key, r)) rows.push_back(static_cast<uint32_t>(r));
  }
  return all.Gather(rows);
}

bool BucketSource::MergesSlices(uint32_t) { return false; }

std::unique_ptr<SliceReader> BucketSource::ReadSlices(uint32_t bucket,
                                                      const std::vector<std::string>& columns) {
  class ByRead : public SliceReader {
   public:
    ByRead(BucketSource& source, uint32_t bucket, std::vector<std::string> columns)
        : source_(source), bucket_(bucket), columns_(std::move(columns)) {}
    Batch Next(const KeySlice& slice) override { return source_.Read(bucket_, columns_, slice); }

   private:
    BucketSource& source_;
    uint32_t bucket_;
    std::vector<std::string> columns_;
  };
  return std::make_unique<ByRead>(*this, bucket, columns);
}

}  // namespace sluice::engine
