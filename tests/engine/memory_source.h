// Test helper: an in-memory BucketSource that buckets rows exactly as ingest does.
#pragma once

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
  int reads = 0;

 private:
  std::vector<std::string> pk_;
  uint32_t buckets_;
  std::vector<Batch> parts_;
};

}  // namespace sluice::engine
