// Test helper: an in-memory BucketSource that buckets rows exactly as ingest does.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "common/key.h"
#include "engine/bucket_source.h"

namespace sluice::engine {

class MemorySource : public BucketSource {
 public:
  MemorySource(Batch rows, std::vector<std::string> partition_keys, uint32_t buckets)
      : pk_(std::move(partition_keys)), buckets_(buckets), parts_(buckets) {
    std::vector<const Column*> keys;
    for (const auto& k : pk_) keys.push_back(&rows.Get(k));
    std::vector<std::vector<uint32_t>> idx(buckets);
    for (size_t r = 0; r < rows.num_rows; ++r) {
      std::string enc;
      AppendKeyEncoding(keys, r, enc);
      idx[pk_.empty() ? 0 : BucketOfKey(enc, buckets)].push_back(static_cast<uint32_t>(r));
    }
    for (uint32_t b = 0; b < buckets; ++b) {
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        parts_[b].AddColumn(rows.schema[c].name, rows.columns[c].Gather(idx[b]));
      }
      parts_[b].num_rows = idx[b].size();
    }
  }
  uint32_t bucket_count() const override { return buckets_; }
  const std::vector<std::string>& partition_keys() const override { return pk_; }
  Batch Read(uint32_t bucket, const std::vector<std::string>& columns) override {
    Batch out;
    for (const auto& c : columns) out.AddColumn(c, parts_[bucket].Get(c));
    out.num_rows = parts_[bucket].num_rows;
    ++reads;
    return out;
  }
  // With set_slice_rows(n) > 0, a bucket is cut into slices of the first partition key that
  // hold about n rows (cut between distinct key values), exercising the engine's slice path;
  // otherwise one whole slice. Reading a slice is the base class's read-and-filter.
  std::vector<KeySlice> Slices(uint32_t bucket, size_t) override {
    if (slice_rows_ == 0 || pk_.empty()) return {KeySlice{}};
    const Column& key = parts_[bucket].Get(pk_[0]);
    std::vector<Value> values;
    for (size_t r = 0; r < key.size(); ++r) values.push_back(key.Get(r));
    std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) {
      return a.type == DataType::kString ? a.s < b.s : a.i < b.i;
    });
    std::vector<KeySlice> slices(1);
    size_t in_slice = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      if (in_slice >= slice_rows_ && !(values[i] == values[i - 1])) {
        slices.back().hi = values[i];
        slices.push_back(KeySlice{values[i], std::nullopt});
        in_slice = 0;
      }
      ++in_slice;
    }
    return slices;
  }
  using BucketSource::Read;
  void set_slice_rows(size_t n) { slice_rows_ = n; }
  int reads = 0;

 private:
  std::vector<std::string> pk_;
  uint32_t buckets_;
  std::vector<Batch> parts_;
  size_t slice_rows_ = 0;
};

}  // namespace sluice::engine
