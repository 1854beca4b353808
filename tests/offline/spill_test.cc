#include "offline/spill.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace sluice::offline {
namespace {

Schema TestSchema() {
  return {{"id", DataType::kInt64},     {"x", DataType::kFloat64},
          {"flag", DataType::kBool},    {"name", DataType::kString},
          {"ts", DataType::kTimestamp}, {"emb", DataType::kFloat64List}};
}

// Row r of a test batch: every type, a null every third row, strings of varying length.
std::vector<Column> TestColumns(size_t n) {
  std::vector<Column> cols;
  for (const Field& f : TestSchema()) cols.emplace_back(f.type);
  for (size_t r = 0; r < n; ++r) {
    if (r % 3 == 2) {
      for (Column& c : cols) c.AppendNull();
      continue;
    }
    const auto i = static_cast<int64_t>(r);
    cols[0].Append(Value::Int(i * 7 - 5));
    cols[1].Append(Value::Float(i * 0.5));
    cols[2].Append(Value::Bool(r % 2 == 0));
    cols[3].Append(Value::String(std::string(r % 20, static_cast<char>('a' + r % 26))));
    cols[4].Append(Value::Timestamp(i * 1000));
    cols[5].Append(Value::List(std::vector<double>(r % 4, static_cast<double>(i))));
  }
  return cols;
}

TEST(BucketSpill, RoundTripsEveryTypeInAppendOrderPerBucket) {
  TempDir dir;
  const std::vector<Column> cols = TestColumns(100);
  std::vector<const Column*> ptrs;
  for (const Column& c : cols) ptrs.push_back(&c);
  {
    BucketSpill spill(dir.path() / "spill", TestSchema(), 3);
    // Two chunks of 50 rows; row r goes to bucket r % 3; the second chunk's sequence starts
    // at 1000 + 50.
    for (int chunk = 0; chunk < 2; ++chunk) {
      std::vector<std::vector<uint32_t>> rows(3);
      for (uint32_t r = 0; r < 50; ++r) rows[(chunk * 50 + r) % 3].push_back(r + chunk * 50);
      for (uint32_t b = 0; b < 3; ++b) spill.Append(b, ptrs, rows[b], 1000);
    }
    spill.Flush();
    for (uint32_t b = 0; b < 3; ++b) {
      const Batch back = spill.Read(b, "_seq");
      const size_t expected_rows = b == 0 ? 34 : 33;
      ASSERT_EQ(spill.rows(b), static_cast<int64_t>(expected_rows));
      ASSERT_EQ(back.num_rows, expected_rows);
      ASSERT_EQ(back.schema.size(), 7u);
      EXPECT_EQ(back.schema.back(), (Field{"_seq", DataType::kInt64}));
      size_t k = 0;
      for (size_t r = b; r < 100; r += 3, ++k) {
        for (size_t c = 0; c < cols.size(); ++c) {
          EXPECT_EQ(back.columns[c].Get(k), cols[c].Get(r)) << "bucket " << b << " row " << r;
        }
        EXPECT_EQ(back.columns[6].Get(k), Value::Int(1000 + static_cast<int64_t>(r)));
      }
    }
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "spill"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "spill")) << "removed with the spill";
}

TEST(BucketSpill, EmptiesLeftoversOfACrashedRunAndReadsEmptyBuckets) {
  TempDir dir;
  WriteText(dir.path() / "spill" / "bucket-0000.spill", "garbage from a killed ingest");
  BucketSpill spill(dir.path() / "spill", TestSchema(), 2);
  spill.Flush();
  const Batch empty = spill.Read(0, "_seq");
  EXPECT_EQ(empty.num_rows, 0u);
  EXPECT_EQ(empty.schema.size(), 7u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "spill" / "bucket-0000.spill"));
}

TEST(BucketSpill, BuffersBeyondTheLimitAreWrittenAndReadBackWhole) {
  TempDir dir;
  const std::vector<Column> cols = TestColumns(3000);
  std::vector<const Column*> ptrs;
  for (const Column& c : cols) ptrs.push_back(&c);
  std::vector<uint32_t> all(3000);
  for (uint32_t r = 0; r < 3000; ++r) all[r] = r;
  // 4096 buckets make the per-bucket buffer limit its minimum (64 KB); 40 appends of 3000
  // rows pass it several times.
  BucketSpill spill(dir.path() / "spill", TestSchema(), 4096);
  for (int i = 0; i < 40; ++i) spill.Append(4095, ptrs, all, i * 3000);
  spill.Flush();
  const Batch back = spill.Read(4095, "_seq");
  ASSERT_EQ(back.num_rows, 120000u);
  for (size_t k : {0ul, 2999ul, 3000ul, 64001ul, 119999ul}) {
    for (size_t c = 0; c < cols.size(); ++c) {
      EXPECT_EQ(back.columns[c].Get(k), cols[c].Get(k % 3000)) << "row " << k;
    }
    EXPECT_EQ(back.columns[6].Get(k), Value::Int(static_cast<int64_t>(k)));
  }
}

// Runs group whole blocks into runs of about equal size under a row limit (a larger block
// alone), in append order, and a run reads back exactly its rows: across buffer flushes (file
// offsets) and within one buffer.
TEST(BucketSpill, RunsSplitABucketIntoBlocksOfBoundedRowsReadBackExactly) {
  TempDir dir;
  const std::vector<Column> cols = TestColumns(400);
  std::vector<const Column*> ptrs;
  for (const Column& c : cols) ptrs.push_back(&c);
  BucketSpill spill(dir.path() / "spill", TestSchema(), 1);
  // Blocks of 10, 30, 25, 5, 120, 1, 60 rows (row ids consecutive), with a flush in between.
  const std::vector<uint32_t> sizes = {10, 30, 25, 5, 120, 1, 60};
  uint32_t next = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<uint32_t> rows(sizes[i]);
    for (uint32_t& r : rows) r = next++;
    spill.Append(0, ptrs, rows, 0);
    if (i == 2) spill.Flush();
  }
  spill.Flush();
  // 251 rows at most 40 a run: 7 runs' worth, so runs of about 36 rows (whole blocks):
  // 10 | 30 | 25+5 | 120 | 1 | 60
  const std::vector<SpillRun> runs = spill.Runs(0, 40);
  ASSERT_EQ(runs.size(), 6u);
  const std::vector<std::pair<size_t, size_t>> blocks = {{0, 1}, {1, 2}, {2, 4},
                                                         {4, 5}, {5, 6}, {6, 7}};
  const std::vector<int64_t> rows = {10, 30, 30, 120, 1, 60};
  int64_t first = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].first_block, blocks[i].first) << i;
    EXPECT_EQ(runs[i].end_block, blocks[i].second) << i;
    EXPECT_EQ(runs[i].rows, rows[i]) << i;
    const Batch back = spill.Read(0, "_seq", runs[i]);
    ASSERT_EQ(back.num_rows, static_cast<size_t>(rows[i])) << i;
    for (int64_t k = 0; k < rows[i]; ++k) {
      const size_t r = static_cast<size_t>(first + k);
      EXPECT_EQ(back.Get("_seq").i64[k], static_cast<int64_t>(r)) << i;
      for (size_t c = 0; c < cols.size(); ++c) {
        EXPECT_EQ(back.columns[c].Get(k), cols[c].Get(r)) << "run " << i << " row " << k;
      }
    }
    first += rows[i];
  }
  EXPECT_EQ(spill.Runs(0, 1000).size(), 1u);
  EXPECT_EQ(spill.Runs(0, 1).size(), sizes.size());
}

}  // namespace
}  // namespace sluice::offline
