#include "offline/segment_reader.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "io/duckdb.h"
#include "test_util.h"

namespace sluice::offline {
namespace {

// Rows of `b` as sorted text lines: the same multiset whatever the order.
std::vector<std::string> Lines(const Batch& b) {
  std::vector<std::string> lines;
  for (size_t r = 0; r < b.num_rows; ++r) {
    std::string line;
    for (size_t c = 0; c < b.columns.size(); ++c) {
      line += b.schema[c].name + "=" + b.columns[c].Get(r).ToString() + " ";
    }
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

Value Key(bool strings, int64_t k) {
  return strings ? Value::String(fmt::format("k{:04d}", k)) : Value::Int(k);
}

// Five sorted runs in bucket 0 over overlapping key ranges (enough to be merged on read), two
// written after a column was added (the others lack it). The merging reader must give each slice exactly the
// rows the filtered read gives, slices skipped or not, the key column asked for or not.
void CheckMergingReader(bool strings) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "segments");
  const DataType key_type = strings ? DataType::kString : DataType::kInt64;
  SnapshotManifest m;
  m.source = "tx";
  m.snapshot = 3;
  m.bucket_count = 1;
  m.partition_keys = {"k"};
  m.schema = {{"k", key_type},
              {"ts", DataType::kTimestamp},
              {"v", DataType::kFloat64},
              {"added", DataType::kString}};
  struct RunSpec {
    int64_t first, last, step;
    bool has_added;
  };
  const RunSpec specs[] = {{0, 99, 1, false},
                           {50, 149, 1, false},
                           {0, 149, 3, true},
                           {20, 80, 2, false},
                           {100, 149, 1, true}};
  io::DuckDb db;
  for (int r = 0; r < 5; ++r) {
    const RunSpec& s = specs[r];
    Batch b;
    Column k(key_type), ts(DataType::kTimestamp), v(DataType::kFloat64), added(DataType::kString);
    for (int64_t key = s.first; key <= s.last; key += s.step) {
      for (int64_t t = 0; t < 2; ++t) {  // two rows per key, in time order
        k.Append(Key(strings, key));
        ts.Append(Value::Timestamp(t * 1000 + r));
        if ((key + t) % 7 == 0) {
          v.AppendNull();
        } else {
          v.Append(Value::Float(static_cast<double>(key * 10 + t + r * 1000)));
        }
        added.Append(Value::String(fmt::format("r{}k{}", r, key)));
      }
    }
    b.AddColumn("k", std::move(k));
    b.AddColumn("ts", std::move(ts));
    b.AddColumn("v", std::move(v));
    if (s.has_added) b.AddColumn("added", std::move(added));
    const std::string rel = fmt::format("segments/00000003-0000-{:04d}.parquet", r);
    db.WriteParquet(b, (dir.path() / rel).string());
    Segment seg;
    seg.path = rel;
    seg.rows = static_cast<int64_t>(b.num_rows);
    m.segments.push_back(seg);
  }
  SegmentReader reader(dir.path(), m);
  ASSERT_TRUE(reader.MergesSlices(0));
  // Slices in key order; the third is skipped (no entity rows in it, say).
  std::vector<engine::KeySlice> slices = {
      {std::nullopt, Key(strings, 30)},
      {Key(strings, 30), Key(strings, 61)},
      {Key(strings, 61), Key(strings, 90)},
      {Key(strings, 90), Key(strings, 140)},
      {Key(strings, 140), std::nullopt}};
  for (const std::vector<std::string>& columns :
       {std::vector<std::string>{"k", "ts", "v", "added"}, std::vector<std::string>{"v", "added"}}) {
    const std::unique_ptr<engine::SliceReader> merged = reader.ReadSlices(0, columns);
    size_t rows = 0;
    for (size_t i = 0; i < slices.size(); ++i) {
      if (i == 2) continue;
      const Batch got = merged->Next(slices[i]);
      const Batch want = reader.Read(0, columns, slices[i]);
      ASSERT_EQ(got.schema, want.schema) << i;
      EXPECT_GT(want.num_rows, 0u) << i;
      EXPECT_EQ(Lines(got), Lines(want)) << "slice " << i << (strings ? " (strings)" : "");
      rows += got.num_rows;
    }
    // Slice 2 holds keys 61..89: 29 of runs 0 and 1, 9 of run 2 (multiples of 3), 10 of run 3
    // (even keys to 80), none of run 4; two rows each.
    EXPECT_EQ(rows, 2u * (100 + 100 + 50 + 31 + 50) - 2u * (29 + 29 + 9 + 10));
  }
}

TEST(SegmentReader, MergingSlicesGiveWhatFilteredReadsGive) { CheckMergingReader(false); }

TEST(SegmentReader, MergingSlicesOfStringKeys) { CheckMergingReader(true); }

}  // namespace
}  // namespace sluice::offline
