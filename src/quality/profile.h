// A profile of a batch of rows (SPEC §7): per column the count, nulls, min/max/mean/stddev, a
// quantile sketch, a distinct count and the most frequent values. Profiles are mergeable:
// ingest stores one per delivery, and a source's profile at a snapshot is the merge of its
// deliveries' profiles.
//
// Which summaries a column gets, by type:
//   int64, float64, timestamp  moments and a KLL sketch (timestamps as microseconds)
//   bool                       moments (of 0/1)
//   string, int64, bool        top values
//   every type                 a HyperLogLog distinct count
// Not thread-safe: one Profile per thread, merged afterwards.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "sketch/sketch.h"
#include "sluice/column.h"

namespace sluice::quality {

struct ColumnProfile {
  std::string name;
  DataType type = DataType::kInt64;
  int64_t count = 0;  // rows, nulls included
  int64_t nulls = 0;
  sketch::Moments moments;
  sketch::KllSketch quantiles;
  sketch::HyperLogLog distinct;
  sketch::TopK top;
  // int64 and timestamp columns: the exact least and greatest value (moments hold them as
  // doubles, exact only below 2^53). has_int_range is false until a value is seen, and in
  // profiles stored before format 3.
  bool has_int_range = false;
  int64_t int_min = 0;
  int64_t int_max = 0;
  bool numeric() const;  // has moments and quantiles
  bool categorical() const;  // has top values
};

class Profile {
 public:
  Profile() = default;
  explicit Profile(const Schema& schema);

  // Adds the rows of `batch` (which must hold every column of the schema, by name) whose
  // skip[r] is 0 (skip == nullptr: every row).
  void Update(const Batch& batch, const std::vector<uint8_t>* skip = nullptr);
  // Adds `other`'s rows; throws InputError when the columns differ (name or type).
  void Merge(const Profile& other);

  int64_t rows() const { return rows_; }
  const std::vector<ColumnProfile>& columns() const { return columns_; }
  const ColumnProfile* Find(std::string_view name) const;

  // The stored form (docs/architecture.md, "Data quality"): versioned, portable bytes.
  std::string Serialize() const;
  // Throws InputError("<what>: …") on bytes that are not a profile.
  static Profile Deserialize(std::string_view bytes, const std::string& what);

  // For people and --json: per column count, nulls, null_rate, distinct, and by type
  // min/max/mean/stddev, quantiles (p01 … p99), top values (at most `top_n`; 0: none).
  nlohmann::json ToJson(size_t top_n = 10) const;

 private:
  int64_t rows_ = 0;
  std::vector<ColumnProfile> columns_;
};

// The profile of a data file (Parquet, CSV or JSON, by extension), read in one pass through
// DuckDB; columns of types sluice has no equivalent for are left out. Throws InputError naming
// the file when it cannot be read or has no column sluice profiles.
Profile ProfileFile(const std::string& path);

}  // namespace sluice::quality
